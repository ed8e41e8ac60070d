"""Calificación de un repositorio de GitHub Classroom con las pruebas públicas que contiene.

La usa ``.github/workflows/calificar-entrega.yml``: busca el módulo del estudiante en el
repositorio, califica esa carpeta con su ``tests/`` y escribe ``results.json`` y la página de
retroalimentación, que el flujo publica en el resumen del trabajo y como comentario.

    python -m leccion14.grading.classroom --repo REPO --out CARPETA [--summary ARCHIVO]

Las pruebas están a la vista en el repositorio del estudiante, así que aquí solo se usan las
públicas. Las ocultas se quedan en Gradescope o en ``make grade``.
"""

import argparse
import logging
import sys
from pathlib import Path

from .atomic import write_text_atomic
from .backend import use_grading_backend
from .feedback import feedback_markdown
from .grade import grade_submission
from .submission import PARTS


class ClassroomError(Exception):
    """The repository does not contain exactly one gradable part; the message names the fix."""


def find_part(repo: Path) -> tuple[str, Path]:
    """Return (part, folder) of the single student module in ``repo``, outside .git."""
    found = []
    for part, files in PARTS.items():
        for path in Path(repo).rglob(files.module):
            if ".git" not in path.parts and path.is_file() and not path.is_symlink():
                found.append((part, path.parent))
    if len(found) != 1:
        names = ", ".join(str(folder / PARTS[part].module) for part, folder in found) or "ninguno"
        raise ClassroomError(
            f"El repositorio {repo} debe contener exactamente un cnn_cifar.py o lstm_repsol.py y contiene: {names}. "
            "Deja solo el módulo de tu parte, en la carpeta del cuaderno."
        )
    return found[0]


def grade_repository(repo: Path, out_dir: Path) -> tuple[dict, str]:
    """Grade the student module of ``repo`` with its public tests; return (results, feedback page)."""
    part, folder = find_part(Path(repo))
    tests = folder / "tests"
    if not any(tests.glob("*.py")):
        raise ClassroomError(f"No hay pruebas públicas en {tests}. No borres la carpeta tests/ que viene con el cuaderno.")
    out_dir = Path(out_dir)
    results = grade_submission(part, folder, tests, out_dir / "results.json")
    page = feedback_markdown(Path(repo).resolve().name, "ok" if results.get("tests") else "invalid", results)
    page += "\n> Esta calificación usa solo las pruebas públicas. La nota final la dan también las pruebas ocultas.\n"
    write_text_atomic(out_dir / "retroalimentacion.md", page)
    return results, page


def main(argv: list[str] | None = None) -> int:
    """Grade one repository; exit status 0 once the feedback is written, 2 if it cannot be graded."""
    from ..spanish_argparse import SpanishArgumentParser

    parser = SpanishArgumentParser(prog="python -m leccion14.grading.classroom", description="Califica el repositorio de un estudiante con sus pruebas públicas.")
    parser.add_argument("--repo", required=True, help="carpeta del repositorio del estudiante")
    parser.add_argument("--out", required=True, help="carpeta donde se escriben results.json y retroalimentacion.md")
    parser.add_argument("--summary", default=None, help="archivo al que se añade la retroalimentación (el resumen del trabajo de GitHub Actions)")
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    use_grading_backend()
    try:
        results, page = grade_repository(Path(arguments.repo), Path(arguments.out))
    except ClassroomError as error:
        page = f"# No se pudo calificar la entrega\n\n{error}\n"
        print(f"Error: {error}", file=sys.stderr)
        if arguments.summary:
            with open(arguments.summary, "a", encoding="utf-8") as handle:
                handle.write(page)
        return 2
    if arguments.summary:
        with open(arguments.summary, "a", encoding="utf-8") as handle:
            handle.write(page)
    print(f"Puntuación con las pruebas públicas: {results['score']}; retroalimentación en {Path(arguments.out) / 'retroalimentacion.md'}")
    return 0


if __name__ == "__main__":
    from .preload import reexec_with_clean_environment

    # The forked recorder inherits this process's memory, environment included: no secrets there.
    reexec_with_clean_environment()
    sys.exit(main())
