"""Sandbox: another user, scrubbed environment, resource limits, timeout and no network."""

import os
import socket
import sys
import tempfile
from pathlib import Path

import pytest

from leccion14.grading.sandbox import SandboxLimits, prepare_workdir, python_command, run_sandboxed

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
