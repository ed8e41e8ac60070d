"""Entorno de las pruebas de Otter: funciones de sustitución más los artefactos entregados.

Las pruebas reciben por nombre las funciones del estudiante (que reproducen lo grabado) y los
artefactos ``cnn_model``, ``cnn_history``, ``lstm_model``, ``lstm_history`` y ``lstm_forecasts``.
Un artefacto que falta o no es válido vale None y su problema se muestra al estudiante.
"""

import json
import math
from pathlib import Path

from .models import SubmissionError, load_model_safely
from .submission import PARTS, find_file

MAX_JSON_BYTES = 5 * 1024**2


def load_history(path: Path, label: str) -> dict[str, list[float]]:
    """Read a ``history.history`` JSON: a dict of equally long lists of finite numbers."""
    if path.stat().st_size > MAX_JSON_BYTES:
        raise SubmissionError(f"{label}: {path.name} ocupa más de 5 MB; guarda solo history.history.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise SubmissionError(f"{label}: {path.name} no es JSON válido ({error}). Guárdalo con json.dumps(history.history).") from None
    if not isinstance(data, dict) or not data:
        raise SubmissionError(f"{label}: {path.name} debe contener el diccionario history.history, con claves como 'loss'.")
    for key, values in data.items():
        if not isinstance(values, list) or not all(isinstance(value, (int, float)) and math.isfinite(value) for value in values):
            raise SubmissionError(f"{label}: la clave '{key}' de {path.name} debe ser una lista de números finitos.")
    return {key: [float(value) for value in values] for key, values in data.items()}


def load_forecasts(path: Path, label: str):
    """Read ``Date,forecast`` into a float Series indexed by date."""
    import pandas as pd

    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise SubmissionError(f"{label}: {path.name} no es un CSV válido ({error}).") from None
    missing = [column for column in ("Date", "forecast") if column not in frame.columns]
    if missing:
        raise SubmissionError(
            f"{label}: a {path.name} le faltan las columnas {missing}; tiene {list(frame.columns)}. "
            "Guárdalo con lstm_forecasts.rename('forecast').to_csv(..., index_label='Date')."
        )
    dates = pd.to_datetime(frame["Date"], format="%Y-%m-%d", errors="coerce")
    values = pd.to_numeric(frame["forecast"], errors="coerce")
    if dates.isna().any():
        raise SubmissionError(f"{label}: la columna Date de {path.name} tiene fechas que no son AAAA-MM-DD, como '{frame['Date'][dates.isna()].iloc[0]}'.")
    if values.isna().any():
        raise SubmissionError(f"{label}: la columna forecast de {path.name} tiene valores vacíos o no numéricos.")
    return pd.Series(values.to_numpy(dtype="float64"), index=pd.DatetimeIndex(dates, name="Date"), name="forecast")


def load_artefacts(part: str, root: Path) -> tuple[dict, list[str]]:
    """Load the part's submitted artefacts; return (values by name, Spanish problems)."""
    values, problems = {}, []
    for name, relative in PARTS[part].artefacts.items():
        label = f"Artefacto {relative}"
        path = find_file(root, relative)
        values[name] = None
        if path is None:
            problems.append(f"{label}: no está en la entrega. Ejecuta el cuaderno completo, que lo guarda, y vuelve a exportar.")
            continue
        try:
            if relative.endswith(".keras"):
                # Trained models are only evaluated; skipping compile() saves the optimizer state
                # and, on JAX, about 130 MiB during prediction.
                values[name] = load_model_safely(path, label, compile=False)
            elif relative.endswith(".csv"):
                values[name] = load_forecasts(path, label)
            else:
                values[name] = load_history(path, label)
        except SubmissionError as error:
            problems.append(str(error))
    return values, problems
