"""Batch grading of real LSTM submissions: reference (folder and zip), stubs and a broken zip.

One module-scoped batch run (2 workers, about 30 s on 2 cores) serves the output checks. The
resume and error-path tests use submissions that need no sandbox and take about a second each.
"""

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import psutil
import pytest

from hostile.interrupt import IMPORT_MARKER, SLEEPING_MODULE, private_temporary_folder, stop_during_import
from hostile.submissions import reference_submission, stub_submission, zip_folder
from leccion14 import cli
from leccion14.grading.batch import run_batch
from leccion14.grading.batch_output import BatchError


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("planes") / "lstm_repsol"


@pytest.fixture(scope="module")
def graded(tmp_path_factory, reference_dir, lstm_tests, plan_dir):
    root = tmp_path_factory.mktemp("lote")
    submissions = root / "entregas"
    submissions.mkdir()
    reference_submission(submissions / "ana", reference_dir)
    zip_folder(submissions / "ana", submissions / "carla.zip")
    stub_submission(submissions / "beto")
    (submissions / "dani.zip").write_bytes(b"esto no es un zip")
    out = root / "salida"
    summary = run_batch(submissions, out, tests_dir=lstm_tests, workers=2, plan_dir=plan_dir, progress=False)
    with open(out / "grades.csv", encoding="utf-8") as handle:
        rows = {row["entrega"]: row for row in csv.DictReader(handle)}
    return summary, out, rows


def test_part_detected(graded):
    summary, _, _ = graded
    assert summary.part == "lstm"


def test_counts_by_status(graded):
    summary, _, _ = graded
    assert summary.graded == 4
    assert summary.counts == {"ok": 3, "timeout": 0, "error": 0, "invalid": 1}


def test_reference_rows_full_marks(graded):
    _, _, rows = graded
    for name in ("ana", "carla.zip"):
        assert rows[name]["estado"] == "ok"
        assert float(rows[name]["puntos"]) == float(rows[name]["puntos_max"]) > 0


def test_stub_row_zero(graded):
    _, _, rows = graded
    assert rows["beto"]["estado"] == "ok"
    assert float(rows["beto"]["puntos"]) == 0


def test_broken_zip_invalid(graded):
    _, out, rows = graded
    assert rows["dani.zip"]["estado"] == "invalid"
    assert rows["dani.zip"]["puntos"] == rows["beto"]["puntos"] == "0.0"
    results = json.loads((out / "entregas" / "dani.zip" / "results.json").read_text(encoding="utf-8"))
    assert "no es un zip válido" in results["output"]


def test_grades_columns(graded):
    _, _, rows = graded
    columns = list(rows["ana"])
    assert columns[:4] == ["entrega", "estado", "puntos", "puntos_max"]
    assert columns[-1] == "segundos"
    assert "lstm_escalado" in columns
    assert float(rows["ana"]["segundos"]) > 0


def test_per_submission_files(graded):
    _, out, _ = graded
    for name in ("ana", "beto", "carla.zip", "dani.zip"):
        folder = out / "entregas" / name
        for file_name in ("results.json", "retroalimentacion.md", "estado.json", "registro.txt"):
            assert (folder / file_name).is_file(), f"falta {folder / file_name}"


def test_feedback_page_spanish(graded):
    _, out, _ = graded
    page = (out / "entregas" / "beto" / "retroalimentacion.md").read_text(encoding="utf-8")
    assert page.startswith("# Retroalimentación de la entrega `beto`")
    assert "| lstm_escalado | 0 | 2 |" in page
    assert "Falta tu código en scale_series()" in page


def test_summary_plot_png(graded):
    _, out, _ = graded
    assert (out / "summary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_duplicates_reported(graded):
    summary, out, _ = graded
    with open(out / "duplicados.csv", encoding="utf-8") as handle:
        groups = {row["artefacto"]: row["entregas"] for row in csv.DictReader(handle)}
    assert groups == {"lstm_forecasts": "ana;carla.zip", "lstm_model": "ana;carla.zip"}
    assert summary.duplicates == 2


def test_no_partial_files_left(graded):
    _, out, _ = graded
    assert not [path for path in out.rglob("*") if path.name.endswith(".part")]


def broken_zips(folder, names):
    folder.mkdir()
    for name in names:
        (folder / f"{name}.zip").write_bytes(b"no zip")
    return folder


def test_resume_skips_finished(tmp_path, lstm_tests, plan_dir):
    submissions = broken_zips(tmp_path / "entregas", ["uno", "dos"])
    out = tmp_path / "salida"
    run_batch(submissions, out, part="lstm", tests_dir=lstm_tests, workers=1, plan_dir=plan_dir, progress=False)
    state = out / "entregas" / "uno.zip" / "estado.json"
    before = state.stat().st_mtime_ns
    (submissions / "tres.zip").write_bytes(b"no zip")
    summary = run_batch(submissions, out, part="lstm", tests_dir=lstm_tests, workers=1, plan_dir=plan_dir, progress=False)
    assert (summary.graded, summary.skipped) == (1, 2)
    assert state.stat().st_mtime_ns == before
    with open(out / "grades.csv", encoding="utf-8") as handle:
        assert [row["entrega"] for row in csv.DictReader(handle)] == ["dos.zip", "tres.zip", "uno.zip"]


def test_resume_regrades_interrupted(tmp_path, lstm_tests, plan_dir):
    submissions = broken_zips(tmp_path / "entregas", ["uno"])
    out = tmp_path / "salida"
    run_batch(submissions, out, part="lstm", tests_dir=lstm_tests, workers=1, plan_dir=plan_dir, progress=False)
    # A run stopped mid-submission leaves its folder without estado.json.
    (out / "entregas" / "uno.zip" / "estado.json").unlink()
    summary = run_batch(submissions, out, part="lstm", tests_dir=lstm_tests, workers=1, plan_dir=plan_dir, progress=False)
    assert summary.graded == 1
    assert (out / "entregas" / "uno.zip" / "estado.json").is_file()


def test_force_regrades_all(tmp_path, lstm_tests, plan_dir):
    submissions = broken_zips(tmp_path / "entregas", ["uno", "dos"])
    out = tmp_path / "salida"
    run_batch(submissions, out, part="lstm", tests_dir=lstm_tests, workers=1, plan_dir=plan_dir, progress=False)
    summary = run_batch(submissions, out, part="lstm", tests_dir=lstm_tests, workers=2, force=True, plan_dir=plan_dir, progress=False)
    assert (summary.graded, summary.skipped) == (2, 0)


def test_sigterm_keeps_earlier_grades(tmp_path, lstm_tests, plan_dir):
    """SIGTERM during a forced regrade: exit 143, nothing left running or in /tmp, and every earlier
    grade kept, also that of the submission being regraded (about 15 s)."""
    submissions = broken_zips(tmp_path / "entregas", ["uno"])
    stub_submission(submissions / "lenta")
    out = tmp_path / "salida"
    run_batch(submissions, out, part="lstm", tests_dir=lstm_tests, workers=1, plan_dir=plan_dir, progress=False)
    files = [out / "entregas" / name / file for name in ("lenta", "uno.zip") for file in ("estado.json", "results.json", "retroalimentacion.md")]
    before = [path.read_text(encoding="utf-8") for path in files]
    # Sorted first, so the single worker is inside this module's import when the signal arrives.
    (submissions / "lenta" / "lstm_repsol.py").write_text(SLEEPING_MODULE, encoding="utf-8")

    private = private_temporary_folder("lote-detenido-")
    command = [
        sys.executable, "-m", "leccion14.cli", "grade", "--submissions", str(submissions), "--out", str(out),
        "--part", "lstm", "--tests", str(lstm_tests), "--workers", "1", "--force",
    ]
    environment = {**os.environ, "TMPDIR": str(private), "LECCION14_GRADING_PLANS": str(plan_dir.parent)}
    try:
        process, stderr, descendants = stop_during_import(command, environment, private, f"lote-*/{IMPORT_MARKER}", signal.SIGTERM)
        time.sleep(1)
        left = sorted(path.name for path in private.iterdir())
    finally:
        shutil.rmtree(private, ignore_errors=True)

    assert process.returncode == 128 + signal.SIGTERM, stderr[-2000:]
    assert "Interrumpido (SIGTERM)" in stderr
    assert "conservan su nota anterior" in stderr
    assert descendants
    assert [child.pid for child in descendants if child.is_running() and child.status() != psutil.STATUS_ZOMBIE] == []
    assert left == []
    assert [path.read_text(encoding="utf-8") for path in files] == before
    with open(out / "grades.csv", encoding="utf-8") as handle:
        assert [row["entrega"] for row in csv.DictReader(handle)] == ["lenta", "uno.zip"]


def test_public_tests_error(tmp_path):
    from leccion14 import paths

    submissions = broken_zips(tmp_path / "entregas", ["uno"])
    with pytest.raises(BatchError, match="no tiene pruebas ocultas de la parte lstm"):
        run_batch(submissions, tmp_path / "salida", part="lstm", tests_dir=paths.REPO_ROOT / "assignments" / "lstm" / "tests")


def test_missing_folder_error(tmp_path):
    with pytest.raises(BatchError, match="No existe la carpeta de entregas .*no_existe"):
        run_batch(tmp_path / "no_existe", tmp_path / "salida")


def test_empty_folder_error(tmp_path):
    (tmp_path / "vacia").mkdir()
    with pytest.raises(BatchError, match="está vacía: debe contener una subcarpeta o un .zip por entrega"):
        run_batch(tmp_path / "vacia", tmp_path / "salida")


def test_undetectable_part_error(tmp_path):
    broken_zips(tmp_path / "entregas", ["uno"])
    with pytest.raises(BatchError, match="Indica la parte con --part cnn o --part lstm"):
        run_batch(tmp_path / "entregas", tmp_path / "salida")


def test_mixed_parts_error(tmp_path):
    submissions = tmp_path / "entregas"
    for name, module in (("ana", "cnn_cifar.py"), ("beto", "lstm_repsol.py"), ("carla", "lstm_repsol.py")):
        (submissions / name).mkdir(parents=True)
        (submissions / name / module).write_text("x = 1\n", encoding="utf-8")
    with pytest.raises(BatchError, match=r"mezcla entregas de las dos partes \(1 de cnn y 2 de lstm\)"):
        run_batch(submissions, tmp_path / "salida")


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ({"part": "cnn", "tests_digest": "x"}, "contiene resultados de la parte 'cnn' y este lote es de la parte 'lstm'"),
        ({"part": "lstm", "tests_digest": "antiguo"}, "se calificó con otras pruebas .*--force"),
    ],
    ids=["otra_parte", "otras_pruebas"],
)
def test_foreign_output_error(tmp_path, lstm_tests, manifest, message):
    broken_zips(tmp_path / "entregas", ["uno"])
    out = tmp_path / "salida"
    out.mkdir()
    (out / "lote.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(BatchError, match=message):
        run_batch(tmp_path / "entregas", out, part="lstm", tests_dir=lstm_tests)


def test_unrelated_output_error(tmp_path, lstm_tests):
    broken_zips(tmp_path / "entregas", ["uno"])
    out = tmp_path / "salida"
    out.mkdir()
    (out / "notas_finales.xlsx").write_bytes(b"x")
    with pytest.raises(BatchError, match="no está vacía y no contiene resultados de un lote"):
        run_batch(tmp_path / "entregas", out, part="lstm", tests_dir=lstm_tests)


def test_missing_tests_error(tmp_path):
    broken_zips(tmp_path / "entregas", ["uno"])
    with pytest.raises(BatchError, match="No hay pruebas de Otter en .*make student"):
        run_batch(tmp_path / "entregas", tmp_path / "salida", part="lstm", tests_dir=tmp_path / "sin_pruebas")


def test_cli_help_spanish(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["grade", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("uso: leccion14 grade")
    assert "procesos en paralelo" in text
    assert "--force" in text


def test_cli_error_exit_status(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["grade", "--submissions", str(tmp_path / "no_existe"), "--out", str(tmp_path / "salida")])
    assert exit_info.value.code == 2
    assert "Error: No existe la carpeta de entregas" in capsys.readouterr().err


def test_make_grade_requires_arguments():
    completed = subprocess.run(["make", "-s", "grade"], capture_output=True, text=True, env={**os.environ, "PY": sys.executable})
    assert completed.returncode != 0
    assert "Uso: make grade SUBMISSIONS=" in completed.stderr
