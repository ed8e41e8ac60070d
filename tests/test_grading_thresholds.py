"""Calibrated grading thresholds: full credit within K standard deviations, partial within 2K."""

import json

import pytest

from leccion14.grading.thresholds import K, cnn_accuracy_thresholds, lstm_rmse_thresholds, persistence_rmse


@pytest.fixture
def calibration(tmp_path, monkeypatch):
    path = tmp_path / "calibration.json"
    summary = {
        "cnn": {"test_accuracy": {"mean": 0.65, "std": 0.01}},
        "lstm": {"rmse_eur": {"mean": 0.7, "std": 0.05}, "persistence_rmse_eur": 0.27},
    }
    path.write_text(json.dumps(summary), encoding="utf-8")
    monkeypatch.setenv("LECCION14_CALIBRATION", str(path))
    return path


def test_cnn_limits_from_calibration(calibration):
    limits = cnn_accuracy_thresholds()

    assert limits.full == pytest.approx(0.65 - K * 0.01)
    assert limits.partial == pytest.approx(0.65 - 2 * K * 0.01)


def test_cnn_levels(calibration):
    limits = cnn_accuracy_thresholds()

    assert limits.level(0.65) == "full"
    assert limits.level(limits.full) == "full"
    assert limits.level(limits.full - 0.001) == "partial"
    assert limits.level(limits.partial - 0.001) == "none"


def test_lstm_limits_and_levels(calibration):
    limits = lstm_rmse_thresholds()

    assert limits.full == pytest.approx(0.7 + K * 0.05)
    assert limits.partial == pytest.approx(0.7 + 2 * K * 0.05)
    assert limits.level(0.5) == "full"
    assert limits.level(limits.full + 0.001) == "partial"
    assert limits.level(limits.partial + 0.001) == "none"
    assert persistence_rmse() == 0.27


def test_committed_calibration_separates_cases(monkeypatch):
    monkeypatch.delenv("LECCION14_CALIBRATION", raising=False)
    cnn, lstm = cnn_accuracy_thresholds(), lstm_rmse_thresholds()

    # Every calibrated run gets full credit; 1-epoch runs (0.22 accuracy, 1.72 €) get nothing.
    assert cnn.level(0.6476) == "full"
    assert lstm.level(0.7619) == "full"
    assert cnn.level(0.22) == "none"
    assert lstm.level(1.72) == "none"
