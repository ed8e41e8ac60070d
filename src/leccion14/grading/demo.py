"""Calificación de las entregas de muestra y tabla de notas en español (``make demo``)."""

import logging
import os
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from .. import paths
from ..spanish_numbers import decimal
from .backend import use_grading_backend
from .dataset import ensure_grading_data
from .grade import RecordingCache, grade_submission
from .package import otter_tests_dir
from .samples import SampleSubmission, build_submission, feedback_text, load_corpus, score_differences, standard_samples


@dataclass
class GradedSample:
    """One sample submission with its results and the differences from what it should score."""

    sample: SampleSubmission
    results: dict
    seconds: float
    problems: list[str]


def check_sample(sample: SampleSubmission, results: dict) -> list[str]:
    """Return the Spanish differences between ``results`` and what ``sample`` must score and show."""
    problems = score_differences(sample, results)
    if not results.get("tests"):
        problems.append(f"{sample.name}: no se calificó ningún apartado. Salida: {results.get('output', '')[:300]}")
    if sample.message and sample.message not in feedback_text(results):
        problems.append(f"{sample.name}: la salida no contiene el mensaje esperado «{sample.message}».")
    return problems


def grade_samples(
    samples: list[SampleSubmission], reference: Path, workdir: Path, tests_dirs: dict[str, Path] | None = None
) -> list[GradedSample]:
    """Build and grade each sample in ``workdir``; modules shared by several samples are recorded once.

    ``tests_dirs`` maps each part to its Otter tests (default: the output of ``make student``).
    """
    tests_dirs = tests_dirs or {part: otter_tests_dir(part) for part in ("cnn", "lstm")}
    cache = RecordingCache()
    graded = []
    try:
        for sample in samples:
            folder = Path(workdir) / sample.name
            submission = build_submission(sample, reference, folder / "entrega")
            start = time.perf_counter()
            results = grade_submission(sample.part, submission, tests_dirs[sample.part], folder / "results.json", cache=cache)
            graded.append(GradedSample(sample, results, time.perf_counter() - start, check_sample(sample, results)))
    finally:
        cache.close()
    return graded


def grade_table(graded: list[GradedSample]) -> str:
    """Return the grade table: one row per sample with its score, the expected score and the verdict."""
    header = f"{'Entrega':<28} {'Parte':<5} {'Nota':>9} {'Esperada':>9}  {'Resultado':<10} Descripción"
    lines = [header, "-" * len(header)]
    for item in graded:
        possible = sum(test["max_score"] for test in item.results.get("tests", []))
        expected = possible
        if item.sample.stub:
            expected = 0.0
        elif item.sample.total is not None:
            expected = item.sample.total
        verdict = "correcto" if not item.problems else "DIFERENTE"
        lines.append(
            f"{item.sample.name:<28} {item.sample.part:<5} "
            f"{decimal(item.results['score']) + '/' + decimal(possible):>9} {decimal(expected):>9}  "
            f"{verdict:<10} {item.sample.description}"
        )
    return "\n".join(lines)


def run_demo(reference: Path | None = None) -> int:
    """Grade the reference, the stubs and the corpus on the real data; print the table; return the exit status."""
    reference = Path(reference or paths.build_dir() / "reference")
    if not (reference / "metrics.json").is_file():
        print(f"No hay ejecución de referencia en {reference}; entrenando los dos modelos (unos 2,5 minutos)…", flush=True)
        # Training runs on TensorFlow, like the calibration, in its own process; this one grades on JAX.
        subprocess.run([sys.executable, "-m", "leccion14.cli", "reference", "--out", str(reference)], check=True)
    use_grading_backend()
    # Models saved right after compile() have no optimizer state yet, so Keras warns once per
    # load. The warning is about Keras, not about the submission.
    warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    # Grade from the exported data, as the Gradescope package does.
    os.environ.setdefault("LECCION14_GRADING_DATA", str(ensure_grading_data()))
    samples = standard_samples() + load_corpus()
    print(f"Calificando {len(samples)} entregas de muestra…", flush=True)
    with tempfile.TemporaryDirectory(prefix="demo-") as workdir:
        graded = grade_samples(samples, reference, Path(workdir))
    print(grade_table(graded))
    problems = [problem for item in graded for problem in item.problems]
    slowest = max(graded, key=lambda item: item.seconds)
    print(f"\nTiempo por entrega: máximo {decimal(slowest.seconds, 1)} s ({slowest.sample.name}).")
    if problems:
        print(f"{len(problems)} diferencias con lo esperado:")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print(f"Las {len(graded)} entregas obtienen la nota y el mensaje esperados.")
    return 0
