"""Carpeta de resultados de un lote: manifiesto, estado por entrega y ``grades.csv``.

Estructura de ``OUT/``::

    lote.json                        parte y huella de las pruebas con que se calificó
    grades.csv                       una fila por entrega terminada
    summary.png, duplicados.csv      resumen del lote
    entregas/<entrega>/results.json  formato de Gradescope
    entregas/<entrega>/retroalimentacion.md
    entregas/<entrega>/estado.json   se escribe el último: su presencia marca la entrega terminada
    entregas/<entrega>/registro.txt  salida del proceso que la calificó
"""

import csv
import hashlib
import io
import json
from pathlib import Path

from .atomic import write_text_atomic

MANIFEST = "lote.json"
GRADES = "grades.csv"
SUMMARY_PLOT = "summary.png"
DUPLICATES = "duplicados.csv"
SUBMISSIONS_FOLDER = "entregas"
STATUSES = ("ok", "timeout", "error", "invalid")


class BatchError(Exception):
    """A batch cannot start; the message names the wrong value and the fix."""


def tests_digest(tests_dir: Path) -> str:
    """Return a SHA-256 over the names and contents of the test files in ``tests_dir``."""
    digest = hashlib.sha256()
    for path in sorted(Path(tests_dir).glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def prepare_output(out_dir: Path, part: str, digest: str, force: bool) -> None:
    """Create ``out_dir`` or check that it contains results of the same part and tests.

    Raises BatchError for a folder with another part's results, with results of other tests
    (unless ``force``), or with files that are not a batch's results.
    """
    out_dir = Path(out_dir)
    manifest_path = out_dir / MANIFEST
    if out_dir.exists() and not out_dir.is_dir():
        raise BatchError(f"La salida {out_dir} es un archivo; indica una carpeta nueva o vacía con OUT=<carpeta> en make o --out <carpeta>.")
    if manifest_path.is_file():
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            raise BatchError(f"{manifest_path} no es JSON válido; borra la carpeta {out_dir} o elige otra salida.") from None
        if manifest.get("part") != part:
            raise BatchError(
                f"La carpeta {out_dir} contiene resultados de la parte '{manifest.get('part')}' y este lote es de "
                f"la parte '{part}'. Elige otra carpeta de salida (OUT=<carpeta> en make, --out) para no mezclar las notas."
            )
        if manifest.get("tests_digest") != digest and not force:
            raise BatchError(
                f"La carpeta {out_dir} se calificó con otras pruebas de la parte '{part}'. Añade --force para "
                "recalificar todas las entregas con las pruebas actuales, o elige otra carpeta de salida."
            )
    elif out_dir.is_dir() and any(out_dir.iterdir()):
        raise BatchError(
            f"La carpeta {out_dir} no está vacía y no contiene resultados de un lote ({MANIFEST}). "
            "Elige una carpeta nueva o vacía para OUT."
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(manifest_path, json.dumps({"part": part, "tests_digest": digest}, indent=1) + "\n")


def submission_dir(out_dir: Path, name: str) -> Path:
    """Return the output folder of submission ``name``."""
    return Path(out_dir) / SUBMISSIONS_FOLDER / name


def finished_states(out_dir: Path) -> dict[str, dict]:
    """Return {submission: estado.json contents} for every finished submission in ``out_dir``."""
    states = {}
    for path in sorted((Path(out_dir) / SUBMISSIONS_FOLDER).glob("*/estado.json")):
        states[path.parent.name] = json.loads(path.read_text(encoding="utf-8"))
    return states


def read_results(out_dir: Path, name: str) -> dict:
    """Return the results.json of submission ``name``."""
    return json.loads((submission_dir(out_dir, name) / "results.json").read_text(encoding="utf-8"))


def question_maxima(all_results: dict[str, dict]) -> dict[str, float]:
    """Return {question: max_score} in test order, from the first results that list the questions."""
    for results in all_results.values():
        if results.get("tests"):
            return {test["name"]: test["max_score"] for test in results["tests"]}
    return {}


def write_grades(out_dir: Path, states: dict[str, dict], all_results: dict[str, dict]) -> None:
    """Write ``grades.csv``: submission, status, total, maximum, one column per question, seconds."""
    maxima = question_maxima(all_results)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["entrega", "estado", "puntos", "puntos_max", *maxima, "segundos"])
    for name, state in sorted(states.items()):
        results = all_results[name]
        scores = {test["name"]: test["score"] for test in results.get("tests", [])}
        # Floats throughout, so an invalid submission's 0 reads like the other rows' 0.0.
        row = [name, state["status"], float(results.get("score", 0)), float(sum(maxima.values()))]
        row += [float(scores.get(question, 0)) for question in maxima]
        row.append(f"{state['seconds']:.1f}")
        writer.writerow(row)
    write_text_atomic(Path(out_dir) / GRADES, buffer.getvalue())
