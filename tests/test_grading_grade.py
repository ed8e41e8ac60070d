"""End-to-end grading of LSTM submissions: reference, untouched stubs and a malformed zip."""

import json
import shutil
import subprocess
import sys
import time

import pandas as pd
import psutil
import pytest

from leccion14 import paths
from leccion14.grading.grade import grade_submission



@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    return tmp_path_factory.mktemp("planes") / "lstm_repsol"


def reference_submission(folder, reference_dir):
    entrega = folder / "entrega"
    entrega.mkdir(parents=True)
    shutil.copyfile(paths.REPO_ROOT / "solutions" / "lstm_repsol.py", folder / "lstm_repsol.py")
    shutil.copyfile(reference_dir / "lstm.keras", entrega / "lstm_model.keras")
    shutil.copyfile(reference_dir / "lstm_history.json", entrega / "lstm_history.json")
    forecasts = pd.read_csv(reference_dir / "lstm_forecasts.csv")[["Date", "forecast"]]
    forecasts.to_csv(entrega / "lstm_forecasts.csv", index=False)
    return folder


def test_reference_scores_full_marks(tmp_path, lstm_tests, plan, reference_dir):
    results_file = tmp_path / "results.json"
    start = time.perf_counter()
    results = grade_submission("lstm", reference_submission(tmp_path / "entrega", reference_dir), lstm_tests, results_file, plan)
    elapsed = time.perf_counter() - start
    stored = json.loads(results_file.read_text(encoding="utf-8"))
    assert stored == results
    assert results["score"] == sum(test["max_score"] for test in results["tests"]), results["output"]
    assert results["score"] > 0
    # Includes building the plan (one extra TensorFlow start) on the first grading.
    assert elapsed < 120


def test_stubs_score_zero(tmp_path, lstm_tests, plan):
    submission = tmp_path / "entrega"
    submission.mkdir()
    shutil.copyfile(paths.REPO_ROOT / "assignments" / "lstm" / "lstm_repsol.py", submission / "lstm_repsol.py")
    results = grade_submission("lstm", submission, lstm_tests, tmp_path / "results.json", plan)
    assert results["score"] == 0
    assert len(results["tests"]) == 5
    assert "Artefacto entrega/lstm_model.keras: no está en la entrega" in results["output"]


def test_hidden_source_never_shown(tmp_path, lstm_tests, plan):
    submission = tmp_path / "entrega"
    submission.mkdir()
    shutil.copyfile(paths.REPO_ROOT / "assignments" / "lstm" / "lstm_repsol.py", submission / "lstm_repsol.py")
    results = grade_submission("lstm", submission, lstm_tests, tmp_path / "results.json", plan)
    text = json.dumps(results, ensure_ascii=False)
    assert "sliding_window_view" not in text
    assert "Error at line" not in text


def test_malformed_zip_still_writes_results(tmp_path, lstm_tests, plan):
    upload = tmp_path / "subida"
    upload.mkdir()
    (upload / "entrega.zip").write_bytes(b"esto no es un zip")
    results_file = tmp_path / "results" / "results.json"
    results = grade_submission("lstm", upload, lstm_tests, results_file, plan)
    assert results_file.is_file()
    assert results["score"] == 0
    assert "entrega.zip no es un zip válido" in results["output"]


def test_missing_tests_checked_first(tmp_path):
    results = tmp_path / "results.json"
    completed = subprocess.run(
        [sys.executable, "-m", "leccion14.grading.grade", "--part", "lstm", "--submission", str(tmp_path),
         "--tests", str(tmp_path / "no_existe"), "--results", str(results)],
        capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 2
    assert "la carpeta de pruebas" in completed.stderr
    assert "No se calificó nada" in completed.stderr
    assert "Puntuación" not in completed.stdout
    assert json.loads(results.read_text(encoding="utf-8"))["score"] == 0


def test_other_part_tests_rejected(tmp_path, hidden_tests):
    results = tmp_path / "results.json"
    completed = subprocess.run(
        [sys.executable, "-m", "leccion14.grading.grade", "--part", "lstm", "--submission", str(tmp_path),
         "--tests", str(hidden_tests("cnn")), "--results", str(results)],
        capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 2
    assert "no tiene pruebas de la parte lstm" in completed.stderr
    assert "build/otter/lstm/autograder/tests" in completed.stderr
