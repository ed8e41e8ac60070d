"""Sandbox: another user, scrubbed environment, resource limits, timeout and no network."""

import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from leccion14.grading.sandbox import SandboxLimits, prepare_workdir, python_command, run_sandboxed
from leccion14.grading.sandbox_launch import SETUP_FAILED

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="cambiar de usuario y de red requiere root")


@pytest.fixture
def workdir() -> Path:
    # Not pytest's tmp_path: its parents are private to root, and the sandbox user must reach it.
    folder = Path(tempfile.mkdtemp(prefix="sandbox-test-"))
    prepare_workdir(folder)
    yield folder
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


def run_python(code: str, workdir: Path, limits: SandboxLimits = SandboxLimits(wall_seconds=30)):
    script = workdir / "script.py"
    script.write_text(code, encoding="utf-8")
    prepare_workdir(workdir)
    # The interpreter the recorder would use; -S because these scripts need only the stdlib.
    interpreter = python_command("runpy", [])[0]
    return run_sandboxed([interpreter, "-I", "-S", str(script)], workdir, limits)


@ROOT_ONLY
def test_runs_as_nobody(workdir):
    outcome = run_python("import os; print(os.getuid())", workdir)
    assert outcome.returncode == 0, outcome.stderr
    assert outcome.stdout.strip() == "65534"


def test_environment_is_scrubbed(workdir, monkeypatch):
    monkeypatch.setenv("GRADER_SECRET_TOKEN", "abc")
    outcome = run_python("import os; print(sorted(os.environ))", workdir)
    assert outcome.returncode == 0, outcome.stderr
    assert "GRADER_SECRET_TOKEN" not in outcome.stdout
    assert "'HOME'" in outcome.stdout


def test_wall_clock_timeout_kills(workdir):
    outcome = run_python("while True: pass", workdir, SandboxLimits(wall_seconds=2))
    assert outcome.timed_out
    assert outcome.wall_seconds < 10


def test_cpu_limit_kills(workdir):
    outcome = run_python("while True: pass", workdir, SandboxLimits(cpu_seconds=1, wall_seconds=30))
    assert not outcome.timed_out
    assert outcome.returncode != 0


def test_memory_limit_raises(workdir):
    outcome = run_python("x = bytearray(600 * 1024**2)", workdir, SandboxLimits(memory_bytes=300 * 1024**2))
    assert outcome.returncode != 0
    assert "MemoryError" in outcome.stderr


@ROOT_ONLY
def test_cannot_write_grader_files(workdir, tmp_path):
    protected = tmp_path / "oculta.py"
    protected.write_text("secreto", encoding="utf-8")
    outcome = run_python(f"open({str(protected)!r}, 'w').write('x')", workdir)
    assert outcome.returncode != 0
    assert protected.read_text(encoding="utf-8") == "secreto"


@ROOT_ONLY
def test_loopback_connection_refused(workdir):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    try:
        code = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=3); print('conectado')"
        outcome = run_python(code, workdir)
    finally:
        listener.close()
    assert outcome.returncode != 0
    assert "conectado" not in outcome.stdout
    assert "OSError" in outcome.stderr or "unreachable" in outcome.stderr.lower()


def test_launcher_setup_failure_exits(tmp_path):
    settings = {"procs_files": [str(tmp_path / "no-existe" / "cgroup.procs")], "limits": {}, "isolate": False, "hidden": [], "account": None}
    marker = tmp_path / "ran"
    command = [sys.executable, "-I", "-m", "leccion14.grading.sandbox_launch", json.dumps(settings), "/usr/bin/touch", str(marker)]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert completed.returncode == SETUP_FAILED
    assert "no se pudo preparar el sandbox" in completed.stderr
    assert not marker.exists()


def test_no_fork_after_jax_threads(workdir):
    # JAX's threads are running when a demo or a test grades a second submission in the same
    # process. Starting the sandbox must then run no Python code between fork and exec.
    code = (
        "import os, sys\n"
        "os.environ['JAX_PLATFORMS'] = 'cpu'\n"
        "import jax.numpy as jnp\n"
        "jnp.ones(1000).sum().block_until_ready()\n"
        "from pathlib import Path\n"
        "from leccion14.grading.sandbox import run_sandboxed, python_command\n"
        f"outcome = run_sandboxed([python_command('runpy', [])[0], '-I', '-S', '-c', 'print(7)'], Path({str(workdir)!r}))\n"
        "print('salida', outcome.stdout.strip(), outcome.returncode)\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "salida 7 0" in completed.stdout, completed.stderr[-2000:]
    assert "os.fork() was called" not in completed.stderr
