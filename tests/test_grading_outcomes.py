"""Measures of trained artefacts on the real data: CNN test accuracy and forecast diagnostics."""

import re

import keras
import numpy as np
import pandas as pd
import pytest

from leccion14.grading.outcomes import WINDOW, cnn_loss_and_accuracy, forecast_errors, forecast_problem, forecast_summary, model_forecasts


@pytest.fixture(scope="module")
def lstm_model(reference_dir):
    return keras.saving.load_model(reference_dir / "lstm.keras")


@pytest.fixture(scope="module")
def reference_forecasts(reference_dir):
    frame = pd.read_csv(reference_dir / "lstm_forecasts.csv", parse_dates=["Date"])
    return frame.set_index("Date")["forecast"].rename("forecast")


def test_reference_cnn_accuracy(reference_dir):
    import json

    model = keras.saving.load_model(reference_dir / "cnn.keras")
    loss, accuracy = cnn_loss_and_accuracy(model)
    metrics = json.loads((reference_dir / "metrics.json").read_text(encoding="utf-8"))

    assert accuracy == pytest.approx(metrics["cnn"]["test_accuracy"], abs=1e-3)
    assert loss == pytest.approx(metrics["cnn"]["test_loss"], abs=1e-2)


def test_wrong_output_shape_message(real_raw_dir):
    model = keras.Sequential([keras.Input(shape=(32, 32, 3)), keras.layers.Flatten(), keras.layers.Dense(5)])

    with pytest.raises(ValueError, match=r"devuelve forma \(5,\).*debe devolver \(N, 10\)"):
        cnn_loss_and_accuracy(model, limit=10)


def test_reference_forecasts_pass(reference_forecasts, lstm_model):
    assert forecast_problem(reference_forecasts, lstm_model) is None
    assert np.allclose(model_forecasts(lstm_model), reference_forecasts.to_numpy(), atol=0.02)


def test_forecast_errors_in_euros(reference_forecasts, reference_dir):
    import json

    metrics = json.loads((reference_dir / "metrics.json").read_text(encoding="utf-8"))
    errors = forecast_errors(reference_forecasts)

    assert errors["rmse"] == pytest.approx(metrics["lstm"]["rmse_eur"], abs=1e-6)
    assert errors["mase"] == pytest.approx(metrics["lstm"]["mase"], abs=1e-6)


def test_test_only_windows_named(reference_forecasts):
    message = forecast_problem(reference_forecasts.iloc[WINDOW:])

    assert message.startswith("Hay 164 pronósticos y 264 días de prueba")
    assert "ventanas de prueba se construyeron solo con datos de prueba" in message


def test_wrong_dates_named(reference_forecasts):
    moved = reference_forecasts.copy()
    moved.index = moved.index + pd.Timedelta(days=1)

    assert forecast_problem(moved).startswith("Las fechas de los pronósticos no son las de prueba")


def test_scaled_forecasts_named(reference_forecasts):
    scaled = reference_forecasts / 30.0

    assert "siguen en la escala [0, 1] del MinMaxScaler" in forecast_problem(scaled)


def test_shifted_forecasts_named(reference_forecasts, lstm_model):
    values = reference_forecasts.to_numpy()
    early = reference_forecasts.copy()
    early[:] = np.concatenate([values[1:], values[-1:]])
    late = reference_forecasts.copy()
    late[:] = np.concatenate([values[:1], values[:-1]])

    assert "para el día siguiente" in forecast_problem(early, lstm_model)
    assert "para el día anterior" in forecast_problem(late, lstm_model)


def test_summary_reports_mase(reference_forecasts):
    summary = forecast_summary(reference_forecasts)

    assert summary.startswith("Tu pronóstico: RMSE ")
    assert "MASE" in summary
    # Decimal commas, as the students write numbers.
    assert re.match(r"Tu pronóstico: RMSE \d+,\d{3} € y MASE \d+,\d{2}\.", summary), summary
    assert forecast_summary(reference_forecasts.iloc[WINDOW:]) is None


def test_model_forecasts_computed_once(lstm_model):
    from leccion14.grading.outcomes import measure_artefacts

    measure_artefacts({"lstm_model": lstm_model, "lstm_forecasts": None})
    first = model_forecasts(lstm_model)

    # The hidden tests get the array computed while the sandbox recorded, and cannot change it.
    assert model_forecasts(lstm_model) is first
    with pytest.raises(ValueError):
        first[0] = 0.0


def test_measure_leaves_errors_to_the_tests():
    from leccion14.grading.outcomes import measure_artefacts

    # Its first input is (None, 100, 1), but it also expects a second one, so predict fails.
    windows, extra = keras.Input(shape=(WINDOW, 1)), keras.Input(shape=(3,))
    joined = keras.layers.Concatenate()([keras.layers.Flatten()(windows), extra])
    wrong = keras.Model([windows, extra], keras.layers.Dense(1)(joined))
    measure_artefacts({"lstm_model": wrong})

    # Not kept: the test that calls it again gets the error itself.
    with pytest.raises(Exception):
        model_forecasts(wrong)


def test_measures_freed_with_model():
    import gc

    from leccion14.grading import outcomes

    model = keras.Sequential([keras.Input(shape=(WINDOW, 1)), keras.layers.LSTM(4), keras.layers.Dense(1)])
    model_forecasts(model)
    key = ("lstm_forecasts", id(model))
    assert key in outcomes._per_model_cache

    del model
    gc.collect()
    assert key not in outcomes._per_model_cache
