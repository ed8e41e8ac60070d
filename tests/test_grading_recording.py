"""Recorder in the sandbox and replay stubs: returned values, errors, crashes and timeouts."""

import json
import shutil
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pytest

from leccion14.grading import recorder
from leccion14.grading.grade import ensure_plan
from leccion14.grading.recording import build_plan, plan_fingerprints, probes_for, record_module
from leccion14.grading.replay import Replayer, ReplayError, fingerprint
from leccion14.grading.sandbox_cache import RECORDING_CACHE, ensure_filled, ignore_caches, plan_cache_dir, warm
from leccion14.probes import probe_args
from leccion14 import paths

SOLUTION = paths.REPO_ROOT / "solutions" / "lstm_repsol.py"


@pytest.fixture(autouse=True)
def recordings_removed():
    """Delete the recording folders that a test leaves in the temporary folder."""
    before = set(Path(tempfile.gettempdir()).glob("grabacion-*"))
    yield
    for folder in set(Path(tempfile.gettempdir()).glob("grabacion-*")) - before:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def lstm_plan(tmp_path_factory):
    return ensure_plan("lstm", tmp_path_factory.mktemp("planes") / "lstm_repsol")


def broken_module(tmp_path):
    """The reference module with make_windows off by one, scale_series looping and build_lstm killing the process."""
    source = SOLUTION.read_text(encoding="utf-8")
    source = source.replace("y = series[window:]", "y = series[window - 1 : -1]")
    source += textwrap.dedent(
        """

        def scale_series(train, test):
            while True:
                pass


        def build_lstm(window=WINDOW):
            import os
            os._exit(3)
        """
    )
    path = tmp_path / "lstm_repsol.py"
    path.write_text(source, encoding="utf-8")
    return path


def test_recording_statuses(tmp_path, lstm_plan, monkeypatch):
    monkeypatch.setattr("leccion14.grading.recording.PROBE_TIMEOUT_S", 2)
    shutil.copytree(lstm_plan, tmp_path / "plan")
    plan_file = tmp_path / "plan" / "plan.json"
    plan_file.write_text(plan_file.read_text(encoding="utf-8").replace('"timeout_s": 30', '"timeout_s": 2'), encoding="utf-8")
    recording = record_module("lstm_repsol", broken_module(tmp_path), tmp_path / "plan")
    statuses = {name: result["status"] for name, result in recording.results.items()}
    assert statuses["make_windows/serie_300"] == recorder.RETURNED
    assert statuses["make_windows/corta"] == recorder.RAISED
    assert statuses["scale_series/fuga"] == recorder.TIMED_OUT
    assert statuses["build_lstm"] == recorder.CRASHED
    assert statuses["forecast_euros/escala_10_20"] == recorder.RETURNED

    stubs = Replayer("lstm_repsol", recording.folder, recording.results).functions()
    series, window = probe_args("make_windows/serie_300")
    X, y = stubs["make_windows"](series, window)
    assert X.shape == (200, 100, 1)
    assert np.allclose(y, series[99:-1])
    with pytest.raises(ValueError, match="La serie tiene 60 valores"):
        stubs["make_windows"](*probe_args("make_windows/corta"))
    with pytest.raises(ReplayError, match="superó el tiempo máximo"):
        stubs["scale_series"](*probe_args("scale_series/fuga"))
    with pytest.raises(ReplayError, match="hizo que el proceso terminara con el código 3"):
        stubs["build_lstm"]()
    with pytest.raises(ReplayError, match="no grabó la llamada make_windows"):
        stubs["make_windows"](series[:10], 3)


def test_repeated_timeouts_shortened(tmp_path, lstm_plan):
    """Once a probe runs out of time, later probes get their shorter repeat time (about 10 s)."""
    shutil.copytree(lstm_plan, tmp_path / "plan")
    plan_file = tmp_path / "plan" / "plan.json"
    plan = json.loads(plan_file.read_text(encoding="utf-8"))
    for probe in plan["probes"]:
        # Training probes keep their time, as in a real plan.
        probe.update(timeout_s=3, repeat_timeout_s=3 if probe["function"].startswith("train_") else 1)
    plan_file.write_text(json.dumps(plan), encoding="utf-8")
    module = tmp_path / "lstm_repsol.py"
    module.write_text(SOLUTION.read_text(encoding="utf-8") + "\n\ndef make_windows(series, window):\n    while True:\n        pass\n", encoding="utf-8")

    recording = record_module("lstm_repsol", module, tmp_path / "plan")
    windows = {name: result for name, result in recording.results.items() if name.startswith("make_windows/")}
    assert [result["status"] for result in windows.values()] == [recorder.TIMED_OUT] * 4
    assert [result["seconds"] for result in windows.values()] == [3, 1, 1, 1]
    # make_test_windows loops too, inside make_windows, and gets the repeat time as well.
    assert recording.results["make_test_windows/serie_300_y_50"]["status"] == recorder.TIMED_OUT
    assert recording.results["make_test_windows/serie_300_y_50"]["seconds"] == 1
    assert recording.results["build_lstm"]["status"] == recorder.RETURNED
    assert recording.results["train_lstm/paseo_400"]["status"] == recorder.RETURNED


def test_replay_updates_model_in_place(lstm_plan):
    recording = record_module("lstm_repsol", SOLUTION, lstm_plan)
    # As the grader builds it: calls looked up by the fingerprints stored in the plan.
    stubs = Replayer("lstm_repsol", recording.folder, recording.results, plan_fingerprints(lstm_plan)).functions()
    model, = probe_args("compile_lstm")
    stubs["compile_lstm"](model)
    assert model.get_compile_config()["loss"] == "mean_squared_error"
    scaler, train_scaled, _ = stubs["scale_series"](*probe_args("scale_series/fuga"))
    assert train_scaled.max() == pytest.approx(1.0)
    assert scaler.inverse_transform([[1.0]])[0, 0] == pytest.approx(probe_args("scale_series/fuga")[0].max())

    # Fingerprints that match no call: the replay uses the plan's, it does not rebuild them.
    unknown = Replayer("lstm_repsol", recording.folder, recording.results, dict.fromkeys(recording.results, "0" * 64)).functions()
    with pytest.raises(ReplayError, match="no grabó la llamada make_windows"):
        unknown["make_windows"](*probe_args("make_windows/serie_300"))


@pytest.mark.parametrize("module", ["lstm_repsol", "cnn_cifar"])
def test_plan_fingerprints_match_test_calls(tmp_path, module):
    """The fingerprints stored in a plan are those of the arguments that tests build with probe_args."""
    fingerprints = plan_fingerprints(build_plan(module, tmp_path / "plan"))
    assert fingerprints == {name: fingerprint(tuple(probe_args(name))) for name in probes_for(module)}


@pytest.mark.skipif(__import__("os").geteuid() != 0, reason="sin root no hay cambio de usuario")
def test_unreachable_folder_is_grader_error(tmp_path, lstm_plan):
    # pytest's tmp_path sits under a folder private to root, which the sandbox user cannot enter.
    with pytest.raises(RuntimeError, match="El grabador no llegó a arrancar"):
        record_module("lstm_repsol", SOLUTION, lstm_plan, folder=tmp_path / "sandbox")


def test_reference_hits_warm_cache(lstm_plan):
    plan_cache = plan_cache_dir(lstm_plan)
    cached = sorted(path.name for path in plan_cache.iterdir())
    assert len(cached) > 10
    recording = record_module("lstm_repsol", SOLUTION, lstm_plan)
    # JAX writes every program it had to compile, so no new entry means every program was cached.
    assert sorted(path.name for path in (recording.folder / RECORDING_CACHE).iterdir()) == cached
    assert recording.results["build_lstm"]["status"] == recorder.RETURNED


def test_other_model_leaves_plan_cache(tmp_path, lstm_plan):
    plan_cache = plan_cache_dir(lstm_plan)
    cached = sorted(path.name for path in plan_cache.iterdir())
    module = tmp_path / "lstm_repsol.py"
    source = SOLUTION.read_text(encoding="utf-8").replace("keras.layers.LSTM(UNITS)", "keras.layers.LSTM(32)")
    assert "LSTM(32)" in source
    module.write_text(source, encoding="utf-8")
    recording = record_module("lstm_repsol", module, lstm_plan)
    assert recording.results["build_lstm"]["status"] == recorder.RETURNED
    assert len(list((recording.folder / RECORDING_CACHE).iterdir())) > len(cached)
    assert sorted(path.name for path in plan_cache.iterdir()) == cached


def test_failed_warm_up_leaves_no_cache(tmp_path, lstm_plan):
    shutil.copytree(lstm_plan, tmp_path / "plan", ignore=ignore_caches)
    broken = tmp_path / "lstm_repsol.py"
    broken.write_text("def build_lstm(window=100):\n    raise SystemExit(4)\n", encoding="utf-8")
    assert not warm("lstm_repsol", tmp_path / "plan", broken)
    assert not plan_cache_dir(tmp_path / "plan").exists()
    assert not list(tmp_path.glob("calentamiento-*"))


def test_links_in_results_not_followed(tmp_path, lstm_plan):
    victim = tmp_path / "victima.json"
    fake = {"name": "scale_series/fuga", "status": recorder.RETURNED, "value": None}
    victim.write_text(json.dumps(fake), encoding="utf-8")
    victim.chmod(0o600)
    module = tmp_path / "lstm_repsol.py"
    # At import: links where the trusted step used to write its verdicts, and a link as result 0.
    module.write_text(
        textwrap.dedent(
            f"""
            import os
            for index in range(20):
                os.symlink({str(victim)!r}, f"results/{{index}}.json.part")
            os.symlink({str(victim)!r}, "results/0.json")
            os._exit(3)
            """
        ),
        encoding="utf-8",
    )
    recording = record_module("lstm_repsol", module, lstm_plan)
    statuses = {name: result["status"] for name, result in recording.results.items()}
    assert json.loads(victim.read_text(encoding="utf-8")) == fake
    assert statuses["scale_series/fuga"] == recorder.CRASHED
    assert statuses["build_lstm"] == recorder.IMPORT_FAILED
    recording.remove()
    assert not recording.folder.parent.exists()


def test_poisoned_copy_only_recompiles(tmp_path, lstm_plan):
    plan_cache = plan_cache_dir(lstm_plan)
    before = {path.name: path.read_bytes() for path in plan_cache.iterdir()}
    module = tmp_path / "lstm_repsol.py"
    poison = "import os\nfor entry in os.listdir('jax-cache'):\n    open(os.path.join('jax-cache', entry), 'wb').write(b'basura')\n"
    module.write_text(poison + SOLUTION.read_text(encoding="utf-8"), encoding="utf-8")
    recording = record_module("lstm_repsol", module, lstm_plan)
    assert "Error reading persistent compilation cache entry" in recording.log_tail
    assert recording.results["build_lstm"]["status"] == recorder.RETURNED
    assert recording.results["train_lstm/paseo_400"]["status"] == recorder.RETURNED
    assert {path.name: path.read_bytes() for path in plan_cache.iterdir()} == before
    recording.remove()


def test_unwritable_plans_folder_tolerated(tmp_path, caplog):
    # Neither the staging folder nor the .failed marker can be created: the plan folder is missing.
    plan = tmp_path / "no_existe" / "lstm_repsol"
    with caplog.at_level("INFO", logger="leccion14.grading.sandbox_cache"):
        ensure_filled("lstm_repsol", plan, SOLUTION)
    assert "no se puede escribir en" in caplog.text
    assert "el llenado se repetirá" in caplog.text
    assert not plan.parent.exists()
