"""Paso no confiable: importa el módulo del estudiante, llama a cada sonda y graba el resultado.

Se ejecuta dentro del sandbox como ``python -m leccion14.grading.recorder CARPETA``. Lee
``CARPETA/plan.json`` (módulo y sondas, con los argumentos ya codificados por el paso confiable)
y escribe ``CARPETA/results/<n>.json`` por sonda, en cuanto termina cada una. Antes de cada
llamada deja ``<n>.started``: si el proceso muere, el paso confiable sabe qué sonda lo mató y
vuelve a lanzar el grabador con las sondas que faltan.
"""

import builtins
import importlib.util
import json
import signal
import sys
import time
import traceback
from pathlib import Path

from . import sandbox_cache
from .backend import HIDDEN_MODULE
from .codec import Encoder, decode, write_json

# Status values of a probe result.
RETURNED = "returned"
RAISED = "raised"
TIMED_OUT = "timed_out"
CRASHED = "crashed"
IMPORT_FAILED = "import_failed"
MISSING_FUNCTION = "missing_function"
UNENCODABLE = "unencodable"


# Seed of Python's, NumPy's and Keras' generators before each probe call.
PROBE_SEED = 14


class ProbeTimeout(BaseException):
    """Raised by SIGALRM when a probe exceeds its time; a BaseException so ``except Exception`` in student code cannot swallow it."""


def _on_alarm(signum, frame):
    raise ProbeTimeout()


def _load_model(path: Path):
    import keras

    return keras.saving.load_model(path, safe_mode=True)


def _error_node(error: BaseException) -> dict:
    # The nearest built-in base class lets the trusted step re-raise a student's own
    # ValueError subclass as ValueError.
    builtin_base = next(
        (kind.__name__ for kind in type(error).__mro__ if getattr(builtins, kind.__name__, None) is kind),
        "Exception",
    )
    message = str(error)[:2000]
    if isinstance(error, ImportError) and (error.name or "").split(".")[0] == HIDDEN_MODULE:
        message = (
            "el autocorrector usa Keras 3 sin TensorFlow, así que `import tensorflow` falla. "
            "Usa solo `import keras` (keras.layers, keras.utils.to_categorical…) en lugar de tensorflow o tf.keras."
        )
    return {"class": type(error).__name__, "builtin_base": builtin_base, "message": message}


def _import_student_module(module_file: Path, module_name: str):
    spec = importlib.util.spec_from_file_location(module_name, module_file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def _record_probe(module, probe: dict, index: int, folder: Path, timeout_s: float) -> dict:
    import keras

    arguments = decode(probe["args"], folder, _load_model)
    function = getattr(module, probe["function"], None)
    if not callable(function):
        return {"status": MISSING_FUNCTION}

    # Fixed seeds make a recording repeatable: fit() shuffles with NumPy's global generator.
    keras.utils.set_random_seed(PROBE_SEED)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    start = time.perf_counter()
    try:
        value = function(*arguments)
    except ProbeTimeout:
        return {"status": TIMED_OUT, "seconds": timeout_s}
    except Exception as error:  # noqa: BLE001 - any student error is data to record
        signal.setitimer(signal.ITIMER_REAL, 0)
        return {"status": RAISED, "error": _error_node(error), "seconds": time.perf_counter() - start}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    seconds = time.perf_counter() - start

    encoder = Encoder(folder, prefix=f"r{index}")
    try:
        result = {"status": RETURNED, "value": encoder.encode(value), "seconds": seconds}
        # Models are mutable arguments: compile_* and train_* may change them in place.
        result["mutated"] = {
            str(position): encoder.encode(argument)
            for position, argument in enumerate(arguments)
            if isinstance(argument, keras.Model)
        }
    except Exception as error:  # noqa: BLE001 - e.g. a model whose custom layer cannot be saved
        return {"status": UNENCODABLE, "error": _error_node(error), "seconds": seconds}
    return result


def _any_timed_out(plan: dict, results: Path) -> bool:
    """Return whether a probe timed out in an earlier run of the recorder on ``results``."""
    for index in range(len(plan["probes"])):
        try:
            if json.loads((results / f"{index}.json").read_text(encoding="utf-8")).get("status") == TIMED_OUT:
                return True
        except (OSError, ValueError, AttributeError):
            pass
    return False


def record(folder: Path) -> None:
    """Run every probe of ``folder/plan.json`` that has no result yet."""
    folder = Path(folder)
    plan = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
    results = folder / "results"
    results.mkdir(exist_ok=True)
    signal.signal(signal.SIGALRM, _on_alarm)
    sandbox_cache.use_in_recorder(folder)

    module = None
    import_error = None
    # The marker tells the trusted step that the recorder itself started: if the process dies
    # before writing it, the grader is misconfigured; after it, the student's import killed it.
    (results / "import.started").touch()
    try:
        module = _import_student_module(folder / plan["module_file"], plan["module"])
    except BaseException as error:  # noqa: BLE001 - SystemExit or a syntax error is data too
        import_error = {**_error_node(error), "traceback": traceback.format_exc(limit=-3)[-2000:]}

    timed_out = _any_timed_out(plan, results)
    for index, probe in enumerate(plan["probes"]):
        result_file = results / f"{index}.json"
        started_file = results / f"{index}.started"
        if result_file.exists() or started_file.exists():
            continue
        started_file.touch()
        if module is None:
            result = {"status": IMPORT_FAILED, "error": import_error}
        else:
            # After one probe ran out of time, the others get their shorter repeat time: a loop in a
            # function that other functions call would otherwise cost the full time once per probe.
            timeout_s = probe["timeout_s"]
            if timed_out:
                timeout_s = min(timeout_s, probe.get("repeat_timeout_s", timeout_s))
            result = _record_probe(module, probe, index, folder, timeout_s)
            timed_out |= result["status"] == TIMED_OUT
        write_json(result_file, {"name": probe["name"], **result})
        # Student code may have flushed or closed standard output; the grader ignores it anyway.
        print(f"{probe['name']}: {result['status']}", file=sys.__stderr__, flush=True)


if __name__ == "__main__":
    from .backend import use_grading_backend

    use_grading_backend()
    record(Path(sys.argv[1]))
