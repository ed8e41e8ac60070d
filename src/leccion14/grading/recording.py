"""Paso confiable que prepara el sandbox, lanza el grabador y recoge lo que grabó.

El grabador corre con otro usuario en una carpeta temporal que contiene solo el módulo del
estudiante, ``plan.json`` con las sondas y sus argumentos y, si la hay, una copia de la caché de
compilación de JAX (``sandbox_cache``). Si el proceso muere o se pasa de tiempo en una sonda, esa
sonda queda como fallida y el grabador se relanza con las restantes.
"""

import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..probes import PROBES
from . import recorder, sandbox_cache
from .codec import Encoder, write_json
from .sandbox import SandboxLimits, prepare_workdir, run_python_sandboxed

# Seconds one probe may run before SIGALRM stops it; training probes get more.
PROBE_TIMEOUT_S = 30
TRAINING_PROBE_TIMEOUT_S = 90
# Seconds for each probe after one has run out of time (recorder.record); training probes keep
# theirs. The slowest probe besides training took 0.32 s in the recorder (build_lstm, 2-core CI machine).
REPEAT_TIMEOUT_S = 5
# Version of plan.json's layout; a plan of another version is rebuilt (grade.ensure_plan).
PLAN_FORMAT = 3
# Exit codes of a recorder stopped by the sandbox: SIGKILL (wall clock, or RLIMIT_CPU's hard
# limit) and SIGXCPU (RLIMIT_CPU's soft limit).
KILLED_BY_LIMITS = (-9, -24)


@dataclass
class Recording:
    """Results of every probe of one student module, kept as plain data in ``folder``."""

    module: str
    folder: Path
    results: dict[str, dict]
    isolation: list[str] = field(default_factory=list)
    log_tail: str = ""
    # Whether the recorder was a fork of the grader with Keras loaded (see ``preload``).
    forked: bool = False
    # The private parent folder made by ``new_recording_folder``, deleted with the recording.
    scratch: Path | None = None

    def remove(self) -> None:
        """Delete the recording folder, with its private parent folder if this module created it."""
        shutil.rmtree(self.scratch or self.folder, ignore_errors=True)


def probes_for(module: str) -> list[str]:
    """Return the names of the probes that call functions of ``module``, in definition order."""
    return [name for name, probe in PROBES.items() if probe.module == module]


def _timeout_for(function: str) -> int:
    return TRAINING_PROBE_TIMEOUT_S if function.startswith("train_") else PROBE_TIMEOUT_S


def build_plan(module: str, folder: Path) -> Path:
    """Write ``plan.json`` and the encoded probe arguments of ``module`` into ``folder``.

    Building the arguments imports Keras (the probes pass models), so graders build the plan
    once, in another process or at package time, and copy it for each submission.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    from .replay import fingerprint

    encoder = Encoder(folder, prefix="a")
    probes = []
    for name in probes_for(module):
        probe = PROBES[name]
        arguments = tuple(probe.make_args())
        probes.append(
            {
                "name": name,
                "function": probe.function,
                "args": encoder.encode(arguments),
                # The replay looks calls up by this hash, so grading never rebuilds the arguments.
                "fingerprint": fingerprint(arguments),
                "timeout_s": _timeout_for(probe.function),
                "repeat_timeout_s": _timeout_for(probe.function) if probe.function.startswith("train_") else REPEAT_TIMEOUT_S,
            }
        )
    write_json(folder / "plan.json", {"format": PLAN_FORMAT, "module": module, "module_file": f"{module}.py", "probes": probes})
    return folder


def plan_fingerprints(plan_folder: Path) -> dict[str, str]:
    """Return the argument fingerprint of every probe in ``plan_folder``'s plan, by probe name."""
    plan = json.loads((Path(plan_folder) / "plan.json").read_text(encoding="utf-8"))
    return {probe["name"]: probe["fingerprint"] for probe in plan["probes"]}


def new_recording_folder(module: str) -> Path:
    """Create an empty recording folder inside a new private parent folder that only root can change.

    The sandbox account owns the recording folder. Directly in a shared folder such as /tmp it
    could rename it and leave a symbolic link in its place for the trusted step to follow.
    """
    parent = Path(tempfile.mkdtemp(prefix=f"grabacion-{module}-"))
    parent.chmod(0o711)
    folder = parent / "grabacion"
    folder.mkdir()
    return folder


def record_module(module: str, module_file: Path, plan_folder: Path, folder: Path | None = None, limits: SandboxLimits = SandboxLimits()) -> Recording:
    """Run every probe of ``module`` against ``module_file`` in the sandbox and collect the results.

    ``plan_folder`` comes from ``build_plan``; it is copied, so one plan serves many submissions.
    Without ``folder``, the recording gets one from ``new_recording_folder``, deleted again if
    the recording fails. The sandbox can write everything in the folder, so this step never
    writes there after the first launch and reads results without following symbolic links.
    """
    if folder is not None:
        return _record_into(module, module_file, plan_folder, Path(folder), limits, scratch=None)
    folder = new_recording_folder(module)
    try:
        return _record_into(module, module_file, plan_folder, folder, limits, scratch=folder.parent)
    except BaseException:
        shutil.rmtree(folder.parent, ignore_errors=True)
        raise


def _record_into(module: str, module_file: Path, plan_folder: Path, folder: Path, limits: SandboxLimits, scratch: Path | None) -> Recording:
    """Record ``module_file`` in ``folder``, as ``record_module`` describes."""
    shutil.copytree(plan_folder, folder, dirs_exist_ok=True, ignore=sandbox_cache.ignore_caches)
    sandbox_cache.copy_to_recording(plan_folder, folder)
    shutil.copyfile(module_file, folder / f"{module}.py")
    plan = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
    names = [probe["name"] for probe in plan["probes"]]
    (folder / "results").mkdir()
    prepare_workdir(folder)

    results_dir = folder / "results"
    # Outcomes decided here (a crash, an import that ended the process) stay in memory.
    verdicts: dict[int, dict] = {}
    isolation: list[str] = []
    log_tail = ""
    forked = False
    # Each run either finishes or kills one probe, so len(names) + 1 runs always suffice.
    for _ in range(len(names) + 1):
        outcome = run_python_sandboxed(recorder.__name__, [str(folder)], folder, limits)
        isolation, forked = outcome.isolation, outcome.forked
        log_tail = (outcome.stderr or "")[-4000:]
        pending = [index for index in range(len(names)) if index not in verdicts and not (results_dir / f"{index}.json").exists()]
        if not pending:
            break
        started = [index for index in pending if (results_dir / f"{index}.started").exists()]
        if not (results_dir / "import.started").exists():
            raise RuntimeError(
                f"El grabador no llegó a arrancar (código {outcome.returncode}); el sandbox está mal "
                f"configurado. Salida de error:\n{log_tail}"
            )
        if not started:
            # The student's module ended the process while being imported.
            error = {"class": "SystemExit", "message": f"el proceso terminó al importar el módulo (código {outcome.returncode})"}
            if outcome.timed_out or outcome.returncode in KILLED_BY_LIMITS:
                error = {
                    "class": "TimeoutError",
                    "message": (
                        f"la importación del módulo superó el tiempo máximo ({limits.wall_seconds:g} s de reloj o "
                        f"{limits.cpu_seconds} s de CPU) y se detuvo (código {outcome.returncode}). Revisa que el módulo "
                        "no tenga bucles ni entrenamientos fuera de las funciones."
                    ),
                }
            for index in pending:
                verdicts[index] = {"name": names[index], "status": recorder.IMPORT_FAILED, "error": error}
            break
        status = recorder.TIMED_OUT if outcome.timed_out or outcome.returncode == -9 else recorder.CRASHED
        # A SIGALRM timeout is recorded by the recorder itself; here the whole process died. Its
        # .started file makes the next run skip this probe.
        verdicts[started[0]] = {"name": names[started[0]], "status": status, "returncode": outcome.returncode}

    results = {}
    for index, name in enumerate(names):
        if index in verdicts:
            results[name] = verdicts[index]
            continue
        try:
            results[name] = json.loads(_read_result(results_dir, f"{index}.json"))
        except (OSError, json.JSONDecodeError, UnicodeDecodeError):
            # Missing, a symbolic link, or truncated: processes forked by student code may have
            # written or replaced it.
            results[name] = {"name": name, "status": recorder.CRASHED, "returncode": None, "unreadable": True}
    return Recording(module=module, folder=folder, results=results, isolation=isolation, log_tail=log_tail, forked=forked, scratch=scratch)


def _read_result(results_dir: Path, name: str) -> str:
    """Return the text of ``results_dir/name``; raise OSError if the folder or the file is a symbolic link."""
    folder = os.open(results_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        descriptor = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=folder)
    finally:
        os.close(folder)
    with open(descriptor, encoding="utf-8") as handle:
        return handle.read()


if __name__ == "__main__":
    # python -m leccion14.grading.recording MODULE FOLDER: build a plan in a separate process.
    from .backend import use_grading_backend

    use_grading_backend()
    build_plan(sys.argv[1], Path(sys.argv[2]))
