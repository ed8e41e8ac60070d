"""Los archivos de datos que el curso conoce: nombre, suma SHA-256 y origen canónico."""

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class DataFile:
    """One dataset file as it is stored in ``data/raw`` and in a mirror folder."""

    name: str
    sha256: str | None
    url: str | None
    description: str


REPSOL_CSV = DataFile(
    name="REP.MC.csv",
    sha256="fd643705557507aa308863be13abc1eafe2741eaf584a0d112487cfeb22ca360",
    # Yahoo Finance's CSV export for REP.MC, 2003-01-01 to 2021-01-14 (exclusive) as Unix seconds.
    url="https://query1.finance.yahoo.com/v7/finance/download/REP.MC"
    "?period1=1041379200&period2=1610582400&interval=1d&events=history",
    description="Cotizaciones diarias de Repsol (REP.MC) en Yahoo Finance, 2003-01-01 a 2021-01-13",
)

CIFAR_IMAGES = DataFile(
    name="cifar-10-images.tar.gz",
    sha256="87f3a68a63208fd15b901348ff7a772d7942f76a04160e6ef0799c62719ac806",
    url=None,
    description="CIFAR-10 como imágenes JPEG en train|test/<clase>/ (copia con pérdida del original)",
)

# The archive and digest that keras.datasets.cifar10.load_data() downloads (Keras 3.15 source).
CIFAR_PYTHON = DataFile(
    name="cifar-10-python.tar.gz",
    sha256="6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
    url="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
    description="CIFAR-10 canónico (lotes pickle de Python), Krizhevsky 2009",
)

CIFAR_ARCHIVES = (CIFAR_PYTHON, CIFAR_IMAGES)


def download_url(data_file: DataFile) -> str | None:
    """Return the download URL, overridable per file for tests on a loopback server.

    The variables are LECCION14_URL_REPSOL and LECCION14_URL_CIFAR.
    """
    variable = "LECCION14_URL_REPSOL" if data_file.name == REPSOL_CSV.name else "LECCION14_URL_CIFAR"
    return os.environ.get(variable, data_file.url)
