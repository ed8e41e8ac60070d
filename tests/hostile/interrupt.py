"""Signals sent to a grading command while its sandboxed recorder is inside a sleeping module's import."""

import subprocess
import tempfile
import time
from pathlib import Path

import psutil

# A module whose import outlasts any test: the command is stopped while it runs.
SLEEPING_MODULE = "import time\ntime.sleep(300)\n"
# The sandboxed recorder writes this marker just before it imports the module.
IMPORT_MARKER = "grabacion-*/grabacion/results/import.started"


def private_temporary_folder(prefix: str) -> Path:
    """Create a temporary folder that the sandbox user can enter but not list, to count what is left in it."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    folder.chmod(0o711)
    return folder


def stop_during_import(command: list[str], environment: dict, folder: Path, marker_pattern: str, signum: int) -> tuple[subprocess.Popen, str, list]:
    """Run ``command``, send ``signum`` one second after ``folder`` has a file matching ``marker_pattern``, and wait for it.

    Returns the finished process, its standard error and the descendants it had when the signal
    was sent.
    """
    process = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(folder.glob(marker_pattern)) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1)
    descendants = psutil.Process(process.pid).children(recursive=True)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    return process, stderr, descendants
