"""Shared fixtures: the real imported data and isolated data folders."""

import shutil
from pathlib import Path

import pytest

from leccion14 import paths
from leccion14.sources import CIFAR_IMAGES, REPSOL_CSV

REAL_RAW = paths.REPO_ROOT / "data" / "raw"


@pytest.fixture(scope="session")
def real_raw_dir() -> Path:
    """The data/raw folder filled by `make data`; fails with the fix when it is missing."""
    for name in (REPSOL_CSV.name, CIFAR_IMAGES.name):
        if not (REAL_RAW / name).is_file():
            pytest.fail(f"Falta {REAL_RAW / name}: ejecuta `make data DATA_MIRROR=<carpeta>` antes de las pruebas.")
    return REAL_RAW


@pytest.fixture
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data folder used instead of data/ for one test."""
    home = tmp_path / "data"
    home.mkdir()
    monkeypatch.setenv("LECCION14_DATA_DIR", str(home))
    return home


@pytest.fixture
def mirror(tmp_path: Path, real_raw_dir: Path) -> Path:
    """A mirror folder holding copies of the real Repsol CSV and CIFAR-10 image archive."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    for name in (REPSOL_CSV.name, CIFAR_IMAGES.name):
        shutil.copyfile(real_raw_dir / name, folder / name)
    return folder


@pytest.fixture(scope="session")
def reference_dir(real_raw_dir: Path) -> Path:
    """The full reference run in build/reference, trained once when it is missing.

    Training both models for 10 epochs takes about 2.5 minutes on 2 cores; graders and the sample
    submissions need the real trained models because their thresholds come from the calibration.
    """
    from leccion14.reference import run_reference

    folder = paths.build_dir() / "reference"
    if not (folder / "metrics.json").is_file():
        run_reference(folder)
    return folder
