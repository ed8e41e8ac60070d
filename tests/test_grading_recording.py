"""Recorder in the sandbox and replay stubs: returned values, errors, crashes and timeouts."""

import shutil
import textwrap

import numpy as np
import pytest

from leccion14.grading import recorder
from leccion14.grading.grade import ensure_plan
from leccion14.grading.recording import record_module
from leccion14.grading.replay import Replayer, ReplayError
from leccion14.probes import probe_args
from leccion14 import paths

SOLUTION = paths.REPO_ROOT / "solutions" / "lstm_repsol.py"


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
    with pytest.raises(ReplayError, match="hizo que el proceso terminara"):
        stubs["build_lstm"]()
    with pytest.raises(ReplayError, match="no grabó la llamada make_windows"):
        stubs["make_windows"](series[:10], 3)


def test_replay_updates_model_in_place(lstm_plan):
    recording = record_module("lstm_repsol", SOLUTION, lstm_plan)
    stubs = Replayer("lstm_repsol", recording.folder, recording.results).functions()
    model, = probe_args("compile_lstm")
    stubs["compile_lstm"](model)
    assert model.get_compile_config()["loss"] == "mean_squared_error"
    scaler, train_scaled, _ = stubs["scale_series"](*probe_args("scale_series/fuga"))
    assert train_scaled.max() == pytest.approx(1.0)
    assert scaler.inverse_transform([[1.0]])[0, 0] == pytest.approx(probe_args("scale_series/fuga")[0].max())


@pytest.mark.skipif(__import__("os").geteuid() != 0, reason="sin root no hay cambio de usuario")
def test_unreachable_folder_is_grader_error(tmp_path, lstm_plan):
    # pytest's tmp_path sits under a folder private to root, which the sandbox user cannot enter.
    with pytest.raises(RuntimeError, match="El grabador no llegó a arrancar"):
        record_module("lstm_repsol", SOLUTION, lstm_plan, folder=tmp_path / "sandbox")
