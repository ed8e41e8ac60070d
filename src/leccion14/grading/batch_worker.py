"""Calificación de una entrega dentro de un lote; un proceso por entrega.

    python -m leccion14.grading.batch_worker --part P --submission S --tests T --plan PLAN \
        --results results.json --report informe.json [--sandbox-seconds N]

Escribe ``results.json`` (siempre, como ``grade_submission``) y ``informe.json`` con el estado
(``ok``, ``timeout``, ``error`` o ``invalid``) y las huellas de los artefactos. Un proceso por
entrega aísla al lote: si este proceso muere, solo esa entrega queda con estado ``error``.
"""

import argparse
import logging
import sys
import tempfile
from pathlib import Path

from . import grade, recorder
from .atomic import write_text_atomic
from .backend import use_grading_backend
from .fingerprints import fingerprint_submission
from .models import SubmissionError
from .sandbox import SandboxLimits
from .submission import unpack_submission

log = logging.getLogger("leccion14.grading")


class _ErrorCounter(logging.Handler):
    """Count ERROR records: ``grade_submission`` logs one for every internal failure it catches."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def _capture_recordings(limits: SandboxLimits | None) -> list:
    """Wrap ``grade.record_module`` to keep each Recording and apply ``limits``; return the list."""
    recordings = []
    original = grade.record_module

    def record_module(*args, **kwargs):
        if limits is not None:
            kwargs["limits"] = limits
        recording = original(*args, **kwargs)
        recordings.append(recording)
        return recording

    # NOTE: grade_submission returns no status, so the worker reads the probe statuses here.
    grade.record_module = record_module
    return recordings


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
    recordings = _capture_recordings(limits)
    results = grade.grade_submission(part, submission, tests, results_path, plan)
    import_killed = False
    for recording in recordings:
        report["probes"].update({name: result["status"] for name, result in recording.results.items()})
        # NOTE: the recording marks an import that the sandbox's wall clock stopped only through
        # the exit code (-9, SIGKILL) in its message.
        import_killed |= any(
            result["status"] == recorder.IMPORT_FAILED and "(código -9)" in str(result.get("error", {}).get("message", ""))
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


def main(argv: list[str] | None = None) -> int:
    """Grade one submission of a batch; exit status 0 once the report is written."""
    import json

    parser = argparse.ArgumentParser(prog="python -m leccion14.grading.batch_worker")
    parser.add_argument("--part", required=True)
    parser.add_argument("--submission", required=True, type=Path)
    parser.add_argument("--tests", required=True, type=Path)
    parser.add_argument("--plan", required=True, type=Path)
    parser.add_argument("--results", required=True, type=Path)
    parser.add_argument("--report", required=True, type=Path)
    parser.add_argument("--sandbox-seconds", type=float, default=None)
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    use_grading_backend()

    limits = None if arguments.sandbox_seconds is None else SandboxLimits(wall_seconds=arguments.sandbox_seconds)
    report = grade_in_batch(arguments.part, arguments.submission, arguments.tests, arguments.plan, arguments.results, limits)
    write_text_atomic(arguments.report, json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
