"""Escritura de ``results.json`` en el formato del autocorrector de Gradescope.

Campos que se escriben: ``score`` total, ``output`` (resumen en español), ``stdout_visibility`` y
``tests``, con ``name``, ``score``, ``max_score``, ``output`` y ``visibility`` por apartado.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .codec import write_json
from ..spanish_numbers import decimal

if TYPE_CHECKING:
    # Importing Otter costs about 70 MB; the grading process must stay small while the sandboxed
    # recorder runs, so Otter loads only in the trusted step.
    from .otter_tests import QuestionResult


def question_output(question: QuestionResult) -> str:
    """Return the Spanish feedback of one question: each case, passed or failed, with its message."""
    lines = []
    for number, case in enumerate(question.cases, start=1):
        kind = "oculta" if case.hidden else "pública"
        header = f"Prueba {kind} {number} ({decimal(case.points)} pt): "
        if case.passed:
            lines.append(header + "superada.")
        else:
            lines.append(header + f"fallida. {case.message}")
    return "\n".join(lines)


def gradescope_results(questions: list[QuestionResult], notes: list[str]) -> dict:
    """Build the results dict: one test per question and a Spanish summary in ``output``."""
    total = sum(question.score for question in questions)
    possible = sum(question.max_score for question in questions)
    summary = [f"Puntuación: {decimal(round(total, 3))} de {decimal(possible)}."]
    failed = [question.name for question in questions if question.score < question.max_score]
    if failed:
        summary.append("Apartados con pruebas fallidas: " + ", ".join(failed) + ". Cada apartado explica qué cambiar.")
    else:
        summary.append("Todas las pruebas superadas.")
    summary.extend(notes)
    return {
        "score": round(total, 5),
        "output": "\n".join(summary),
        "stdout_visibility": "hidden",
        "tests": [
            {
                "name": question.name,
                "score": round(question.score, 5),
                "max_score": round(question.max_score, 5),
                "output": question_output(question),
                "visibility": "visible",
            }
            for question in questions
        ],
    }


def failure_results(message: str) -> dict:
    """Build the results dict of a submission that could not be graded at all (score 0)."""
    return {
        "score": 0,
        "output": f"El autocorrector no pudo calificar esta entrega. {message}",
        "stdout_visibility": "hidden",
        "tests": [],
    }


def write_results(path: Path, results: dict) -> None:
    """Write ``results`` to ``path`` (atomically), creating the folder if needed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, results)
