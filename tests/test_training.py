"""Short real-data trainings: learning happens, forecasts align with dates, runs repeat.

These train on the real CIFAR-10 and Repsol data for a few seconds each; the full 10-epoch
numbers come from `make reference` and `make calibrate`, not from the test suite.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from leccion14.repsol import load_repsol, split_high
from leccion14.training import run_cnn, run_lstm


@pytest.fixture(scope="module")
def short_cnn(real_raw_dir):
    return run_cnn(seed=0, epochs=2, train_limit=4000, verbose=0)


def test_cnn_loss_falls(short_cnn):
    losses = short_cnn.history["loss"]

    assert losses[1] < losses[0], losses


def test_cnn_beats_chance_on_full_test_set(short_cnn):
    # Chance is 0.10 on ten balanced classes; 4,000 images and two epochs reach about 0.35.
    assert short_cnn.metrics["test_accuracy"] > 0.25


def test_cnn_metrics_describe_architecture(short_cnn):
    assert short_cnn.metrics["params"] == 167_562
    assert short_cnn.metrics["feature_volume"] == [6, 6, 64]
    assert short_cnn.metrics["flatten_size"] == 2304
    assert short_cnn.metrics["train_images"] == 4000


@pytest.fixture(scope="module")
def short_lstm(real_raw_dir):
    return run_lstm(seed=0, epochs=3, verbose=0)


def test_lstm_loss_falls(short_lstm):
    losses = short_lstm.history["loss"]

    assert losses[-1] < losses[0], losses


def test_lstm_forecasts_every_test_day(short_lstm, real_raw_dir):
    _, test = split_high(load_repsol(real_raw_dir / "REP.MC.csv"))
    forecasts = short_lstm.forecasts

    assert len(forecasts) == 264
    assert forecasts.index.equals(test.index)
    assert np.array_equal(forecasts["real"].to_numpy(), test.to_numpy())
    assert forecasts["forecast"].notna().all()


def test_lstm_forecasts_are_euros(short_lstm):
    # 2020 prices range from about 5 € to 15 €; scaled outputs would sit near 0.1–0.4.
    forecast = short_lstm.forecasts["forecast"]

    assert forecast.min() > 3.0
    assert forecast.max() < 20.0
    assert short_lstm.metrics["rmse_eur"] < 3.0


def test_lstm_same_seed_repeats(real_raw_dir):
    first = run_lstm(seed=3, epochs=1, verbose=0).forecasts["forecast"].to_numpy()
    second = run_lstm(seed=3, epochs=1, verbose=0).forecasts["forecast"].to_numpy()

    assert np.allclose(first, second, rtol=0, atol=1e-6)


def test_reference_command_writes_results(tmp_path: Path, real_raw_dir):
    out = tmp_path / "reference"
    command = [
        sys.executable, "-m", "leccion14.cli", "reference", "--out", str(out),
        "--cnn-epochs", "1", "--cnn-train-limit", "2000", "--lstm-epochs", "1",
    ]
    result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONUTF8": "1"}, timeout=600)

    assert result.returncode == 0, result.stderr[-2000:]
    assert "Exactitud en prueba" in result.stdout
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    for key in ("params", "feature_volume", "flatten_size", "test_accuracy", "train_seconds"):
        assert key in metrics["cnn"], key
    for key in ("params", "n_forecasts", "rmse_eur", "persistence_rmse_eur", "mase", "train_seconds"):
        assert key in metrics["lstm"], key
    assert metrics["lstm"]["n_forecasts"] == 264
    for name in ("cnn.keras", "lstm.keras", "cnn_history.json", "lstm_history.json", "cnn_curves.png", "lstm_forecast.png"):
        assert (out / name).is_file(), name
    forecasts = pd.read_csv(out / "lstm_forecasts.csv", index_col="Date", parse_dates=True)
    assert list(forecasts.columns) == ["real", "forecast", "persistence"]
