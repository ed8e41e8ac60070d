"""The workflow's pull-request comment step, run against a GitHub API stand-in on 127.0.0.1."""

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

from leccion14 import paths
from leccion14.grading.pr_comment import MAX_BODY_CHARS, TRUNCATION_NOTE, comment_body

WORKFLOW = paths.REPO_ROOT / ".github" / "workflows" / "calificar-entrega.yml"
# Values GitHub Actions substitutes into the step's `${{ … }}` expressions.
EXPRESSIONS = {"${{ github.repository }}": "curso/entrega-ana", "${{ github.event.pull_request.number }}": "7"}


@pytest.fixture
def github_api():
    """Serve POST /repos/.../comments on a free loopback port; record each request."""
    requests = []
    status = {"code": 201}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers["Content-Length"])
            requests.append({"path": self.path, "headers": dict(self.headers), "body": json.loads(self.rfile.read(length))})
            if status["code"] == 201:
                answer = {"html_url": f"https://github.com/curso/entrega-ana/pull/7#issuecomment-{len(requests)}"}
            else:
                answer = {"message": "Resource not accessible by integration"}
            payload = json.dumps(answer).encode()
            self.send_response(status["code"])
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *arguments):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_address[1]}", "requests": requests, "status": status}
    server.shutdown()
    server.server_close()


def comment_step() -> dict:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    steps = workflow["jobs"]["calificar"]["steps"]
    return next(step for step in steps if step.get("name") == "Comentar en la pull request")


def run_step(tmp_path, api_url: str, token: str | None = "token-de-prueba") -> subprocess.CompletedProcess:
    script = comment_step()["run"]
    for expression, value in EXPRESSIONS.items():
        script = script.replace(expression, value)
    out = tmp_path / "calificacion"
    out.mkdir(exist_ok=True)
    (out / "retroalimentacion.md").write_text("# Calificación\n\nNota: 14/14 ✔\n", encoding="utf-8")
    environment = {key: value for key, value in os.environ.items() if key not in ("GITHUB_TOKEN", "GH_TOKEN")}
    environment.update(PYTHON=sys.executable, GRADING_OUT=str(out), GITHUB_API_URL=api_url, PYTHONUTF8="1")
    if token is not None:
        environment["GITHUB_TOKEN"] = token
    return subprocess.run(["bash", "-e", "-c", script], env=environment, capture_output=True, text=True, timeout=60)


def test_step_posts_comment(tmp_path, github_api):
    completed = run_step(tmp_path, github_api["url"])

    assert completed.returncode == 0, completed.stderr
    assert "Comentario publicado" in completed.stdout
    (request,) = github_api["requests"]
    assert request["path"] == "/repos/curso/entrega-ana/issues/7/comments"
    assert request["headers"]["Authorization"] == "Bearer token-de-prueba"
    assert request["body"] == {"body": "# Calificación\n\nNota: 14/14 ✔\n"}


def test_step_reports_rejected_comment(tmp_path, github_api):
    github_api["status"]["code"] = 403

    completed = run_step(tmp_path, github_api["url"])

    assert completed.returncode == 1
    assert "GitHub respondió 403" in completed.stderr
    assert "pull-requests: write" in completed.stderr


def test_step_requires_token(tmp_path, github_api):
    completed = run_step(tmp_path, github_api["url"], token=None)

    assert completed.returncode == 2
    assert "GITHUB_TOKEN" in completed.stderr
    assert github_api["requests"] == []


def test_long_body_cut_to_limit():
    body = comment_body("x" * (MAX_BODY_CHARS + 10))

    assert len(body) == MAX_BODY_CHARS
    assert body.endswith(TRUNCATION_NOTE)
    assert comment_body("corto") == "corto"
