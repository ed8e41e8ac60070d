"""End-to-end grading of LSTM submissions: reference, untouched stubs and a malformed zip."""

import json
import shutil
import time

import pandas as pd
import psutil
import pytest

from leccion14 import paths
from leccion14.grading.grade import grade_submission

TESTS = paths.build_dir() / "otter" / "lstm" / "autograder" / "tests"
REFERENCE = paths.build_dir() / "reference"


@pytest.fixture(scope="module")
def hidden_tests():
    if not TESTS.is_dir():
        pytest.fail(f"Faltan las pruebas de Otter en {TESTS}: ejecuta `make student`.")
    return TESTS


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    return tmp_path_factory.mktemp("planes") / "lstm_repsol"


def reference_submission(folder):
    if not (REFERENCE / "lstm.keras").is_file():
        pytest.fail(f"Falta la ejecución de referencia en {REFERENCE}: ejecuta `make reference`.")
    entrega = folder / "entrega"
    entrega.mkdir(parents=True)
    shutil.copyfile(paths.REPO_ROOT / "solutions" / "lstm_repsol.py", folder / "lstm_repsol.py")
    shutil.copyfile(REFERENCE / "lstm.keras", entrega / "lstm_model.keras")
    shutil.copyfile(REFERENCE / "lstm_history.json", entrega / "lstm_history.json")
    forecasts = pd.read_csv(REFERENCE / "lstm_forecasts.csv")[["Date", "forecast"]]
    forecasts.to_csv(entrega / "lstm_forecasts.csv", index=False)
    return folder


def test_reference_scores_full_marks(tmp_path, hidden_tests, plan):
    results_file = tmp_path / "results.json"
    start = time.perf_counter()
    results = grade_submission("lstm", reference_submission(tmp_path / "entrega"), hidden_tests, results_file, plan)
    elapsed = time.perf_counter() - start
    stored = json.loads(results_file.read_text(encoding="utf-8"))
    assert stored == results
    assert results["score"] == sum(test["max_score"] for test in results["tests"]), results["output"]
    assert results["score"] > 0
    # Includes building the plan (one extra TensorFlow start) on the first grading.
    assert elapsed < 120


def test_stubs_score_zero(tmp_path, hidden_tests, plan):
    submission = tmp_path / "entrega"
    submission.mkdir()
    shutil.copyfile(paths.REPO_ROOT / "assignments" / "lstm" / "lstm_repsol.py", submission / "lstm_repsol.py")
    results = grade_submission("lstm", submission, hidden_tests, tmp_path / "results.json", plan)
    assert results["score"] == 0
    assert len(results["tests"]) == 5
    assert "Artefacto entrega/lstm_model.keras: no está en la entrega" in results["output"]


def test_hidden_source_never_shown(tmp_path, hidden_tests, plan):
    submission = tmp_path / "entrega"
    submission.mkdir()
    shutil.copyfile(paths.REPO_ROOT / "assignments" / "lstm" / "lstm_repsol.py", submission / "lstm_repsol.py")
    results = grade_submission("lstm", submission, hidden_tests, tmp_path / "results.json", plan)
    text = json.dumps(results, ensure_ascii=False)
    assert "timeseries_dataset_from_array" not in text
    assert "Error at line" not in text


def test_malformed_zip_still_writes_results(tmp_path, hidden_tests, plan):
    upload = tmp_path / "subida"
    upload.mkdir()
    (upload / "entrega.zip").write_bytes(b"esto no es un zip")
    results_file = tmp_path / "results" / "results.json"
    results = grade_submission("lstm", upload, hidden_tests, results_file, plan)
    assert results_file.is_file()
    assert results["score"] == 0
    assert "entrega.zip no es un zip válido" in results["output"]
