"""Calibración: repite el entrenamiento de referencia con varias semillas y resume la variación.

El autocorrector toma sus umbrales de este resumen (media − k·desviación típica).
"""

import json
import shlex
import sys
from pathlib import Path

from . import paths
from .spanish_numbers import decimal

CALIBRATION_FILE = paths.REPO_ROOT / "autograder" / "calibration.json"
CNN_SEEDS = 5
LSTM_SEEDS = 10


def load_calibration(path: Path = CALIBRATION_FILE) -> dict:
    """Read the committed calibration summary."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def run_calibration(path: Path = CALIBRATION_FILE, cnn_seeds: int = CNN_SEEDS, lstm_seeds: int = LSTM_SEEDS) -> dict:
    """Train the CNN with ``cnn_seeds`` seeds and the LSTM with ``lstm_seeds`` seeds; write the summary."""
    # Imported here so that `leccion14 --help` does not load TensorFlow.
    from .machine import describe_machine
    from .reference import write_json
    from .training import run_cnn, run_lstm, summarize

    cnn_runs = []
    for seed in range(cnn_seeds):
        print(f"== CNN, semilla {seed} ({seed + 1}/{cnn_seeds}) ==", flush=True)
        cnn_runs.append(run_cnn(seed, verbose=2).metrics)
        print(f"   exactitud en prueba {decimal(cnn_runs[-1]['test_accuracy'], 4)}", flush=True)

    lstm_runs = []
    for seed in range(lstm_seeds):
        print(f"== LSTM, semilla {seed} ({seed + 1}/{lstm_seeds}) ==", flush=True)
        lstm_runs.append(run_lstm(seed, verbose=0).metrics)
        print(f"   RMSE {decimal(lstm_runs[-1]['rmse_eur'], 4)} €", flush=True)

    summary = {
        "command": " ".join(["python -m leccion14.cli", *(shlex.quote(argument) for argument in sys.argv[1:])]),
        "machine": describe_machine(),
        "cnn": {
            "seeds": list(range(cnn_seeds)),
            "test_accuracy": summarize([run["test_accuracy"] for run in cnn_runs]),
            "train_seconds": summarize([run["train_seconds"] for run in cnn_runs]),
            "runs": cnn_runs,
        },
        "lstm": {
            "seeds": list(range(lstm_seeds)),
            "rmse_eur": summarize([run["rmse_eur"] for run in lstm_runs]),
            "mase": summarize([run["mase"] for run in lstm_runs]),
            "persistence_rmse_eur": lstm_runs[0]["persistence_rmse_eur"],
            "train_seconds": summarize([run["train_seconds"] for run in lstm_runs]),
            "runs": lstm_runs,
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, summary)
    print(f"Calibración escrita en {path}", flush=True)
    return summary
