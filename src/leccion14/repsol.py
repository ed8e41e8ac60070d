"""Carga de las cotizaciones diarias de Repsol (REP.MC) y su división en entrenamiento y prueba."""

from pathlib import Path

import pandas as pd

from . import paths
from .errors import CourseDataError
from .sources import REPSOL_CSV

TARGET_COLUMN = "High"
TRAIN_END = "2019-12-31"
TEST_START = "2020-01-01"
_NUMERIC_COLUMNS = ("Open", "High", "Low", "Close", "Adj Close", "Volume")


def _to_float(frame: pd.DataFrame, column: str, path: Path) -> pd.Series:
    """Convert a column to float, naming the first row that is not a number."""
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() & frame[column].notna()
    if bad.any():
        row = bad.idxmax()
        text = frame.at[row, column]
        # Row numbers count the header as line 1, as a spreadsheet shows them.
        line = row + 2
        if "," in str(text):
            raise CourseDataError(
                f"{path}, línea {line}: la columna '{column}' contiene '{text}', con coma decimal. "
                "El CSV debe usar punto decimal (formato de Yahoo Finance); vuelve a exportarlo o "
                "reemplaza las comas por puntos."
            )
        raise CourseDataError(
            f"{path}, línea {line}: la columna '{column}' contiene '{text}', que no es un número. "
            "Corrige o elimina esa fila."
        )
    return values.astype(float)


def load_repsol(path: Path | None = None) -> pd.DataFrame:
    """Read the Yahoo Finance CSV into a DataFrame indexed by ``Date``, sorted, without null rows.

    Raises:
        CourseDataError: the file is missing or empty, ``Date`` or ``High`` is missing, a date
            cannot be parsed, a date repeats, or a number uses a decimal comma.
    """
    path = Path(path) if path is not None else paths.raw_dir() / REPSOL_CSV.name
    if not path.is_file():
        raise CourseDataError(f"No se encuentra {path}. Ejecuta primero `make data`.")
    if path.stat().st_size == 0:
        raise CourseDataError(f"El archivo {path} está vacío. Vuelve a importarlo con `make data`.")

    try:
        frame = pd.read_csv(path, dtype=str, na_values=["null"], keep_default_na=True)
    except pd.errors.EmptyDataError as error:
        raise CourseDataError(f"El archivo {path} no tiene filas de datos. Vuelve a importarlo con `make data`.") from error

    for column in ("Date", TARGET_COLUMN):
        if column not in frame.columns:
            raise CourseDataError(
                f"Falta la columna '{column}' en {path}; las columnas son {list(frame.columns)}. "
                "El CSV debe tener la cabecera de Yahoo Finance: Date,Open,High,Low,Close,Adj Close,Volume."
            )
    if frame.empty:
        raise CourseDataError(f"El archivo {path} solo tiene la cabecera, sin filas de datos.")

    dates = pd.to_datetime(frame["Date"], format="%Y-%m-%d", errors="coerce")
    if dates.isna().any():
        row = dates.isna().idxmax()
        raise CourseDataError(
            f"{path}, línea {row + 2}: la fecha '{frame.at[row, 'Date']}' no es válida; "
            "se espera el formato AAAA-MM-DD (por ejemplo 2020-01-02)."
        )

    numeric = {column: _to_float(frame, column, path).to_numpy() for column in _NUMERIC_COLUMNS if column in frame.columns}
    data = pd.DataFrame(numeric, index=pd.DatetimeIndex(dates, name="Date"))

    repeated = data.index[data.index.duplicated()]
    if len(repeated):
        raise CourseDataError(f"La fecha {repeated[0].date()} aparece más de una vez en {path}. Deja una sola fila por día.")

    # Yahoo writes market holidays as rows of "null" in every column.
    data = data.dropna().sort_index()
    if data.empty:
        raise CourseDataError(f"Todas las filas de {path} tienen valores nulos. Vuelve a importarlo con `make data`.")
    return data


def split_high(data: pd.DataFrame, train_end: str = TRAIN_END, test_start: str = TEST_START) -> tuple[pd.Series, pd.Series]:
    """Split the ``High`` column into training (up to ``train_end``) and test (from ``test_start``)."""
    high = data[TARGET_COLUMN]
    train = high.loc[:train_end]
    test = high.loc[test_start:]
    if train.empty or test.empty:
        raise CourseDataError(
            f"La serie va de {high.index.min().date()} a {high.index.max().date()} y no cubre "
            f"entrenamiento hasta {train_end} y prueba desde {test_start}."
        )
    return train, test
