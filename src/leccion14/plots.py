"""Gráficas del curso: curvas de entrenamiento y pronóstico frente al precio real."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # Files only: the reference run and CI have no display.
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402


def plot_training_curves(history: dict[str, list[float]], path: Path, title: str) -> None:
    """Plot accuracy and loss per epoch, training against validation, into a PNG file."""
    epochs = range(1, len(history["loss"]) + 1)
    figure, (accuracy_axis, loss_axis) = plt.subplots(1, 2, figsize=(11, 4))
    for axis, metric, label in ((accuracy_axis, "accuracy", "Exactitud"), (loss_axis, "loss", "Pérdida")):
        if metric not in history:
            axis.set_visible(False)
            continue
        axis.plot(epochs, history[metric], marker="o", label="entrenamiento")
        if f"val_{metric}" in history:
            axis.plot(epochs, history[f"val_{metric}"], marker="o", label="validación")
        axis.set_xlabel("Época")
        axis.set_ylabel(label)
        axis.grid(alpha=0.3)
        axis.legend()
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def plot_forecast(actual: pd.Series, forecast, persistence, path: Path, title: str) -> None:
    """Plot the real price, the model's forecast and the persistence baseline by date."""
    figure, axis = plt.subplots(figsize=(11, 4.5))
    axis.plot(actual.index, actual.to_numpy(), color="black", label="Precio real (High)")
    axis.plot(actual.index, forecast, color="tab:red", label="Pronóstico LSTM")
    axis.plot(actual.index, persistence, color="tab:blue", alpha=0.6, linestyle="--", label="Persistencia (mañana = hoy)")
    axis.set_xlabel("Fecha")
    axis.set_ylabel("Euros")
    axis.set_title(title)
    axis.grid(alpha=0.3)
    axis.legend()
    figure.autofmt_xdate()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
