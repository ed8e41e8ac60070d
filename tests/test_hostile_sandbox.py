"""Hostile code run straight in the sandbox (no TensorFlow): files, network, output, processes.

Several behaviours share one sandbox run where they cannot disturb each other. Runs as root
only, because the protections under test (another uid, namespaces) need it; about 15 s in all.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from leccion14 import paths
from leccion14.grading.cgroups import create_group
from leccion14.grading.sandbox import (
    HIDDEN_PATHS_VARIABLE,
    OUTPUT_TAIL_BYTES,
    SandboxLimits,
    hidden_paths,
    prepare_workdir,
    python_command,
    run_sandboxed,
)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="el aislamiento completo requiere root")
# A uid with no account, unique to this test process so parallel test runs do not collide.
HOSTILE_UID = 1_500_000_000 + os.getpid() * 2


@pytest.fixture
def workdir():
    # Not pytest's tmp_path: its parents are private to root, and the sandbox user must reach it.
    folder = Path(tempfile.mkdtemp(prefix="hostil-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def run_script(code: str, workdir: Path, limits: SandboxLimits = SandboxLimits(wall_seconds=30), uid: int | None = None):
    (workdir / "hostil.py").write_text(code, encoding="utf-8")
    prepare_workdir(workdir, uid)
    interpreter = python_command("runpy", [])[0]
    return run_sandboxed([interpreter, "-I", "-S", str(workdir / "hostil.py")], workdir, limits, uid)


@pytest.fixture
def readable_tests():
    """A world-readable folder of hidden tests, like build/otter in a checkout with umask 022."""
    folder = Path(tempfile.mkdtemp(prefix="pruebas-ocultas-"))
    folder.chmod(0o755)
    (folder / "lstm_pronostico.py").write_text("secreto", encoding="utf-8")
    (folder / "lstm_pronostico.py").chmod(0o644)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_secrets_and_files_protected(workdir, readable_tests, monkeypatch):
    """One run tries to read the hidden tests, the solutions and the reference models, to
    overwrite grader files, and to replace or delete the working folder's own files."""
    tests = readable_tests
    monkeypatch.setenv(HIDDEN_PATHS_VARIABLE, str(tests))
    targets = {
        "pruebas": tests / "lstm_pronostico.py",
        "solucion": paths.REPO_ROOT / "solutions" / "lstm_repsol.py",
        "referencia": paths.build_dir() / "reference" / "lstm.keras",
        "motor": paths.REPO_ROOT / "src" / "leccion14" / "grading" / "recorder.py",
    }
    before = {name: path.read_bytes() for name, path in targets.items() if path.is_file()}
    code = f"""
import os
targets = {{name: path for name, path in {({name: str(path) for name, path in targets.items()})!r}.items()}}
for name, path in targets.items():
    try:
        open(path, "rb").read(10)
        print("LEIDO", name)
    except OSError as error:
        print("BLOQUEADO", name, type(error).__name__)
    try:
        open(path, "ab").write(b"x")
        print("ESCRITO", name)
    except OSError as error:
        print("NO_ESCRITO", name, type(error).__name__)
open("results.json", "w").write('{{"score": 100}}')
for entry in os.listdir("."):
    if os.path.isfile(entry):
        os.remove(entry)
print("CARPETA", sorted(os.listdir(".")))
"""
    outcome = run_script(code, workdir)
    assert outcome.returncode == 0, outcome.stderr
    assert "LEIDO pruebas" not in outcome.stdout
    assert "LEIDO solucion" not in outcome.stdout
    assert "LEIDO referencia" not in outcome.stdout
    assert "ESCRITO" not in outcome.stdout.replace("NO_ESCRITO", "")
    assert "CARPETA []" in outcome.stdout
    for name, content in before.items():
        assert targets[name].read_bytes() == content, f"{name} cambió"


def test_hidden_defaults_cover_repository():
    hidden = hidden_paths()
    assert paths.build_dir().resolve() in hidden or not paths.build_dir().is_dir()
    assert (paths.REPO_ROOT / "solutions").resolve() in hidden
    # The Gradescope zips in dist/ contain the hidden tests.
    assert (paths.REPO_ROOT / "dist").resolve() in hidden or not (paths.REPO_ROOT / "dist").is_dir()


def test_loopback_port_unreachable(workdir):
    """The sandbox has its own network namespace whose loopback is down: the port this test
    opens on the host's loopback cannot be reached."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    try:
        code = f"""
import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=3)
    print("CONECTADO")
except OSError as error:
    print("FALLO", type(error).__name__, error)
"""
        outcome = run_script(code, workdir)
        listener.settimeout(0.1)
        with pytest.raises(socket.timeout):
            listener.accept()
    finally:
        listener.close()
    assert "CONECTADO" not in outcome.stdout
    assert "FALLO" in outcome.stdout


def test_output_capped_and_decoded(workdir):
    """100 MB of printing plus bytes that are not UTF-8: only the tail is kept, decoded."""
    code = """
import os, sys
block = b"x" * (1024 * 1024)
for _ in range(100):
    sys.stdout.buffer.write(block)
sys.stdout.buffer.write(b"\\nfin \\xff\\xfe\\x80 bytes\\n")
"""
    outcome = run_script(code, workdir)
    assert outcome.returncode == 0, outcome.stderr
    assert outcome.output_bytes >= 100 * 1024**2
    assert len(outcome.stdout) <= OUTPUT_TAIL_BYTES
    assert "fin \ufffd\ufffd\ufffd bytes" in outcome.stdout


def test_parent_kill_denied(workdir):
    code = """
import os, signal
for target in (os.getppid(), 1):
    try:
        os.kill(target, signal.SIGKILL)
        print("MATADO", target)
    except OSError as error:
        print("DENEGADO", type(error).__name__)
"""
    outcome = run_script(code, workdir)
    assert "MATADO" not in outcome.stdout
    assert outcome.stdout.count("DENEGADO PermissionError") == 2


def test_allocation_stopped(workdir):
    outcome = run_script("x = bytearray(10 * 1024**3)", workdir)
    assert outcome.returncode != 0
    assert "MemoryError" in outcome.stderr


def test_exit_calls_contained(workdir):
    outcome = run_script("import os\nos._exit(7)", workdir)
    assert outcome.returncode == 7
    outcome = run_script("import sys\nsys.exit(3)", workdir)
    assert outcome.returncode == 3


def count_uid_processes(uid: int) -> int:
    """Count the live processes of ``uid``; zombies are dead and wait only for init to reap them."""
    import psutil

    return sum(
        1
        for process in psutil.process_iter(["uids", "status"])
        if process.info["uids"] and process.info["uids"].real == uid and process.info["status"] != psutil.STATUS_ZOMBIE
    )


FORK_BOMB = """
import os, time
started = time.time()
while time.time() - started < {seconds}:
    try:
        if os.fork() == 0:
            os.setsid()
    except OSError:
        pass
"""


def test_fork_bomb_contained(workdir):
    """A fork bomb whose children leave its process group: the process cap holds, root can still
    start processes while it runs, and nothing of it survives the run."""
    results = {}

    def bomb():
        results["outcome"] = run_script(FORK_BOMB.format(seconds=4), workdir, SandboxLimits(processes=64, wall_seconds=8), HOSTILE_UID)

    thread = threading.Thread(target=bomb)
    thread.start()
    time.sleep(2)
    peak = count_uid_processes(HOSTILE_UID)
    assert subprocess.run(["true"]).returncode == 0
    thread.join()
    assert 0 < peak <= 64
    assert count_uid_processes(HOSTILE_UID) == 0
    assert results["outcome"].timed_out or results["outcome"].returncode is not None


@pytest.mark.skipif(create_group("prueba", 8) is None, reason="sin cgroups escribibles")
def test_fork_bomb_leaves_cpu(workdir):
    """A sandbox that only computes keeps a fair CPU share next to a fork bomb in another slot's
    sandbox. Without the cgroup, each child's setsid() gives it its own autogroup, and the busy
    sandbox got 0.9 s of CPU in 4 s. With it, it got 2.4 s (2-core Xeon shared with other jobs)."""
    create_group("prueba", 8).remove()
    busy_dir = Path(tempfile.mkdtemp(prefix="hostil-"))
    thread = threading.Thread(target=run_script, args=(FORK_BOMB.format(seconds=6), workdir, SandboxLimits(processes=200, wall_seconds=9), HOSTILE_UID))
    thread.start()
    time.sleep(1.5)
    busy = "import resource, time\nstarted = time.time()\nwhile time.time() - started < 4:\n    pass\nprint(resource.getrusage(resource.RUSAGE_SELF).ru_utime)"
    try:
        outcome = run_script(busy, busy_dir, SandboxLimits(wall_seconds=10), HOSTILE_UID + 1)
    finally:
        thread.join()
        shutil.rmtree(busy_dir, ignore_errors=True)
    assert outcome.returncode == 0, outcome.stderr
    # NOTE: other jobs on the machine also take CPU; 1.2 s is well above the 0.9 s seen without cgroups.
    assert float(outcome.stdout) >= 1.2
