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


@pytest.fixture(scope="session")
def hidden_tests(tmp_path_factory: pytest.TempPathFactory):
    """Return a function that gives build/otter/<part>/autograder/tests for a part name.

    Otter Assign regenerates a part's tests from its master notebook when they are missing or older
    than the master; the student files it writes at the same time go to a temporary folder, so the
    committed assignments/ stays untouched.
    """
    from leccion14.student.assign import build_part
    from leccion14.student.parts import PARTS, SOLUTIONS_DIR, otter_output_dir

    def tests_for(part_name: str) -> Path:
        part = next(part for part in PARTS if part.name == part_name)
        tests = otter_output_dir() / part.name / "autograder" / "tests"
        master = SOLUTIONS_DIR / part.notebook
        if not tests.is_dir() or tests.stat().st_mtime < master.stat().st_mtime:
            build_part(part, SOLUTIONS_DIR, tmp_path_factory.mktemp("assignments"), otter_output_dir())
        return tests

    return tests_for


@pytest.fixture(scope="session")
def lstm_tests(hidden_tests) -> Path:
    """Return the LSTM part's public and hidden Otter tests."""
    return hidden_tests("lstm")
