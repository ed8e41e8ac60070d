"""Calificación de una entrega de punta a punta; siempre escribe ``results.json``.

Orden, pensado para la memoria de Gradescope (768 MB): este proceso importa Keras (sobre JAX, sin
TensorFlow; véase ``backend``) sin iniciar JAX, y el grabador aislado nace como ``fork`` suyo
(véase ``preload``), así que las dos partes comparten una sola copia de Keras en memoria. Con
memoria de sobra, un hijo confiable graba mientras este proceso carga los artefactos y las
pruebas (``background_recording``); si no, graba primero y prepara después. Donde el ``fork`` no
es seguro, el grabador es un intérprete nuevo y este proceso no importa Keras hasta que termina.

    python -m leccion14.grading.grade --part cnn --submission ENTREGA --tests PRUEBAS --results results.json
"""

import sys

if __name__ == "__main__":
    # The forked recorder inherits this process's memory, environment included: no secrets there.
    # Re-executing before the imports below spares importing them twice (0.2 s).
    from leccion14.grading.preload import reexec_with_clean_environment

    reexec_with_clean_environment()

import argparse
import json
import logging
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import time
import traceback
import warnings
from pathlib import Path

from ..checksums import sha256_of
from ..spanish_numbers import decimal
from . import recorder, sandbox_cache
from .background_recording import BackgroundRecording
from .backend import enable_compilation_cache, loaded_backend, use_grading_backend
from .models import SubmissionError
from .preload import preload
from .recording import Recording, plan_fingerprints, record_module
from .sandbox import SandboxLimits
from .results import failure_results, gradescope_results, write_results
from .submission import PARTS, find_file, unpack_submission

MODULES = {"cnn": "cnn_cifar", "lstm": "lstm_repsol"}
INTERNAL_ERROR = "Error interno del autocorrector; avisa al profesorado."
INTERRUPTED = "La calificación se interrumpió antes de terminar (Ctrl+C o una señal de parada): este 0 no evalúa la entrega. Hay que volver a calificarla."
# File in a plan folder that stores probes_fingerprint() of the probes it was built from.
PLAN_STAMP = "probes.sha256"
log = logging.getLogger("leccion14.grading")


def default_plan_dir(part: str) -> Path:
    """Return the cached plan folder of ``part`` (LECCION14_GRADING_PLANS or build/grading/plans)."""
    from .. import paths

    root = os.environ.get("LECCION14_GRADING_PLANS") or paths.build_dir() / "grading" / "plans"
    return Path(root) / MODULES[part]


def default_compilation_cache_dir() -> Path:
    """Return JAX's compilation cache of the trusted step (LECCION14_JAX_CACHE or build/grading/jax-cache)."""
    from .. import paths

    return Path(os.environ.get("LECCION14_JAX_CACHE") or paths.build_dir() / "grading" / "jax-cache")


def probes_fingerprint() -> str:
    """Return a hash of the probe definitions and the plan layout; a plan built from others is stale."""
    from .. import probes
    from .recording import PLAN_FORMAT

    return f"{sha256_of(Path(probes.__file__))}-{PLAN_FORMAT}"


def ensure_plan(part: str, plan_dir: Path, warm_cache: bool = True) -> Path:
    """Build the probe plan of ``part`` in a child process unless ``plan_dir`` has one from the current probes.

    With ``warm_cache``, also fill the sandbox's compilation cache for this machine (``sandbox_cache``).
    """
    stamp = probes_fingerprint()
    if not ((plan_dir / "plan.json").is_file() and _read_stamp(plan_dir) == stamp):
        staging = Path(tempfile.mkdtemp(prefix="plan-", dir=plan_dir.parent if plan_dir.parent.exists() else None))
        # A child process keeps Keras out of this process until the sandbox has finished.
        subprocess.run([sys.executable, "-m", "leccion14.grading.recording", MODULES[part], str(staging)], check=True)
        (staging / PLAN_STAMP).write_text(stamp, encoding="utf-8")
        plan_dir.parent.mkdir(parents=True, exist_ok=True)
        if plan_dir.exists():
            shutil.rmtree(plan_dir)
        shutil.move(staging, plan_dir)
    if warm_cache:
        _ensure_sandbox_cache(part, plan_dir)
    return plan_dir


def _ensure_sandbox_cache(part: str, plan_dir: Path) -> None:
    """Fill the plan's sandbox compilation cache from the reference solution, where the repository has it.

    The Gradescope package has no ``solutions/``, so there the recorder compiles everything itself.
    """
    from .. import paths

    reference = paths.REPO_ROOT / "solutions" / f"{MODULES[part]}.py"
    if reference.is_file():
        sandbox_cache.ensure_filled(MODULES[part], plan_dir, reference)


def _read_stamp(plan_dir: Path) -> str | None:
    try:
        return (plan_dir / PLAN_STAMP).read_text(encoding="utf-8").strip()
    except OSError:
        return None


def _missing_module_recording(module: str, plan_dir: Path) -> Recording:
    import json

    plan = json.loads((plan_dir / "plan.json").read_text(encoding="utf-8"))
    error = {"class": "FileNotFoundError", "message": f"la entrega no contiene {module}.py"}
    results = {probe["name"]: {"status": recorder.IMPORT_FAILED, "error": error} for probe in plan["probes"]}
    return Recording(module=module, folder=plan_dir, results=results)


class RecordingCache:
    """Recordings keyed by module source, so a batch of submissions records each distinct module once.

    Meant for trusted batches such as the sample submissions. The recording folders stay on disk
    until ``close()``.
    """

    def __init__(self) -> None:
        self._recordings: dict[tuple[str, str], Recording] = {}

    def get(self, module: str, module_file: Path) -> Recording | None:
        return self._recordings.get((module, sha256_of(Path(module_file))))

    def put(self, module_file: Path, recording: Recording) -> None:
        self._recordings[(recording.module, sha256_of(Path(module_file)))] = recording

    def close(self) -> None:
        for recording in self._recordings.values():
            recording.remove()
        self._recordings.clear()


def _keep(recording: Recording, module_file: Path, cache: RecordingCache | None, recordings: list | None, background: bool = False) -> Recording:
    """Log a new recording, and add it to ``cache`` and ``recordings`` where the caller gave them."""
    for gap in recording.isolation:
        log.warning("Aislamiento incompleto: %s", gap)
    origin = "fork del autocorrector con Keras ya cargado" if recording.forked else "intérprete nuevo"
    if background:
        origin += ", en segundo plano"
    statuses = {name: result["status"] for name, result in recording.results.items()}
    log.info("Grabador de %s (%s): %s", recording.module, origin, statuses)
    if cache is not None:
        cache.put(module_file, recording)
    if recordings is not None:
        recordings.append(recording)
    return recording


def _prepare_trusted_step(part: str, root: Path, tests_dir: Path) -> tuple[dict, list[str], list]:
    """Load what the tests need besides the recording: artefacts, their problems and the test files.

    Runs while the recording goes on in a child process where that is possible. It also computes
    the artefacts' measures that the tests ask for (``outcomes.measure_artefacts``).
    """
    # Keras warns in English on every submitted model saved with optimizer state. Grading never
    # trains these models, so the warning is of no use to a student or instructor.
    warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
    from .dataset import use_grading_data
    from .environment import load_artefacts
    from .otter_tests import load_test_files
    from .outcomes import measure_artefacts

    use_grading_data()
    enable_compilation_cache(default_compilation_cache_dir())
    artefacts, problems = load_artefacts(part, root)
    measure_artefacts(artefacts)
    return artefacts, problems, load_test_files(tests_dir)


def _grade(
    part: str,
    submission: Path,
    tests_dir: Path,
    plan_dir: Path,
    scratch: Path,
    cache: RecordingCache | None = None,
    limits: SandboxLimits = SandboxLimits(),
    recordings: list[Recording] | None = None,
    background: bool = True,
) -> dict:
    module = MODULES[part]
    root = unpack_submission(submission, scratch / "entrega")
    notes = []
    module_file = find_file(root, PARTS[part].module)
    recording = pending = None
    if module_file is None:
        notes.append(f"Falta {PARTS[part].module} en la entrega: las pruebas de sus funciones fallan. Exporta con grader.export().")
        recording = _missing_module_recording(module, plan_dir)
    elif cache is not None:
        recording = cache.get(module, module_file)
    if recording is None:
        # Keras loaded here first lets the recorder fork from this process instead of importing it again.
        preload()
        pending = BackgroundRecording.start(module, module_file, plan_dir, limits) if background else None
        if pending is None:
            # Recorded first: in a box without memory to spare, or in a new interpreter while this
            # process keeps Keras out until it has finished.
            recording = _keep(record_module(module, module_file, plan_dir, limits=limits), module_file, cache, recordings)

    # Trusted step: from here on Keras (on JAX) is loaded in this process.
    try:
        artefacts, problems, test_files = _prepare_trusted_step(part, root, tests_dir)
    except BaseException:
        if pending is not None:
            pending.discard()
        elif recording.folder != plan_dir and cache is None:
            recording.remove()
        raise
    if pending is not None:
        recording = _keep(pending.result(), module_file, cache, recordings, background=True)

    from .otter_tests import run_test_files
    from .outcomes import forecast_summary
    from .replay import Replayer

    try:
        replayer = Replayer(module, recording.folder, recording.results, plan_fingerprints(plan_dir))
        environment = {**replayer.functions(), **artefacts}
        questions = run_test_files(test_files, environment)
    finally:
        if recording.folder != plan_dir and cache is None:
            recording.remove()
    if part == "lstm" and artefacts.get("lstm_forecasts") is not None:
        summary = forecast_summary(artefacts["lstm_forecasts"])
        if summary:
            notes.append(summary)
    return gradescope_results(questions, notes + problems)


def peak_rss_mb() -> dict[str, float]:
    """Return the peak resident memory, in MiB, of this process and of its largest finished child.

    Linux reports ``ru_maxrss`` in KiB. The largest child is the sandboxed recorder, unless this
    process also built the probe plan in a child.
    """
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"trusted_step": round(own, 1), "largest_child": round(children, 1)}


def _write_stats(seconds: float) -> None:
    """Log wall time and peak memory; also write them as JSON to LECCION14_GRADING_STATS if set."""
    stats = {"wall_seconds": round(seconds, 2), "peak_rss_mib": peak_rss_mb(), "keras_backend": loaded_backend()}
    log.info("Tiempo y memoria de la calificación: %s", stats)
    target = os.environ.get("LECCION14_GRADING_STATS")
    if target:
        Path(target).write_text(json.dumps(stats), encoding="utf-8")


def grade_submission(
    part: str,
    submission: Path,
    tests_dir: Path,
    results_path: Path,
    plan_dir: Path | None = None,
    cache: RecordingCache | None = None,
    limits: SandboxLimits = SandboxLimits(),
    recordings: list[Recording] | None = None,
    background: bool = True,
) -> dict:
    """Grade one submission of ``part`` and write Gradescope's results file, even on failure.

    ``cache`` reuses the recording of an identical module from an earlier call (trusted batches
    only). ``limits`` bound each run of the sandboxed recorder, and ``recordings`` receives the
    new recording, for a batch that reports the probes' statuses. ``background`` allows the
    recording in a child process (``background_recording``) where memory allows it.
    """
    results = failure_results(INTERNAL_ERROR)
    start = time.perf_counter()
    # An interrupted run leaves a results file written earlier as it was.
    keep_previous = False
    existed = Path(results_path).exists()
    try:
        plan_dir = ensure_plan(part, Path(plan_dir or default_plan_dir(part)))
        with tempfile.TemporaryDirectory(prefix="calificacion-") as scratch:
            results = _grade(part, Path(submission), Path(tests_dir), plan_dir, Path(scratch), cache, limits, recordings, background)
    except SubmissionError as error:
        results = failure_results(str(error))
    except Exception:  # noqa: BLE001 - whatever happens, Gradescope must get a results file
        log.error("La calificación falló:\n%s", traceback.format_exc())
    except KeyboardInterrupt:
        results = failure_results(INTERRUPTED)
        keep_previous = existed
        raise
    finally:
        results["execution_time"] = round(time.perf_counter() - start, 2)
        if not keep_previous:
            write_results(results_path, results)
        _write_stats(time.perf_counter() - start)
    return results


class GradingStopped(KeyboardInterrupt):
    """A termination signal (SIGTERM, or SIGHUP in a batch) handled like Ctrl+C; ``signum`` sets the exit status, 128 + signum."""

    def __init__(self, signum: int):
        super().__init__(f"señal {signum}")
        self.signum = signum


def _interrupted(signum, frame):
    raise GradingStopped(signum)


def has_hidden_tests(tests_dir: Path, part: str) -> bool:
    """Return whether a test file of ``part`` in ``tests_dir`` has a hidden case, as Otter Assign writes it."""
    return any("hidden=True" in path.read_text(encoding="utf-8", errors="replace") for path in tests_dir.glob(f"{part}_*.py"))


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; always writes the results file.

    The exit status is 2 when the grader's own input is wrong (a missing submission path, or a tests
    folder without this part's tests or without hidden tests), checked before grading, so a typo in a
    shell does not look like a graded 0. Then a results file is written only where none exists. The
    status is 130 after Ctrl+C and 143 after SIGTERM, as a shell reports a process they stop; otherwise 0.
    An interrupted run writes a results file that reports the interruption, unless one already existed.
    """
    from ..spanish_argparse import SpanishArgumentParser

    parser = SpanishArgumentParser(prog="python -m leccion14.grading.grade", description="Califica una entrega y escribe results.json.")
    parser.add_argument("--part", choices=sorted(MODULES), required=True, help="parte de la lección: cnn o lstm")
    parser.add_argument("--submission", metavar="ENTREGA", required=True, help="zip exportado por Otter o carpeta con la entrega")
    parser.add_argument("--tests", metavar="CARPETA", required=True, help="carpeta con los archivos de prueba de Otter (públicas y ocultas)")
    parser.add_argument("--results", metavar="ARCHIVO", required=True, help="ruta del results.json que se escribe")
    parser.add_argument("--plan", metavar="CARPETA", default=None, help="carpeta del plan de sondas (por defecto build/grading/plans/<módulo>)")
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # The grader's own input is checked before grading, and the results file still gets written.
    problem = None
    if not Path(arguments.submission).exists():
        problem = f"la entrega {arguments.submission} no existe; indica un zip o una carpeta con --submission."
    elif not any(Path(arguments.tests).glob("*.py")):
        problem = (
            f"la carpeta de pruebas {arguments.tests} no existe o no tiene pruebas; genera las pruebas con "
            "`make student` (quedan en build/otter/<parte>/autograder/tests)."
        )
    elif not any(Path(arguments.tests).glob(f"{arguments.part}_*.py")):
        # Otter Assign names each test file after its question, and every question starts with its part.
        problem = (
            f"la carpeta de pruebas {arguments.tests} no tiene pruebas de la parte {arguments.part} (sus archivos "
            f"no empiezan por {arguments.part}_); usa build/otter/{arguments.part}/autograder/tests."
        )
    elif not has_hidden_tests(Path(arguments.tests), arguments.part):
        problem = (
            f"la carpeta de pruebas {arguments.tests} solo tiene pruebas públicas, como la que recibe el estudiante "
            f"(assignments/{arguments.part}/tests), así que la nota no contaría las ocultas. Usa "
            f"build/otter/{arguments.part}/autograder/tests, que genera `make student`."
        )
    if problem is not None:
        results_path = Path(arguments.results)
        # Gradescope needs a results file, but one that exists already is never replaced by this error.
        if results_path.parent.is_dir() and not results_path.exists():
            write_results(results_path, failure_results(INTERNAL_ERROR))
            outcome = f"{arguments.results} dice al estudiante que hubo un error interno del autocorrector"
        else:
            outcome = f"{arguments.results} no se ha creado ni modificado"
        print(f"Error: {problem} No se calificó nada; {outcome}.", file=sys.stderr)
        return 2
    use_grading_backend()
    # SIGTERM stops grading like Ctrl+C, so the sandbox and the recording folder are cleaned up.
    signal.signal(signal.SIGTERM, _interrupted)
    existed = Path(arguments.results).exists()
    try:
        results = grade_submission(arguments.part, Path(arguments.submission), Path(arguments.tests), Path(arguments.results), arguments.plan and Path(arguments.plan))
    except KeyboardInterrupt as stop:
        signum = getattr(stop, "signum", signal.SIGINT)
        outcome = (
            f"se conserva el {arguments.results} que ya existía"
            if existed
            else f"{arguments.results} lo indica, con un 0 que no evalúa la entrega"
        )
        print(
            f"Calificación interrumpida ({signal.Signals(signum).name}): la entrega no se calificó; {outcome}. "
            "Vuelve a ejecutar la orden para calificarla.",
            file=sys.stderr,
        )
        return 128 + signum
    print(f"Puntuación: {decimal(results['score'])}; resultados en {arguments.results}")
    return 0


if __name__ == "__main__":
    code = main()
    # The results file is written. Tearing down Keras and JAX would take another 0.25 s.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
