"""Repsol CSV loading, the train/test split and the Spanish errors for bad files."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from leccion14.errors import CourseDataError
from leccion14.repsol import load_repsol, split_high

HEADER = "Date,Open,High,Low,Close,Adj Close,Volume\n"


@pytest.fixture(scope="module")
def real_quotes(real_raw_dir: Path) -> pd.DataFrame:
    return load_repsol(real_raw_dir / "REP.MC.csv")


def test_real_file_drops_null_row(real_quotes: pd.DataFrame):
    assert len(real_quotes) == 4623
    assert pd.Timestamp("2020-09-18") not in real_quotes.index
    assert not real_quotes.isna().any().any()


def test_real_file_index_and_types(real_quotes: pd.DataFrame):
    assert isinstance(real_quotes.index, pd.DatetimeIndex)
    assert real_quotes.index.name == "Date"
    assert real_quotes.index.is_monotonic_increasing
    assert all(dtype == np.float64 for dtype in real_quotes.dtypes)


def test_real_split_sizes_and_dates(real_quotes: pd.DataFrame):
    train, test = split_high(real_quotes)

    assert len(train) == 4359
    assert len(test) == 264
    assert train.index[-1] == pd.Timestamp("2019-12-31")
    assert test.index[0] == pd.Timestamp("2020-01-02")
    assert test.index[-1] == pd.Timestamp("2021-01-13")
    assert train.name == "High"


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "REP.MC.csv"
    path.write_text(text, encoding="utf-8")
    return path


GOOD_ROWS = "2019-12-30,14.1,14.2,14.0,14.1,14.1,100\n2020-01-02,14.2,14.3,14.1,14.2,14.2,120\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"está vacío"),
        (HEADER, r"solo tiene la cabecera"),
        ("Date,Open,Low\n2020-01-02,1,1\n", r"Falta la columna 'High'"),
        ("Fecha,High\n2020-01-02,1\n", r"Falta la columna 'Date'"),
        (HEADER + "2020-13-45,1,1,1,1,1,1\n", r"línea 2: la fecha '2020-13-45' no es válida"),
        (HEADER + GOOD_ROWS + "02/01/2020,1,1,1,1,1,1\n", r"línea 4: la fecha '02/01/2020' no es válida"),
        (HEADER + '2020-01-02,"8,74","8,90",8.6,8.7,8.7,1\n', r"línea 2: la columna 'Open' contiene '8,74', con coma decimal"),
        (HEADER + "2020-01-02,8.7,abc,8.6,8.7,8.7,1\n", r"línea 2: la columna 'High' contiene 'abc', que no es un número"),
        (HEADER + GOOD_ROWS + "2020-01-02,1,1,1,1,1,1\n", r"La fecha 2020-01-02 aparece más de una vez"),
        (HEADER + "2020-01-02,null,null,null,null,null,null\n", r"Todas las filas .* tienen valores nulos"),
    ],
)
def test_bad_csv_gets_spanish_error(tmp_path: Path, text: str, message: str):
    with pytest.raises(CourseDataError, match=message):
        load_repsol(_csv(tmp_path, text))


def test_missing_file_says_make_data(tmp_path: Path):
    with pytest.raises(CourseDataError, match=r"No se encuentra .*Ejecuta primero `make data`"):
        load_repsol(tmp_path / "no-existe.csv")


def test_unsorted_rows_are_sorted(tmp_path: Path):
    rows = GOOD_ROWS.splitlines(keepends=True)
    quotes = load_repsol(_csv(tmp_path, HEADER + rows[1] + rows[0]))

    assert quotes.index.is_monotonic_increasing
    assert quotes["High"].tolist() == [14.2, 14.3]


def test_split_outside_range(tmp_path: Path):
    quotes = load_repsol(_csv(tmp_path, HEADER + "2021-01-04,1,1,1,1,1,1\n"))

    with pytest.raises(CourseDataError, match=r"no cubre entrenamiento hasta 2019-12-31"):
        split_high(quotes)
