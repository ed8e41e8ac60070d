"""Hostile and broken LSTM submissions graded in one batch next to well-behaved ones.

Every hostile submission is the reference with some functions replaced. Its questions must score
exactly like a control whose same functions just raise, and its other questions get full marks.
The single batch (2 workers, 5 s per probe, 40 s per sandbox run) takes about 3 minutes on 2
cores: the import-time loop alone keeps a worker busy for the 40 s sandbox limit.
"""

import csv
import json
import os
import tempfile
from pathlib import Path

import pytest

from hostile.submissions import STUB, patched_submission, reference_submission, write_artefacts
from hostile.zip_bomb import write_bombs
from leccion14 import paths
from leccion14.checksums import sha256_of
from leccion14.grading.batch import run_batch
from leccion14.grading.grade import ensure_plan
from leccion14.grading.sandbox_cache import plan_cache_dir

# Without root the hostile code would run as the test user, with its rights.
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="las entregas hostiles solo se ejecutan con el sandbox completo (root)")
BROKEN = 'raise RuntimeError("roto")'
# Functions whose probes the hostile code replaces, and the question that uses each.
PROCESSES = {
    "scale_series": "while True:\n    pass",
    "make_test_windows": "os._exit(3)",
    "build_lstm": "return bytearray(10 * 1024**3)",
    "compile_lstm": "sys.exit(1)",
    "forecast_euros": "import signal\nos.kill(os.getppid(), signal.SIGKILL)\nreturn None",
}
FORK_BOMB = """
while True:
    if os.fork() == 0:
        os.setsid()
"""
NOISE = """
block = b"x" * (1024 * 1024)
for _ in range(100):
    sys.stdout.buffer.write(block)
sys.stdout.buffer.write(b"\\xff\\xfe\\x80 no es UTF-8\\n")
"""
CHEATS = """
import builtins, json
import numpy, keras
open("results.json", "w").write(json.dumps({{"score": 100, "tests": []}}))
open("grades.csv", "w").write("entrega,puntos\\ntrampas,100\\n")
for target in {targets!r}:
    try:
        open(target, "w").write('{{"score": 100}}')
    except OSError:
        pass
numpy.allclose = lambda *args, **kwargs: True
numpy.testing.assert_allclose = lambda *args, **kwargs: None
keras.Model.count_params = lambda self: 42
builtins.isinstance = lambda *args: True
"""
VANDAL = """
for entry in os.listdir("."):
    if os.path.isfile(entry):
        os.remove(entry)
for target in {targets!r}:
    try:
        os.remove(target)
    except OSError:
        pass
"""

# Overwrites its own copy of the compilation cache and tries the plan's original and the batch's copy.
CACHE_POISON = """
import glob
for folder in ["jax-cache", *(found for pattern in {targets!r} for found in glob.glob(pattern))]:
    try:
        for entry in os.listdir(folder):
            with open(os.path.join(folder, entry), "wb") as handle:
                handle.write(b"no es un programa compilado")
    except OSError:
        pass
"""


def cache_digest(folder: Path) -> dict[str, str]:
    return {path.name: sha256_of(path) for path in sorted(folder.iterdir())}


def lambda_model(path: Path) -> None:
    import keras

    model = keras.Sequential([keras.Input(shape=(100, 1)), keras.layers.Lambda(lambda x: x * 2.0), keras.layers.LSTM(4), keras.layers.Dense(1)])
    model.save(path)


@pytest.fixture(scope="module")
def batch(tmp_path_factory, reference_dir, hidden_tests):
    root = tmp_path_factory.mktemp("hostil")
    tests = hidden_tests("lstm")
    submissions = root / "entregas"
    submissions.mkdir()
    out = root / "salida"
    protected = [str(out / "entregas" / "trampas" / "results.json"), str(out / "grades.csv"), str(tests / "lstm_pronostico.py")]

    reference_submission(submissions / "referencia", reference_dir)
    # The plan and the compilation cache that the reference fills are built before the batch.
    plan_cache = plan_cache_dir(ensure_plan("lstm", root / "plan"))
    (root / "cache_before.json").write_text(json.dumps(cache_digest(plan_cache)), encoding="utf-8")
    batch_plans = str(Path(tempfile.gettempdir()) / "lote-plan-*" / "plan" / "jax-cache-*")
    patched_submission(submissions / "cache", reference_dir, {}, prelude=CACHE_POISON.format(targets=[str(plan_cache), batch_plans]))
    patched_submission(submissions / "control_procesos", reference_dir, dict.fromkeys(PROCESSES, BROKEN))
    patched_submission(submissions / "procesos", reference_dir, PROCESSES)
    patched_submission(submissions / "recursos", reference_dir, {"forecast_euros": FORK_BOMB}, prelude=NOISE)
    patched_submission(submissions / "bucle_importacion", reference_dir, {}, prelude="while True:\n    pass")
    patched_submission(submissions / "control_importacion", reference_dir, {}, prelude="raise ImportError('roto')")
    patched_submission(submissions / "archivos", reference_dir, {}, prelude=VANDAL.format(targets=protected))

    cheats = submissions / "trampas"
    cheats.mkdir()
    (cheats / "lstm_repsol.py").write_text(STUB.read_text(encoding="utf-8") + CHEATS.format(targets=protected), encoding="utf-8")

    syntax = submissions / "sintaxis"
    syntax.mkdir()
    (syntax / "lstm_repsol.py").write_text("def scale_series(train, test)\n    return train\n", encoding="utf-8")
    write_artefacts(syntax, reference_dir)
    empty = submissions / "vacio"
    empty.mkdir()
    (empty / "lstm_repsol.py").write_text("", encoding="utf-8")
    write_artefacts(empty, reference_dir)

    model_lambda = reference_submission(submissions / "modelo_lambda", reference_dir)
    lambda_model(model_lambda / "entrega" / "lstm_model.keras")
    no_model = submissions / "control_sin_modelo"
    no_model.mkdir()
    (no_model / "lstm_repsol.py").write_bytes((model_lambda / "lstm_repsol.py").read_bytes())
    write_artefacts(no_model, reference_dir, model=False)

    import zipfile

    with zipfile.ZipFile(submissions / "ruta_relativa.zip", "w") as archive:
        archive.writestr("../../fuera_relativa.py", "x = 1")
    with zipfile.ZipFile(submissions / "ruta_absoluta.zip", "w") as archive:
        archive.writestr("/tmp/fuera_absoluta.py", "x = 1")
    honest, lying = write_bombs(root)
    honest.rename(submissions / "bomba_honesta.zip")
    lying.rename(submissions / "bomba_mentirosa.zip")

    summary = run_batch(
        submissions, out, part="lstm", tests_dir=tests, workers=2, timeout_s=300,
        probe_seconds=5, sandbox_seconds=40, plan_dir=root / "plan", progress=False,
    )
    states = {path.parent.name: json.loads(path.read_text(encoding="utf-8")) for path in (out / "entregas").glob("*/estado.json")}
    results = {name: json.loads((out / "entregas" / name / "results.json").read_text(encoding="utf-8")) for name in states}
    return summary, out, states, results, root


def scores(results: dict) -> dict[str, float]:
    return {test["name"]: test["score"] for test in results["tests"]}


def full(results: dict) -> dict[str, float]:
    return {test["name"]: test["max_score"] for test in results["tests"]}


def test_batch_finishes_every_submission(batch):
    summary, _, states, _, _ = batch
    assert summary.graded == 17
    assert len(states) == 17


def test_reference_unaffected(batch):
    _, _, states, results, _ = batch
    assert states["referencia"]["status"] == "ok"
    assert scores(results["referencia"]) == full(results["referencia"])


def test_process_attacks_score_like_errors(batch):
    _, _, states, results, _ = batch
    assert scores(results["procesos"]) == scores(results["control_procesos"])
    assert scores(results["procesos"])["lstm_ventanas"] == full(results["procesos"])["lstm_ventanas"]
    assert states["procesos"]["status"] == "timeout"
    assert states["procesos"]["probes"]["scale_series/fuga"] == "timed_out"
    assert states["procesos"]["probes"]["make_test_windows/serie_300_y_50"] == "crashed"


def test_fork_bomb_and_noise_affect_only_forecast(batch):
    _, _, states, results, _ = batch
    assert states["recursos"]["status"] == "ok"
    hostile = scores(results["recursos"])
    assert hostile["lstm_pronostico"] == scores(results["control_procesos"])["lstm_pronostico"]
    for question in ("lstm_escalado", "lstm_ventanas", "lstm_ventanas_prueba", "lstm_modelo"):
        assert hostile[question] == full(results["recursos"])[question], question


def test_import_loop_times_out(batch):
    _, _, states, results, _ = batch
    assert states["bucle_importacion"]["status"] == "timeout"
    assert scores(results["bucle_importacion"]) == scores(results["control_importacion"])
    # The student reads which limit stopped the import, not a SystemExit they never raised.
    feedback = json.dumps(results["bucle_importacion"], ensure_ascii=False)
    assert "TimeoutError: la importación del módulo superó el tiempo máximo" in feedback


def test_vandal_scores_like_import_error(batch):
    _, _, states, results, _ = batch
    assert states["archivos"]["status"] == "ok"
    assert scores(results["archivos"]) == scores(results["control_importacion"])


def test_protected_files_intact(batch):
    _, out, _, _, root = batch
    assert (paths.build_dir() / "otter" / "lstm" / "autograder" / "tests" / "lstm_pronostico.py").is_file()
    assert (paths.REPO_ROOT / "src" / "leccion14" / "grading" / "recorder.py").is_file()
    with open(out / "grades.csv", encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == 17


def test_cache_poison_harmless(batch):
    _, _, states, results, root = batch
    assert states["cache"]["status"] == "ok"
    assert scores(results["cache"]) == full(results["cache"])
    before = json.loads((root / "cache_before.json").read_text(encoding="utf-8"))
    assert before
    assert cache_digest(plan_cache_dir(root / "plan")) == before


def test_cheats_score_zero(batch):
    _, out, states, results, _ = batch
    assert results["trampas"]["score"] == 0
    assert states["trampas"]["score"] == 0
    with open(out / "grades.csv", encoding="utf-8") as handle:
        rows = {row["entrega"]: row for row in csv.DictReader(handle)}
    assert float(rows["trampas"]["puntos"]) == 0


def test_syntax_error_and_empty(batch):
    _, _, states, results, _ = batch
    for name in ("sintaxis", "vacio"):
        assert states[name]["status"] == "ok"
        assert scores(results[name]) == scores(results["control_importacion"]), name
    assert "SyntaxError" in json.dumps(results["sintaxis"], ensure_ascii=False)


def test_lambda_model_scores_like_missing(batch):
    _, _, _, results, _ = batch
    assert scores(results["modelo_lambda"]) == scores(results["control_sin_modelo"])
    assert "Lambda" in results["modelo_lambda"]["output"]


def test_path_traversal_invalid(batch):
    _, _, states, results, root = batch
    for name in ("ruta_relativa.zip", "ruta_absoluta.zip"):
        assert states[name]["status"] == "invalid"
        assert "ruta no válida" in results[name]["output"]
    assert not Path("/tmp/fuera_absoluta.py").exists()
    assert not list(root.parent.rglob("fuera_relativa.py"))


def test_zip_bombs_invalid(batch):
    _, _, states, results, _ = batch
    assert states["bomba_honesta.zip"]["status"] == "invalid"
    assert "1024 MB descomprimido" in results["bomba_honesta.zip"]["output"]
    assert states["bomba_mentirosa.zip"]["status"] == "invalid"
    assert states["bomba_honesta.zip"]["seconds"] < 30
    assert states["bomba_mentirosa.zip"]["seconds"] < 30


def test_no_sandbox_processes_left(batch):
    import psutil

    from leccion14.grading.batch import MAX_WORKERS, SLOT_UID_BASE

    first = SLOT_UID_BASE + os.getpid() * MAX_WORKERS
    leftovers = [
        process.pid
        for process in psutil.process_iter(["uids", "status"])
        if process.info["uids"] and first <= process.info["uids"].real < first + MAX_WORKERS and process.info["status"] != psutil.STATUS_ZOMBIE
    ]
    assert leftovers == []
