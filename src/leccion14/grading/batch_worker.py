"""Calificación de las entregas de un lote; un proceso por entrega.

Un servidor por hueco de trabajo del lote, que importa Keras una vez y crea un proceso por entrega
con ``fork``:

    python -m leccion14.grading.batch_worker --serve --part P --tests T --plan PLAN [--sandbox-seconds N]

Lee una petición JSON por línea en la entrada estándar (``submission``, ``results``, ``report``,
``scratch`` y ``log``) y contesta por la salida estándar con dos líneas JSON: ``{"pid": N}`` al
crear el proceso de la entrega y ``{"returncode": R}`` cuando termina. El proceso de la entrega
escribe ``results.json`` (siempre, como ``grade_submission``), su registro en ``log`` e
``informe.json`` con el estado (``ok``, ``timeout``, ``error`` o ``invalid``) y las huellas de los
artefactos. Si ese proceso muere, solo su entrega queda con estado ``error``.

Sin ``--serve`` califica una sola entrega (``--submission``, ``--results``, ``--report``).
"""

import argparse
import json
import logging
import os
import signal
import sys
import tempfile
import traceback
from pathlib import Path

from . import grade, recorder
from .atomic import write_text_atomic
from .backend import use_grading_backend
from .fingerprints import fingerprint_submission
from .models import SubmissionError
from .preload import fork_with_frozen_heap, preload, redirect_standard_streams, set_process_option
from .sandbox import SandboxLimits
from .submission import unpack_submission

log = logging.getLogger("leccion14.grading")
_PR_SET_PDEATHSIG = 1


class _ErrorCounter(logging.Handler):
    """Count ERROR records: ``grade_submission`` logs one for every internal failure it catches."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def grade_in_batch(part: str, submission: Path, tests: Path, plan: Path, results_path: Path, limits: SandboxLimits | None) -> dict:
    """Grade one submission and return its report: status, message, probe statuses, fingerprints."""
    report = {"status": "ok", "message": "", "fingerprints": {}, "probes": {}}
    with tempfile.TemporaryDirectory(prefix="huellas-") as scratch:
        try:
            root = unpack_submission(submission, Path(scratch) / "entrega")
            report["fingerprints"] = fingerprint_submission(part, root)
        except SubmissionError as error:
            report.update(status="invalid", message=str(error))

    errors = _ErrorCounter()
    logging.getLogger("leccion14.grading").addHandler(errors)
    recordings = []
    # Every worker slot already keeps a core busy, so a background recording would only add memory.
    results = grade.grade_submission(
        part, submission, tests, results_path, plan, limits=limits or SandboxLimits(), recordings=recordings, background=False
    )
    import_killed = False
    for recording in recordings:
        report["probes"].update({name: result["status"] for name, result in recording.results.items()})
        # The recording marks an import that the sandbox's limits stopped as a TimeoutError.
        import_killed |= any(
            result["status"] == recorder.IMPORT_FAILED and (result.get("error") or {}).get("class") == "TimeoutError"
            for result in recording.results.values()
        )

    if report["status"] == "invalid":
        return report
    if errors.count:
        report.update(status="error", message="error interno del autocorrector; ver registro.txt")
    elif import_killed:
        report.update(status="timeout", message="la importación del módulo superó el tiempo máximo del sandbox")
    elif recorder.TIMED_OUT in report["probes"].values():
        timed_out = sorted(name for name, status in report["probes"].items() if status == recorder.TIMED_OUT)
        report.update(status="timeout", message="superaron su tiempo máximo: " + ", ".join(timed_out))
    report["score"] = results["score"]
    return report


def _grade_and_report(part: str, submission: Path, tests: Path, plan: Path, results: Path, report_path: Path, limits: SandboxLimits | None) -> None:
    report = grade_in_batch(part, submission, tests, plan, results, limits)
    write_text_atomic(report_path, json.dumps(report, ensure_ascii=False, indent=1))


def _forked_submission(request: dict, part: str, tests: Path, plan: Path, limits: SandboxLimits | None, server: int) -> None:
    """Body of the process of one submission, forked from the server ``server`` (pid); it never returns."""
    code = 1
    try:
        # Its own process group, so the batch can kill it and whatever it started at once.
        os.setpgid(0, 0)
        # A submission whose server died is stopped too: the batch has already written its row.
        set_process_option(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != server:
            raise RuntimeError("el servidor del lote terminó antes de empezar esta entrega")
        log_file = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        # The server's request and reply pipes stay with the server.
        redirect_standard_streams(os.open(os.devnull, os.O_RDONLY), log_file, log_file)
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", force=True)
        # The submission's private temporary folder, as a separate process would get it.
        os.environ["TMPDIR"] = request["scratch"]
        tempfile.tempdir = None
        _grade_and_report(part, Path(request["submission"]), tests, plan, Path(request["results"]), Path(request["report"]), limits)
        code = 0
    except BaseException:  # noqa: BLE001 - the batch reads the exit status and this log
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:  # noqa: BLE001 - nothing is left to report to
                pass
        os._exit(code)


def serve(part: str, tests: Path, plan: Path, limits: SandboxLimits | None, requests=None, replies=None) -> int:
    """Grade each submission requested on ``requests`` (standard input) in a forked process; see the module docstring.

    Keras is imported here once, without starting JAX's backend, so each submission's process and
    its sandboxed recorder start without importing it again.
    """
    requests = requests or sys.stdin
    if replies is None:
        # Replies get their own copy of standard output; anything a library prints goes to the log.
        replies = open(os.dup(1), "w", encoding="utf-8")
        os.dup2(2, 1)
    preload()
    # The trusted step's modules (Otter among them) are imported once here, not per submission.
    # None of them reads tests, calibration or data when imported, so the sandboxes inherit code only.
    from . import dataset, environment, otter_tests, outcomes, replay  # noqa: F401
    server = os.getpid()
    # NOTE: freed request lines (other submissions' file names) may remain in this heap. Each
    # submission's process and its sandbox inherit them: names only, never results or tests.
    for line in requests:
        if not line.strip():
            continue
        request = json.loads(line)
        pid = fork_with_frozen_heap()
        if pid == 0:
            _forked_submission(request, part, tests, plan, limits, server)
        # Also set here, so a kill sent right after the reply cannot miss the new group.
        try:
            os.setpgid(pid, pid)
        except OSError:
            pass
        replies.write(json.dumps({"pid": pid}) + "\n")
        replies.flush()
        _, status = os.waitpid(pid, 0)
        replies.write(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}) + "\n")
        replies.flush()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Serve a batch slot (``--serve``) or grade one submission; exit status 0 once the reports are written."""
    parser = argparse.ArgumentParser(prog="python -m leccion14.grading.batch_worker")
    parser.add_argument("--serve", action="store_true")
    parser.add_argument("--part", required=True)
    parser.add_argument("--submission", type=Path)
    parser.add_argument("--tests", required=True, type=Path)
    parser.add_argument("--plan", required=True, type=Path)
    parser.add_argument("--results", type=Path)
    parser.add_argument("--report", type=Path)
    parser.add_argument("--sandbox-seconds", type=float, default=None)
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    use_grading_backend()

    limits = None if arguments.sandbox_seconds is None else SandboxLimits(wall_seconds=arguments.sandbox_seconds)
    if arguments.serve:
        code = serve(arguments.part, arguments.tests, arguments.plan, limits)
        # Nothing is left to write, and tearing down Keras and JAX took about 0.1 s per server
        # (cProfile of a batch, 2-core CI machine) at the end of every batch.
        logging.shutdown()
        os._exit(code)
    if not (arguments.submission and arguments.results and arguments.report):
        parser.error("sin --serve hacen falta --submission, --results y --report")
    _grade_and_report(arguments.part, arguments.submission, arguments.tests, arguments.plan, arguments.results, arguments.report, limits)
    return 0


if __name__ == "__main__":
    sys.exit(main())
