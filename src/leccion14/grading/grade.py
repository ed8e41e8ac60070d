"""Calificación de una entrega de punta a punta; siempre escribe ``results.json``.

Orden, pensado para la memoria de Gradescope (768 MB): este proceso no importa TensorFlow hasta
que termina el grabador aislado, así que nunca hay dos copias de TensorFlow en memoria a la vez.

    python -m leccion14.grading.grade --part cnn --submission ENTREGA --tests PRUEBAS --results results.json
"""

import argparse
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

from . import recorder
from .models import SubmissionError
from .recording import Recording, record_module
from .results import failure_results, gradescope_results, write_results
from .submission import PARTS, find_file, unpack_submission

MODULES = {"cnn": "cnn_cifar", "lstm": "lstm_repsol"}
log = logging.getLogger("leccion14.grading")


def default_plan_dir(part: str) -> Path:
    """Return the cached plan folder of ``part`` (LECCION14_GRADING_PLANS or build/grading/plans)."""
    from .. import paths

    root = os.environ.get("LECCION14_GRADING_PLANS") or paths.build_dir() / "grading" / "plans"
    return Path(root) / MODULES[part]


def ensure_plan(part: str, plan_dir: Path) -> Path:
    """Build the probe plan of ``part`` in a child process unless ``plan_dir`` already has one."""
    if (plan_dir / "plan.json").is_file():
        return plan_dir
    staging = Path(tempfile.mkdtemp(prefix="plan-", dir=plan_dir.parent if plan_dir.parent.exists() else None))
    # A child process keeps Keras out of this process until the sandbox has finished.
    subprocess.run([sys.executable, "-m", "leccion14.grading.recording", MODULES[part], str(staging)], check=True)
    plan_dir.parent.mkdir(parents=True, exist_ok=True)
    if plan_dir.exists():
        shutil.rmtree(plan_dir)
    shutil.move(staging, plan_dir)
    return plan_dir


def _missing_module_recording(module: str, plan_dir: Path) -> Recording:
    import json

    plan = json.loads((plan_dir / "plan.json").read_text(encoding="utf-8"))
    error = {"class": "FileNotFoundError", "message": f"la entrega no contiene {module}.py"}
    results = {probe["name"]: {"status": recorder.IMPORT_FAILED, "error": error} for probe in plan["probes"]}
    return Recording(module=module, folder=plan_dir, results=results)


def _grade(part: str, submission: Path, tests_dir: Path, plan_dir: Path, scratch: Path) -> dict:
    module = MODULES[part]
    root = unpack_submission(submission, scratch / "entrega")
    notes = []
    module_file = find_file(root, PARTS[part].module)
    if module_file is None:
        notes.append(f"Falta {PARTS[part].module} en la entrega: las pruebas de sus funciones fallan. Exporta con grader.export().")
        recording = _missing_module_recording(module, plan_dir)
    else:
        # The sandbox account must reach its folder, so it lives outside the private scratch.
        sandbox_dir = Path(tempfile.mkdtemp(prefix=f"sandbox-{module}-"))
        recording = record_module(module, module_file, plan_dir, folder=sandbox_dir)
        for gap in recording.isolation:
            log.warning("Aislamiento incompleto: %s", gap)
        log.info("Grabador de %s: %s", module, {name: result["status"] for name, result in recording.results.items()})

    # Trusted step: from here on TensorFlow is loaded in this process.
    from .dataset import use_grading_data
    from .environment import load_artefacts
    from .otter_tests import load_test_files, run_test_files
    from .replay import Replayer

    use_grading_data()
    artefacts, problems = load_artefacts(part, root)
    environment = {**Replayer(module, recording.folder, recording.results).functions(), **artefacts}
    questions = run_test_files(load_test_files(tests_dir), environment)
    if recording.folder != plan_dir:
        shutil.rmtree(recording.folder, ignore_errors=True)
    return gradescope_results(questions, notes + problems)


def grade_submission(part: str, submission: Path, tests_dir: Path, results_path: Path, plan_dir: Path | None = None) -> dict:
    """Grade one submission of ``part`` and write Gradescope's results file, even on failure."""
    results = failure_results("Error interno del autocorrector; avisa al profesorado.")
    try:
        plan_dir = ensure_plan(part, Path(plan_dir or default_plan_dir(part)))
        with tempfile.TemporaryDirectory(prefix="calificacion-") as scratch:
            results = _grade(part, Path(submission), Path(tests_dir), plan_dir, Path(scratch))
    except SubmissionError as error:
        results = failure_results(str(error))
    except Exception:  # noqa: BLE001 - whatever happens, Gradescope must get a results file
        log.error("La calificación falló:\n%s", traceback.format_exc())
    finally:
        write_results(results_path, results)
    return results


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; the exit status is 0 whenever a results file was written."""
    from ..spanish_argparse import SpanishArgumentParser

    parser = SpanishArgumentParser(prog="python -m leccion14.grading.grade", description="Califica una entrega y escribe results.json.")
    parser.add_argument("--part", choices=sorted(MODULES), required=True, help="parte de la lección: cnn o lstm")
    parser.add_argument("--submission", required=True, help="zip exportado por Otter o carpeta con la entrega")
    parser.add_argument("--tests", required=True, help="carpeta con los archivos de prueba de Otter (públicas y ocultas)")
    parser.add_argument("--results", required=True, help="ruta del results.json que se escribe")
    parser.add_argument("--plan", default=None, help="carpeta del plan de sondas (por defecto build/grading/plans/<módulo>)")
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    results = grade_submission(arguments.part, Path(arguments.submission), Path(arguments.tests), Path(arguments.results), arguments.plan and Path(arguments.plan))
    print(f"Puntuación: {results['score']}; resultados en {arguments.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
