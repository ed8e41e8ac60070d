"""Entrenamiento de las dos soluciones de referencia con datos reales."""

import sys
import time
from dataclasses import dataclass, field

import keras
import numpy as np
import pandas as pd

from . import metrics
from .cifar import load_cifar10
from .modules import load_solution
from .repsol import load_repsol, split_high


def fit_verbosity() -> int:
    """Return 1 (progress bar) on a terminal and 2 (one line per epoch) in logs and CI."""
    return 1 if sys.stdout.isatty() else 2


@dataclass
class CnnRun:
    """A trained reference CNN with its history and test metrics."""

    model: keras.Model
    history: dict[str, list[float]]
    metrics: dict[str, object]


@dataclass
class LstmRun:
    """A trained reference LSTM with its history, forecasts and metrics."""

    model: keras.Model
    history: dict[str, list[float]]
    forecasts: pd.DataFrame
    metrics: dict[str, object] = field(default_factory=dict)


def run_cnn(seed: int, epochs: int | None = None, train_limit: int | None = None, verbose: int | None = None) -> CnnRun:
    """Train the reference CNN on CIFAR-10 and evaluate it on the full test set.

    ``train_limit`` keeps only the first images of the (shuffled) training set, for quick checks.
    """
    cnn = load_solution("cnn_cifar")
    keras.utils.set_random_seed(seed)
    (x_train, y_train), (x_test, y_test) = load_cifar10()
    if train_limit is not None:
        x_train, y_train = x_train[:train_limit], y_train[:train_limit]

    x_train, x_test = cnn.preprocess_images(x_train), cnn.preprocess_images(x_test)
    y_train, y_test = cnn.encode_labels(y_train), cnn.encode_labels(y_test)
    model = cnn.compile_cnn(cnn.build_cnn())

    start = time.perf_counter()
    history = cnn.train_cnn(
        model, x_train, y_train,
        epochs=epochs or cnn.EPOCHS,
        verbose=fit_verbosity() if verbose is None else verbose,
    )
    train_seconds = time.perf_counter() - start
    evaluation = cnn.evaluate_cnn(model, x_test, y_test)

    flatten = next(layer for layer in model.layers if isinstance(layer, keras.layers.Flatten))
    return CnnRun(
        model=model,
        history={key: [float(value) for value in values] for key, values in history.history.items()},
        metrics={
            "params": int(model.count_params()),
            "feature_volume": list(flatten.input.shape[1:]),
            "flatten_size": int(flatten.output.shape[-1]),
            "epochs": len(history.history["loss"]),
            "train_images": int(len(x_train)),
            "test_accuracy": evaluation["accuracy"],
            "test_loss": evaluation["loss"],
            "val_accuracy": float(history.history["val_accuracy"][-1]),
            "train_seconds": round(train_seconds, 1),
        },
    )


def run_lstm(seed: int, epochs: int | None = None, verbose: int | None = None) -> LstmRun:
    """Train the reference LSTM on Repsol's High up to 2019 and forecast every test day."""
    lstm = load_solution("lstm_repsol")
    keras.utils.set_random_seed(seed)
    train, test = split_high(load_repsol())

    scaler, train_scaled, test_scaled = lstm.scale_series(train.to_numpy(), test.to_numpy())
    X_train, y_train = lstm.make_windows(train_scaled)
    X_test = lstm.make_test_windows(train_scaled, test_scaled)
    model = lstm.compile_lstm(lstm.build_lstm())

    start = time.perf_counter()
    history = lstm.train_lstm(
        model, X_train, y_train,
        epochs=epochs or lstm.EPOCHS,
        verbose=fit_verbosity() if verbose is None else verbose,
    )
    train_seconds = time.perf_counter() - start
    forecast = lstm.forecast_euros(model, X_test, scaler)
    persistence = metrics.persistence_forecast(train.to_numpy(), test.to_numpy())

    forecasts = pd.DataFrame(
        {"real": test.to_numpy(), "forecast": forecast, "persistence": persistence},
        index=test.index,
    )
    return LstmRun(
        model=model,
        history={key: [float(value) for value in values] for key, values in history.history.items()},
        forecasts=forecasts,
        metrics={
            "params": int(model.count_params()),
            "window": int(X_train.shape[1]),
            "epochs": len(history.history["loss"]),
            "n_forecasts": int(len(forecast)),
            "first_forecast_date": str(test.index[0].date()),
            "last_forecast_date": str(test.index[-1].date()),
            "rmse_eur": metrics.rmse(test, forecast),
            "persistence_rmse_eur": metrics.rmse(test, persistence),
            "mae_eur": metrics.mae(test, forecast),
            "mase": metrics.mase(test, forecast, train),
            "persistence_mase": metrics.mase(test, persistence, train),
            "train_seconds": round(train_seconds, 1),
        },
    )


def summarize(values: list[float]) -> dict[str, float]:
    """Return the mean, sample standard deviation, min and max of a list of measurements."""
    array = np.asarray(values, dtype="float64")
    return {
        "mean": float(array.mean()),
        "std": float(array.std(ddof=1)) if len(array) > 1 else 0.0,
        "min": float(array.min()),
        "max": float(array.max()),
        "n": int(len(array)),
    }
