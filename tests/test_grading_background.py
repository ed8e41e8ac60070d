"""Recording in a forked child while the grader starts JAX: crashes, errors, stopping, the gates, matplotlib and scipy.stats.

Everything runs in one fresh grader process (about 10 s), because a fork is only allowed in a
process whose JAX has not started and whose initial environment is clean (never pytest's own).
The grader reports 4 GiB free, so the checks also run on a machine with less.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from leccion14.grading.codec import write_json
from leccion14.grading.preload import clean_environment

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="cambiar de usuario y de montajes requiere root")

# The student's module: it imports matplotlib itself, sleeps so that the grader's JAX is running
# by the time ``dos`` kills the recorder, ``tres`` needs the relaunch and ``cuatro`` uses the
# scipy.stats that the grader deferred.
MODULE = """
import time
import matplotlib.pyplot as plt

def uno():
    time.sleep(1)
    return plt.__name__

def dos():
    import os
    os._exit(3)

def tres():
    return 3

def cuatro():
    from scipy import stats
    return round(float(stats.norm.ppf(0.975)), 2)
"""

# A module that the grader stops while it is still being imported.
SLOW_MODULE = """
import time
time.sleep(60)
"""

GRADER = """
import json, os, sys, tempfile, time
from pathlib import Path
import psutil
from leccion14.grading.backend import use_grading_backend
use_grading_backend()
from leccion14.grading import background_recording
from leccion14.grading.background_recording import BACKGROUND_SWITCH, BackgroundRecording
from leccion14.grading.preload import fork_is_safe, preload
from leccion14.grading.sandbox import SandboxLimits

plan, module, slow, missing = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
report = {"preloaded": preload(), "matplotlib_after_keras": "matplotlib" in sys.modules}
# scikit-learn imported scipy.stats during preload(); it is still a module that loads on first use.
report["scipy_stats_deferred"] = type(sys.modules["scipy.stats"]).__name__ == "_LazyModule"
limits = SandboxLimits(wall_seconds=60)

def left_behind():
    return sorted(path.name for path in Path(tempfile.gettempdir()).glob("grabacion-*"))

def sandbox_left():
    # The forked recorder keeps this process's command line, which names the slow module.
    time.sleep(0.5)
    return [
        process.pid for process in psutil.process_iter(["uids", "cmdline"])
        if process.info["uids"] and process.info["uids"].real != 0 and str(slow) in " ".join(process.info["cmdline"] or [])
    ]

# A box without 2 GiB free, or the switch at 0, records in this process, one step after the other.
background_recording.available_memory = lambda: 768 * 1000**2
report["started_in_small_box"] = BackgroundRecording.start("lstm_repsol", module, plan, limits) is not None
background_recording.available_memory = lambda: 4 * 1024**3
report["started_when_switched_off"] = []
for value in ("0", "false", " OFF", "No"):
    os.environ[BACKGROUND_SWITCH] = value
    report["started_when_switched_off"].append(BackgroundRecording.start("lstm_repsol", module, plan, limits) is not None)
del os.environ[BACKGROUND_SWITCH]

# An error in the child reaches this process, and its folder is deleted.
failing = BackgroundRecording.start("lstm_repsol", module, missing, limits)
assert failing is not None, "no se pudo grabar en segundo plano"
try:
    failing.result()
    report["error"] = None
except RuntimeError as error:
    report["error"] = str(error)
report["left_after_error"] = left_behind()

# A recording that is no longer needed is stopped at once, sandbox included, and deleted.
stopped = BackgroundRecording.start("lstm_repsol", slow, plan, limits)
# Time for the sandboxed recorder to start and enter the module's sleep.
time.sleep(2)
started = time.perf_counter()
stopped.discard()
report["discard_seconds"] = time.perf_counter() - started
report["sandbox_left_after_discard"] = sandbox_left()
report["left_after_discard"] = left_behind()

# Ctrl+C while waiting for the result stops the child and its sandbox, and deletes the folder.
import signal
def interrupt(signum, frame):
    raise KeyboardInterrupt
signal.signal(signal.SIGALRM, interrupt)
waited = BackgroundRecording.start("lstm_repsol", slow, plan, limits)
signal.setitimer(signal.ITIMER_REAL, 2)
started = time.perf_counter()
try:
    waited.result()
except KeyboardInterrupt:
    report["interrupted_seconds"] = time.perf_counter() - started
report["sandbox_left_after_interrupt"] = sandbox_left()
report["left_after_interrupt"] = left_behind()

background = BackgroundRecording.start("lstm_repsol", module, plan, limits)
import keras
report["jax_result"] = float(keras.ops.sum(keras.ops.ones((3,))))
report["fork_safe_after_jax"] = fork_is_safe()
recording = background.result()
from sklearn.preprocessing import QuantileTransformer
import numpy as np
report["quantiles_after_deferral"] = QuantileTransformer(n_quantiles=5, output_distribution="normal").fit_transform(np.arange(5.0).reshape(-1, 1)).ravel().round(2).tolist()
report.update(results=recording.results, forked=recording.forked, folder_exists=recording.folder.is_dir())
recording.remove()
print(json.dumps(report))
"""


@pytest.fixture(scope="module")
def grader_report(tmp_path_factory):
    scratch = tmp_path_factory.mktemp("segundo-plano")
    plan = scratch / "plan"
    plan.mkdir()
    probes = [{"name": name, "function": name, "args": {"type": "tuple", "items": []}, "timeout_s": 30} for name in ("uno", "dos", "tres", "cuatro")]
    write_json(plan / "plan.json", {"module": "lstm_repsol", "module_file": "lstm_repsol.py", "probes": probes})
    module = scratch / "lstm_repsol.py"
    module.write_text(textwrap.dedent(MODULE), encoding="utf-8")
    slow = scratch / "lento.py"
    slow.write_text(textwrap.dedent(SLOW_MODULE), encoding="utf-8")
    # Its own temporary folder, so that recording folders left behind can be counted.
    private = Path(tempfile.mkdtemp(prefix="segundo-plano-"))
    private.chmod(0o711)
    environment = {**clean_environment(dict(os.environ)), "TMPDIR": str(private)}
    command = [sys.executable, "-c", GRADER, str(plan), str(module), str(slow), str(scratch / "no-existe")]
    try:
        completed = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=300)
    finally:
        shutil.rmtree(private, ignore_errors=True)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


@ROOT_ONLY
def test_scipy_stats_loads_on_first_use(grader_report):
    assert grader_report["scipy_stats_deferred"] is True
    # scikit-learn's own use of scipy.stats in the grader, and a student's in the sandbox.
    assert grader_report["quantiles_after_deferral"] == [-5.2, -0.67, 0.0, 0.67, 5.2]
    assert grader_report["results"]["cuatro"]["value"]["value"] == 1.96


def test_keras_loads_without_matplotlib(grader_report):
    assert grader_report["preloaded"]
    assert grader_report["matplotlib_after_keras"] is False


@ROOT_ONLY
def test_small_box_records_in_series(grader_report):
    assert grader_report["started_in_small_box"] is False


@ROOT_ONLY
def test_switch_records_in_series(grader_report):
    assert grader_report["started_when_switched_off"] == [False, False, False, False]


@ROOT_ONLY
def test_child_error_reported(grader_report):
    assert "El proceso que graba la entrega falló" in grader_report["error"]
    assert "no-existe" in grader_report["error"]
    assert grader_report["left_after_error"] == []


@ROOT_ONLY
def test_discard_stops_sandbox(grader_report):
    # The slow module sleeps 60 s at import; waiting for it would take that long.
    assert grader_report["discard_seconds"] < 20
    assert grader_report["sandbox_left_after_discard"] == []
    assert grader_report["left_after_discard"] == []


@ROOT_ONLY
def test_interrupted_wait_stops_sandbox(grader_report):
    assert grader_report["interrupted_seconds"] < 20
    assert grader_report["sandbox_left_after_interrupt"] == []
    assert grader_report["left_after_interrupt"] == []


@ROOT_ONLY
def test_crash_relaunched_as_fork_while_jax_runs(grader_report):
    assert grader_report["jax_result"] == 3.0
    # JAX had started here, so only the child could still fork the relaunched recorder.
    assert grader_report["fork_safe_after_jax"] is False
    assert grader_report["forked"]
    results = grader_report["results"]
    assert results["uno"]["status"] == "returned"
    # The student's own matplotlib import works in the sandbox.
    assert results["uno"]["value"]["value"] == "matplotlib.pyplot"
    assert results["dos"]["status"] == "crashed"
    assert results["dos"]["returncode"] == 3
    assert results["tres"]["status"] == "returned"
    assert results["tres"]["value"]["value"] == 3
    assert grader_report["folder_exists"]
