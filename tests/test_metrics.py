"""Forecast metrics against hand-computed values."""

import numpy as np
import pytest

from leccion14 import metrics


def test_rmse_known_value():
    assert metrics.rmse([1.0, 2.0, 3.0], [1.0, 2.0, 5.0]) == pytest.approx(np.sqrt(4 / 3))


def test_persistence_uses_last_train_value():
    forecast = metrics.persistence_forecast(np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0]))

    assert forecast.tolist() == [3.0, 4.0, 5.0]


def test_mase_scales_by_training_naive_error():
    train = np.array([1.0, 3.0, 2.0, 4.0])  # Naive in-sample MAE = (2 + 1 + 2) / 3.
    assert metrics.mase([5.0, 6.0], [4.0, 6.0], train) == pytest.approx(0.5 / (5 / 3))


def test_mase_constant_train_rejected():
    with pytest.raises(ValueError, match=r"constante"):
        metrics.mase([1.0], [1.0], [2.0, 2.0, 2.0])


def test_length_mismatch_rejected():
    with pytest.raises(ValueError, match=r"Hay 3 valores reales y 2 pronósticos"):
        metrics.rmse([1.0, 2.0, 3.0], [1.0, 2.0])
