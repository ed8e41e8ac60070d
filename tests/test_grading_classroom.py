"""The GitHub Classroom workflow's grading step, run locally on a simulated student repository.

The test reads the step named "Calificar" from .github/workflows/calificar-entrega.yml and runs
its shell script with the variables GitHub would set (about 15 s: one sandboxed grading).
"""

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hostile.submissions import reference_submission, stub_submission
from leccion14 import paths

WORKFLOW = paths.REPO_ROOT / ".github" / "workflows" / "calificar-entrega.yml"
PUBLIC_TESTS = paths.REPO_ROOT / "assignments" / "lstm" / "tests"


def grading_step() -> dict:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    steps = workflow["jobs"]["calificar"]["steps"]
    return next(step for step in steps if step.get("name") == "Calificar")


def sudo_shim(folder: Path) -> Path:
    """A `sudo` that drops its options and runs the command (the tests already run as root)."""
    folder.mkdir()
    shim = folder / "sudo"
    shim.write_text('#!/bin/sh\nwhile [ "${1#--}" != "$1" ]; do shift; done\nexec "$@"\n', encoding="utf-8")
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    return folder


def run_step(repo: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess, Path, Path]:
    summary = tmp_path / "resumen.md"
    summary.touch()
    out = tmp_path / "calificacion"
    shims = sudo_shim(tmp_path / "bin")
    environment = {
        **os.environ,
        "PATH": f"{shims}{os.pathsep}{os.environ['PATH']}",
        "PYTHON": sys.executable,
        "STUDENT_REPO": str(repo),
        "GRADING_OUT": str(out),
        "GITHUB_STEP_SUMMARY": str(summary),
        "PYTHONUTF8": "1",
    }
    completed = subprocess.run(["bash", "-e", "-c", grading_step()["run"]], env=environment, capture_output=True, text=True)
    return completed, summary, out


def student_repo(root: Path, module_folder: Path) -> Path:
    """Lay out a Classroom repository: the part's folder with module, public tests and entrega/."""
    repo = root / "leccion14-alumna"
    (repo / ".git").mkdir(parents=True)
    shutil.copytree(module_folder, repo / "lstm")
    shutil.copytree(PUBLIC_TESTS, repo / "lstm" / "tests")
    return repo


@pytest.mark.skipif(os.geteuid() != 0, reason="el paso de la integración continua se ejecuta con sudo")
def test_step_posts_feedback(tmp_path, reference_dir):
    repo = student_repo(tmp_path, reference_submission(tmp_path / "modulo", reference_dir))
    completed, summary, out = run_step(repo, tmp_path)
    assert completed.returncode == 0, completed.stderr[-3000:]
    page = summary.read_text(encoding="utf-8")
    assert page.startswith("# Retroalimentación de la entrega `leccion14-alumna`")
    assert "solo las pruebas públicas" in page
    assert (out / "results.json").is_file()
    assert (out / "retroalimentacion.md").read_text(encoding="utf-8") == page


@pytest.mark.skipif(os.geteuid() != 0, reason="el paso de la integración continua se ejecuta con sudo")
def test_step_runs_public_tests_only(tmp_path, reference_dir):
    repo = student_repo(tmp_path, stub_submission(tmp_path / "modulo"))
    completed, summary, out = run_step(repo, tmp_path)
    assert completed.returncode == 0, completed.stderr[-3000:]
    page = summary.read_text(encoding="utf-8")
    assert "Prueba oculta" not in page
    assert "Prueba pública 1 (1 pt): fallida. NotImplementedError" in page


def test_step_rejects_two_modules(tmp_path):
    repo = tmp_path / "repo"
    for part in ("a", "b"):
        (repo / part).mkdir(parents=True)
        (repo / part / "lstm_repsol.py").write_text("", encoding="utf-8")
    completed, summary, _ = run_step(repo, tmp_path)
    assert completed.returncode == 2
    assert "debe contener exactamente un cnn_cifar.py o lstm_repsol.py" in summary.read_text(encoding="utf-8")
