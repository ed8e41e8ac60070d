"""La ejecución de referencia: entrena ambos modelos y guarda modelos, historiales, gráficas y métricas."""

import json
from pathlib import Path

from .machine import describe_machine
from .plots import plot_forecast, plot_training_curves
from .spanish_numbers import decimal
from .training import run_cnn, run_lstm

REFERENCE_SEED = 0


def write_json(path: Path, payload: object) -> None:
    """Write ``payload`` as indented UTF-8 JSON, through a temporary file so readers never see half of it."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    temporary.replace(path)


def run_reference(
    out_dir: Path,
    seed: int = REFERENCE_SEED,
    cnn_epochs: int | None = None,
    lstm_epochs: int | None = None,
    cnn_train_limit: int | None = None,
) -> dict:
    """Train both reference models on the real data and write everything into ``out_dir``.

    ``cnn_train_limit`` trains the CNN on the first images only, for quick checks; the published
    numbers use the full 50,000.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    print("== Parte 1: CNN en CIFAR-10 ==", flush=True)
    cnn = run_cnn(seed, epochs=cnn_epochs, train_limit=cnn_train_limit)
    cnn.model.save(out_dir / "cnn.keras")
    write_json(out_dir / "cnn_history.json", cnn.history)
    plot_training_curves(cnn.history, out_dir / "cnn_curves.png", "CNN en CIFAR-10: exactitud y pérdida por época")
    print(f"Exactitud en prueba: {decimal(cnn.metrics['test_accuracy'], 4)} ({decimal(cnn.metrics['train_seconds'])} s de entrenamiento)", flush=True)

    print("== Parte 2: LSTM sobre Repsol ==", flush=True)
    lstm = run_lstm(seed, epochs=lstm_epochs)
    lstm.model.save(out_dir / "lstm.keras")
    write_json(out_dir / "lstm_history.json", lstm.history)
    lstm.forecasts.to_csv(out_dir / "lstm_forecasts.csv", index_label="Date", float_format="%.6f")
    plot_forecast(
        lstm.forecasts["real"], lstm.forecasts["forecast"], lstm.forecasts["persistence"],
        out_dir / "lstm_forecast.png", "Repsol: máximo diario en 2020 y enero de 2021",
    )
    print(
        f"RMSE: {decimal(lstm.metrics['rmse_eur'], 4)} € (persistencia: {decimal(lstm.metrics['persistence_rmse_eur'], 4)} €), "
        f"MASE: {decimal(lstm.metrics['mase'], 3)}",
        flush=True,
    )

    summary = {"seed": seed, "machine": describe_machine(), "cnn": cnn.metrics, "lstm": lstm.metrics}
    write_json(out_dir / "metrics.json", summary)
    print(f"Resultados en {out_dir}", flush=True)
    return summary
