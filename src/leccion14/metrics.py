"""Métricas del pronóstico: RMSE, línea base de persistencia y MASE."""

import numpy as np


def rmse(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Return the root mean squared error, in the units of the inputs."""
    actual, forecast = _aligned(actual, forecast)
    return float(np.sqrt(np.mean((actual - forecast) ** 2)))


def mae(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Return the mean absolute error, in the units of the inputs."""
    actual, forecast = _aligned(actual, forecast)
    return float(np.mean(np.abs(actual - forecast)))


def persistence_forecast(train: np.ndarray, test: np.ndarray) -> np.ndarray:
    """Forecast each test day with the previous trading day's value ("tomorrow = today").

    The first test day uses the last training value, so every test day gets a forecast.
    """
    train = np.asarray(train, dtype="float64").reshape(-1)
    test = np.asarray(test, dtype="float64").reshape(-1)
    return np.concatenate([train[-1:], test[:-1]])


def mase(actual: np.ndarray, forecast: np.ndarray, train: np.ndarray) -> float:
    """Return the mean absolute scaled error (Hyndman & Koehler, 2006).

    The scale is the in-sample MAE of the one-step naive forecast on the training series, so a
    value below 1 beats a persistence forecast made inside the training period.
    """
    train = np.asarray(train, dtype="float64").reshape(-1)
    scale = float(np.mean(np.abs(np.diff(train))))
    if scale == 0.0:
        raise ValueError("La serie de entrenamiento es constante: el MASE no está definido.")
    return mae(actual, forecast) / scale


def _aligned(actual: np.ndarray, forecast: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    actual = np.asarray(actual, dtype="float64").reshape(-1)
    forecast = np.asarray(forecast, dtype="float64").reshape(-1)
    if actual.shape != forecast.shape:
        raise ValueError(
            f"Hay {actual.size} valores reales y {forecast.size} pronósticos: deben ser tantos como días de prueba."
        )
    return actual, forecast
