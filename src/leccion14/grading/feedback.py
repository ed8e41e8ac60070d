"""Página de retroalimentación en Markdown para el estudiante, a partir de ``results.json``."""

from ..spanish_numbers import decimal

STATUS_TEXT = {
    "ok": "calificada",
    "timeout": "calificada; parte del código superó su tiempo máximo",
    "error": "no calificada por un error interno del autocorrector; avisa al profesorado",
    "invalid": "no calificada: la entrega no se pudo leer",
}


def _fenced(text: str) -> str:
    # The text may contain the student's own exception messages: a code block shows them as
    # they are, so they cannot add links or HTML to the rendered page.
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}text\n{text}\n{fence}"


def feedback_markdown(submission: str, status: str, results: dict) -> str:
    """Return the Spanish feedback page: status, total, a table of questions and their details."""
    tests = results.get("tests", [])
    possible = sum(test["max_score"] for test in tests)
    lines = [
        f"# Retroalimentación de la entrega `{submission}`",
        "",
        f"- Estado: {STATUS_TEXT.get(status, status)}.",
        f"- Puntuación: {decimal(round(results.get('score', 0), 3))}" + (f" de {decimal(possible)}." if tests else "."),
        "",
        "## Resumen",
        "",
        _fenced(results.get("output", "")),
    ]
    if tests:
        lines += ["", "## Apartados", "", "| Apartado | Puntos | Máximo |", "|---|---:|---:|"]
        lines += [f"| {test['name']} | {decimal(test['score'])} | {decimal(test['max_score'])} |" for test in tests]
        for test in tests:
            lines += ["", f"### {test['name']}", "", _fenced(test.get("output", ""))]
    return "\n".join(lines) + "\n"
