"""Publica la retroalimentación como comentario de una pull request (API REST de GitHub).

Lo usa el último paso de ``.github/workflows/calificar-entrega.yml``:

    python -m leccion14.grading.pr_comment --repo DUEÑO/REPO --pr NÚMERO --body-file retroalimentacion.md

El token se lee de GITHUB_TOKEN (o GH_TOKEN) y la dirección de la API, de GITHUB_API_URL.
GitHub Actions define esta variable en cada trabajo. Sin ella se usa https://api.github.com.
"""

import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

DEFAULT_API_URL = "https://api.github.com"
# GitHub rejects comment bodies longer than 65,536 characters.
MAX_BODY_CHARS = 65_536
TRUNCATION_NOTE = "\n\n… (retroalimentación recortada: el texto completo está en el resumen del trabajo de GitHub Actions)\n"


class CommentError(RuntimeError):
    """The comment could not be posted; the Spanish message names what to check."""


def comment_body(text: str) -> str:
    """Return ``text`` cut to GitHub's maximum comment length, with a note when it was cut."""
    if len(text) <= MAX_BODY_CHARS:
        return text
    return text[: MAX_BODY_CHARS - len(TRUNCATION_NOTE)] + TRUNCATION_NOTE


def post_comment(api_url: str, repository: str, number: int, body: str, token: str, timeout: float = 30.0) -> str:
    """Post ``body`` on pull request ``number`` of ``repository``; return the new comment's URL.

    Raises:
        CommentError: GitHub returned an error status or could not be reached.
    """
    url = f"{api_url.rstrip('/')}/repos/{repository}/issues/{number}/comments"
    request = urllib.request.Request(
        url,
        data=json.dumps({"body": comment_body(body)}).encode("utf-8"),
        method="POST",
        headers={
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "X-GitHub-Api-Version": "2022-11-28",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read().decode("utf-8")).get("html_url", url)
    except urllib.error.HTTPError as error:
        detail = error.read().decode("utf-8", errors="replace")[:300]
        raise CommentError(
            f"GitHub respondió {error.code} al publicar el comentario en {repository}#{number}: {detail}. "
            "Comprueba que el flujo de trabajo tiene `permissions: pull-requests: write`."
        ) from None
    except (urllib.error.URLError, TimeoutError) as error:
        raise CommentError(f"No se pudo conectar con {api_url} para publicar el comentario: {error}.") from None


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; exit status 0 once the comment is posted, 1 if GitHub rejects it, 2 on bad input."""
    from ..spanish_argparse import SpanishArgumentParser

    parser = SpanishArgumentParser(prog="python -m leccion14.grading.pr_comment", description="Publica la retroalimentación en una pull request.")
    parser.add_argument("--repo", required=True, metavar="DUEÑO/REPO", help="repositorio del estudiante, por ejemplo curso/entrega-ana")
    parser.add_argument("--pr", required=True, type=int, metavar="NÚMERO", help="número de la pull request")
    parser.add_argument("--body-file", required=True, metavar="ARCHIVO", help="Markdown que se publica (retroalimentacion.md)")
    arguments = parser.parse_args(argv)

    token = os.environ.get("GITHUB_TOKEN") or os.environ.get("GH_TOKEN")
    if not token:
        print("Error: falta el token; define GITHUB_TOKEN con ${{ github.token }} en el paso del flujo de trabajo.", file=sys.stderr)
        return 2
    body_file = Path(arguments.body_file)
    if not body_file.is_file():
        print(f"Error: no existe {body_file}; el paso «Calificar» debe escribirlo antes con --out.", file=sys.stderr)
        return 2
    api_url = os.environ.get("GITHUB_API_URL") or DEFAULT_API_URL
    try:
        url = post_comment(api_url, arguments.repo, arguments.pr, body_file.read_text(encoding="utf-8"), token)
    except CommentError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    print(f"Comentario publicado: {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
