"""The recorder forked from a grader that already imported Keras: same confinement, no secrets.

Each check runs a fresh grader process, because the fork is only allowed in a process whose
JAX backend has not started and whose initial environment is clean (never pytest's own).
About 25 s in all.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from leccion14 import paths
from leccion14.grading.grade import ensure_plan
from leccion14.grading.preload import clean_environment, is_allowed_variable
from leccion14.grading.sandbox import HIDDEN_PATHS_VARIABLE, interpreter_folders_to_reveal
from leccion14.grading.sandbox_cache import plan_cache_dir

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="cambiar de usuario y de montajes requiere root")

# Student module that reports what it can see into FINDINGS (a folder every user can write).
SPY_MODULE = """
import json, os, socket, sys
found = {"keras_preloaded": "keras" in sys.modules, "uid": os.getuid(), "cwd": os.getcwd(), "path": sys.path}
def attempt(action):
    try:
        return repr(action())
    except Exception as error:
        return "bloqueado: " + type(error).__name__
found["initial_environment"] = attempt(lambda: open("/proc/self/environ", "rb").read().decode("latin-1"))
found["environment"] = sorted(os.environ)
found["list_root"] = attempt(lambda: sorted(os.listdir("/root")))
found["write_interpreter"] = attempt(lambda: open(os.path.join(sys.base_prefix, "leccion14-espia"), "w"))
found["read_solution"] = attempt(lambda: open(SOLUTION).read(20))
found["connect"] = attempt(lambda: socket.create_connection(("127.0.0.1", PORT), timeout=2))
found["stdlib_import"] = attempt(lambda: __import__("encodings.cp437").__name__)
import tempfile
def temporary_file():
    # Deleted again: the sandbox's temporary folder is the machine's, and tests leave nothing there.
    descriptor, name = tempfile.mkstemp()
    os.close(descriptor)
    os.unlink(name)
    return descriptor > 0
found["temporary_file"] = attempt(temporary_file)
with open(FINDINGS, "w") as handle:
    json.dump(found, handle)
"""

# Every variable the sandbox may see (see run_sandboxed's environment).
SANDBOX_VARIABLES = {
    "PATH", "LANG", "LC_ALL", "TZ", "HOME", "PYTHONUTF8", "PYTHONDONTWRITEBYTECODE", "TF_CPP_MIN_LOG_LEVEL", "KERAS_BACKEND", "JAX_PLATFORMS",
    "KERAS_HOME", "MPLCONFIGDIR", "MPLBACKEND", "OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS",
}

GRADER = """
import json, sys, tempfile
from pathlib import Path
from leccion14.grading.backend import use_grading_backend
use_grading_backend()
from leccion14.grading.preload import fork_is_safe, preload
from leccion14.grading.recording import record_module
from leccion14.grading.sandbox import SandboxLimits
preloaded = preload()
keras_in_grader = "keras" in sys.modules
plan, module = Path(sys.argv[1]), Path(sys.argv[2])
folder = Path(tempfile.mkdtemp(prefix="sandbox-fork-"))
recording = record_module("lstm_repsol", module, plan, folder=folder, limits=SandboxLimits(wall_seconds=float(sys.argv[3])))
cache = folder / "jax-cache"
cache_entries = sorted(path.name for path in cache.iterdir()) if cache.is_dir() else None
import shutil
shutil.rmtree(folder, ignore_errors=True)
print(json.dumps({"preloaded": preloaded, "keras_in_grader": keras_in_grader, "fork_is_safe": fork_is_safe(), "forked": recording.forked,
                  "results": recording.results, "cache_entries": cache_entries, "log": recording.log_tail}))
"""


def test_allowed_variables():
    environment = {"PATH": "/usr/bin", "LECCION14_DATA_MIRROR": "/datos", "GITHUB_TOKEN": "x", "AWS_SECRET_ACCESS_KEY": "y", "SSH_AUTH_SOCK": "/tmp/s"}
    assert clean_environment(environment) == {"PATH": "/usr/bin", "LECCION14_DATA_MIRROR": "/datos"}
    assert is_allowed_variable("KERAS_BACKEND")
    assert is_allowed_variable("TF_CPP_MIN_LOG_LEVEL")
    assert not is_allowed_variable("GH_TOKEN")
    assert not is_allowed_variable("TF_TOKEN_app_terraform_io")


@pytest.fixture
def scratch():
    # Reachable by the sandbox account: not under pytest's private tmp_path.
    folder = Path(tempfile.mkdtemp(prefix="preload-test-"))
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def spy_submission(scratch: Path, port: int, extra: str = "") -> tuple[Path, Path, Path]:
    """Write an empty probe plan and the spy module; return (plan folder, module file, findings file)."""
    plan = scratch / "plan"
    plan.mkdir()
    (plan / "plan.json").write_text(json.dumps({"module": "lstm_repsol", "module_file": "lstm_repsol.py", "probes": []}), encoding="utf-8")
    findings = scratch / "hallazgos.json"
    solution = paths.REPO_ROOT / "solutions" / "lstm_repsol.py"
    module = scratch / "lstm_repsol.py"
    settings = f"SOLUTION, PORT, FINDINGS = {str(solution)!r}, {port}, {str(findings)!r}\n"
    module.write_text(settings + SPY_MODULE + extra, encoding="utf-8")
    return plan, module, findings


def run_grader(plan: Path, module: Path, environment: dict, wall_seconds: float = 60) -> dict:
    completed = subprocess.run(
        [sys.executable, "-c", GRADER, str(plan), str(module), str(wall_seconds)], env=environment, capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


@pytest.fixture
def listener():
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    yield server.getsockname()[1]
    server.close()


@ROOT_ONLY
def test_forked_recorder_is_confined(scratch, listener):
    plan, module, findings = spy_submission(scratch, listener)

    # Like a batch worker: a TMPDIR that only root can list and write.
    private = Path(tempfile.mkdtemp(prefix="privada-"))
    private.chmod(0o711)
    environment = {**clean_environment(dict(os.environ)), "TMPDIR": str(private)}

    # A folder to hide inside the private parent that the launcher covers (pyenv under /root).
    covered = [folder.parent for folder in interpreter_folders_to_reveal(scratch) or []]
    hidden_inside = Path(tempfile.mkdtemp(prefix="leccion14-oculta-", dir=covered[0])) if covered else None
    if hidden_inside is not None:
        environment[HIDDEN_PATHS_VARIABLE] = str(hidden_inside)

    try:
        grader = run_grader(plan, module, environment)
    finally:
        shutil.rmtree(private)
        if hidden_inside is not None:
            shutil.rmtree(hidden_inside)

    assert grader["preloaded"], grader["log"]
    assert grader["fork_is_safe"], grader["log"]
    found = json.loads(findings.read_text())
    assert found["keras_preloaded"], "el grabador no nació del proceso con Keras"
    assert found["uid"] != 0
    assert Path(found["cwd"]).name.startswith("sandbox-fork-")
    assert "" not in found["path"]

    # The private home shows only the interpreter's folder, read-only.
    assert found["list_root"] in ("bloqueado: PermissionError", "['.pyenv']") or not sys.base_prefix.startswith("/root")
    assert found["write_interpreter"].startswith("bloqueado")
    assert found["read_solution"].startswith("bloqueado")
    assert found["connect"].startswith("bloqueado")
    assert found["stdlib_import"] == "'encodings'"
    assert found["temporary_file"] == "True"
    assert set(found["environment"]) <= SANDBOX_VARIABLES


@ROOT_ONLY
def test_secret_in_environment_prevents_fork(scratch, listener):
    plan, module, findings = spy_submission(scratch, listener)
    grader = run_grader(plan, module, {**clean_environment(dict(os.environ)), "CURSO_API_TOKEN": "secreto-123"})
    assert grader["preloaded"] is False
    assert grader["fork_is_safe"] is False
    # Without a fork, two copies of Keras at once would break Gradescope's memory bound.
    assert grader["keras_in_grader"] is False
    found = json.loads(findings.read_text())
    assert not found["keras_preloaded"]
    assert "secreto-123" not in found["initial_environment"]


@ROOT_ONLY
def test_grade_command_reexecs_without_secrets(scratch, listener):
    """``python -m leccion14.grading.grade`` starts again without the token, then forks the recorder."""
    _, module, findings = spy_submission(scratch, listener)
    submission = scratch / "entrega"
    submission.mkdir()
    shutil.copyfile(module, submission / "lstm_repsol.py")
    tests = paths.build_dir() / "otter" / "lstm" / "autograder" / "tests"
    if not tests.is_dir():
        pytest.skip("faltan las pruebas de Otter: make student")
    environment = {**os.environ, "CURSO_API_TOKEN": "secreto-123"}
    command = [sys.executable, "-m", "leccion14.grading.grade", "--part", "lstm", "--submission", str(submission), "--tests", str(tests), "--results", str(scratch / "results.json")]
    completed = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    found = json.loads(findings.read_text())
    assert found["keras_preloaded"]
    assert "secreto-123" not in found["initial_environment"]


@ROOT_ONLY
def test_forked_recorder_stopped_at_wall_clock(scratch, listener):
    plan, module, findings = spy_submission(scratch, listener, extra="\nwhile True:\n    pass\n")
    grader = run_grader(plan, module, clean_environment(dict(os.environ)), wall_seconds=3)
    assert json.loads(findings.read_text())["keras_preloaded"]
    # No probe in the plan, so the recording itself is empty; the run must end, not hang.
    assert grader["results"] == {}


@ROOT_ONLY
def test_forked_recorder_hits_cache(tmp_path):
    plan = ensure_plan("lstm", tmp_path / "plan")
    cached = sorted(path.name for path in plan_cache_dir(plan).iterdir())
    grader = run_grader(plan, paths.REPO_ROOT / "solutions" / "lstm_repsol.py", clean_environment(dict(os.environ)))
    assert grader["forked"], grader["log"]
    # JAX writes every program it had to compile, so no new entry means the fork found them all.
    assert grader["cache_entries"] == cached
    assert {result["status"] for result in grader["results"].values()} == {"returned", "raised"}
