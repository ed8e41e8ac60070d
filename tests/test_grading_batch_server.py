"""The batch's per-slot servers: a dead server, a submission that never ends, a slot that goes on.

The first two use stand-in servers (a few lines of Python) and take about a second each. The
last grades three real submissions in one slot, about 40 s on the 2-core CI machine.
"""

import csv
import os
import sys
import textwrap
import time

import psutil
import pytest

from hostile.submissions import reference_submission
from leccion14.grading import batch
from leccion14.grading.batch import run_batch
from leccion14.grading.cgroups import CGROUP_ROOT

REQUEST = {"submission": "x", "results": "x", "report": "x", "scratch": "x", "log": "x"}


def stand_in(code: str) -> batch._Server:
    return batch._Server([sys.executable, "-c", textwrap.dedent(code)], {"PATH": os.environ["PATH"]})


def test_dead_server_reported():
    server = stand_in("import sys; sys.stdin.readline()")
    returncode, timed_out = server.grade(REQUEST, 30)
    assert (returncode, timed_out) == (None, False)
    assert not server.alive()
    server.close()


def test_hung_submission_killed_with_server(monkeypatch):
    monkeypatch.setattr(batch, "REAP_SECONDS", 1)
    server = stand_in(
        """
        import json, subprocess, sys
        sys.stdin.readline()
        child = subprocess.Popen(["sleep", "600"], start_new_session=True)
        print(json.dumps({"pid": child.pid}), flush=True)
        sys.stdin.readline()
        """
    )
    start = time.monotonic()
    returncode, timed_out = server.grade(REQUEST, 2)
    assert (returncode, timed_out) == (None, True)
    assert time.monotonic() - start < 20
    assert not server.alive()
    sleepers = [process for process in psutil.process_iter(["cmdline"]) if process.info["cmdline"] == ["sleep", "600"]]
    for process in sleepers:
        try:
            assert process.status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            pass
    server.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="el sandbox con uid propio requiere root")
def test_slot_goes_on_after_timeout(tmp_path, reference_dir, lstm_tests):
    submissions = tmp_path / "entregas"
    slow = submissions / "a_lenta"
    slow.mkdir(parents=True)
    (slow / "lstm_repsol.py").write_text("while True:\n    pass\n", encoding="utf-8")
    reference_submission(submissions / "b_referencia", reference_dir)
    # The last submission of the slot times out too: no later one reuses and removes its cgroup.
    (submissions / "c_lenta").mkdir()
    (submissions / "c_lenta" / "lstm_repsol.py").write_text("while True:\n    pass\n", encoding="utf-8")
    out = tmp_path / "salida"
    summary = run_batch(
        submissions, out, part="lstm", tests_dir=lstm_tests, workers=1, timeout_s=12, sandbox_seconds=120,
        plan_dir=tmp_path / "plan" / "lstm_repsol", progress=False,
    )
    with open(out / "grades.csv", encoding="utf-8") as handle:
        rows = {row["entrega"]: row for row in csv.DictReader(handle)}
    assert summary.graded == 3
    assert rows["a_lenta"]["estado"] == "timeout"
    assert rows["c_lenta"]["estado"] == "timeout"
    assert rows["b_referencia"]["estado"] == "ok"
    assert rows["b_referencia"]["puntos"] == rows["b_referencia"]["puntos_max"]
    # The killed submission could not remove its sandbox's cgroup; the batch does.
    first = batch.SLOT_UID_BASE + os.getpid() * batch.MAX_WORKERS
    leftovers = [
        str(folder)
        for uid in range(first, first + batch.MAX_WORKERS)
        for folder in (CGROUP_ROOT / f"leccion14-sandbox-{uid}", *(CGROUP_ROOT / name / f"leccion14-sandbox-{uid}" for name in ("cpu", "pids")))
        if folder.exists()
    ]
    assert leftovers == []
