"""End-to-end grading of LSTM submissions: reference, untouched stubs and a malformed zip."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pandas as pd
import psutil
import pytest

from hostile.interrupt import IMPORT_MARKER, SLEEPING_MODULE, private_temporary_folder, stop_during_import
from leccion14 import paths
from leccion14.grading.grade import ensure_plan, grade_submission
from leccion14.grading.preload import clean_environment


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


def test_missing_model_named_in_public_test(tmp_path, lstm_tests, plan, reference_dir):
    submission = reference_submission(tmp_path / "entrega", reference_dir)
    (submission / "entrega" / "lstm_model.keras").unlink()
    results = grade_submission("lstm", submission, lstm_tests, tmp_path / "results.json", plan)
    forecast = next(test for test in results["tests"] if test["name"] == "lstm_pronostico")
    assert forecast["score"] < forecast["max_score"]
    assert "No existe la variable lstm_model" in forecast["output"]
    assert "AttributeError" not in json.dumps(results, ensure_ascii=False)


def test_replay_errors_without_class_name(tmp_path, lstm_tests, plan, reference_dir):
    submission = reference_submission(tmp_path / "entrega", reference_dir)
    (submission / "lstm_repsol.py").unlink()
    results = grade_submission("lstm", submission, lstm_tests, tmp_path / "results.json", plan)
    text = json.dumps(results, ensure_ascii=False)
    assert "No se pudo importar el módulo del estudiante" in text
    assert "ReplayError" not in text


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


def run_grade_command(*arguments):
    command = [sys.executable, "-m", "leccion14.grading.grade", *map(str, arguments)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_input_error_keeps_results_file(tmp_path, lstm_tests):
    results = tmp_path / "results.json"
    results.write_text('{"score": 7.0}', encoding="utf-8")
    completed = run_grade_command("--part", "lstm", "--submission", tmp_path / "no_existe", "--tests", lstm_tests, "--results", results)
    assert completed.returncode == 2
    assert "la entrega" in completed.stderr
    assert "no se ha creado ni modificado" in completed.stderr
    assert json.loads(results.read_text(encoding="utf-8")) == {"score": 7.0}


def test_input_error_creates_no_folder(tmp_path, lstm_tests):
    results = tmp_path / "no_existe" / "results.json"
    completed = run_grade_command("--part", "lstm", "--submission", tmp_path / "no_existe", "--tests", lstm_tests, "--results", results)
    assert completed.returncode == 2
    assert not results.parent.exists()


def test_public_tests_rejected(tmp_path):
    public = paths.REPO_ROOT / "assignments" / "lstm" / "tests"
    completed = run_grade_command("--part", "lstm", "--submission", tmp_path, "--tests", public, "--results", tmp_path / "results.json")
    assert completed.returncode == 2
    assert "solo tiene pruebas públicas" in completed.stderr
    assert "build/otter/lstm/autograder/tests" in completed.stderr


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


@pytest.mark.parametrize(
    "stop, background, previous",
    [(signal.SIGTERM, "1", False), (signal.SIGINT, "0", True)],
    ids=["sigterm-en-segundo-plano", "ctrl-c-grabando-primero"],
)
def test_interrupted_grade(tmp_path, lstm_tests, plan, stop, background, previous):
    """Ctrl+C or SIGTERM while the sandbox runs: exit 128 + signal, no sandbox or folder left behind,
    and a results file that reports the interruption, or the one written before kept as it was (about 6 s each)."""
    ensure_plan("lstm", plan)
    submission = tmp_path / "entrega"
    submission.mkdir()
    (submission / "lstm_repsol.py").write_text(SLEEPING_MODULE, encoding="utf-8")
    results = tmp_path / "results.json"
    if previous:
        results.write_text('{"score": 7.0}', encoding="utf-8")
    private = private_temporary_folder("interrumpida-")
    environment = {**clean_environment(dict(os.environ)), "TMPDIR": str(private), "LECCION14_BACKGROUND_RECORDING": background}
    command = [
        sys.executable, "-m", "leccion14.grading.grade", "--part", "lstm", "--submission", str(submission),
        "--tests", str(lstm_tests), "--results", str(results), "--plan", str(plan),
    ]
    try:
        process, stderr, _ = stop_during_import(command, environment, private, IMPORT_MARKER, stop)
        left = sorted(path.name for path in private.iterdir())
    finally:
        shutil.rmtree(private, ignore_errors=True)

    assert process.returncode == 128 + stop, stderr[-2000:]
    assert f"Calificación interrumpida ({stop.name})" in stderr
    assert "Traceback" not in stderr
    assert left == []
    time.sleep(0.5)
    running = [process.pid for process in psutil.process_iter(["cmdline"]) if str(submission) in " ".join(process.info["cmdline"] or [])]
    assert running == []
    stored = json.loads(results.read_text(encoding="utf-8"))
    if previous:
        assert stored == {"score": 7.0}
        assert "se conserva" in stderr
    else:
        assert stored["score"] == 0
        assert "se interrumpió antes de terminar" in stored["output"]
