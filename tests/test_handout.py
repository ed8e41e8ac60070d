"""The student handout zip: what it contains, what it must not, and that its data command works."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from leccion14.handout import HANDOUT_NAME, build_handout
from leccion14.student.leaks import find_leaks
from leccion14.student.parts import PARTS, SOLUTIONS_DIR


@pytest.fixture(scope="module")
def handout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    archive = build_handout(out)
    with zipfile.ZipFile(archive) as bundle:
        bundle.extractall(out / "unzipped")
    return out / "unzipped" / HANDOUT_NAME


def test_handout_top_level(handout: Path):
    names = sorted(path.name for path in handout.iterdir())

    assert names == ["LEEME.md", "Makefile", "README.md", "assignments", "data", "pyproject.toml", "src"]


def test_handout_has_both_parts(handout: Path):
    for part in PARTS:
        assert (handout / "assignments" / part.name / part.notebook).is_file()
        assert (handout / "assignments" / part.name / part.module).is_file()
        assert list((handout / "assignments" / part.name / "tests").glob("*.py"))


def test_handout_has_no_solution_code(handout: Path):
    masters = [SOLUTIONS_DIR / part.notebook for part in PARTS] + [SOLUTIONS_DIR / part.module for part in PARTS]

    leaks = find_leaks(masters, handout)

    assert leaks == [], [f"{leak.generated}: {leak.statement}" for leak in leaks]


def test_handout_has_no_hidden_tests(handout: Path):
    test_sources = "\n".join(path.read_text(encoding="utf-8") for path in handout.rglob("tests/*.py"))

    assert "hidden=True" not in test_sources
    assert not (handout / "autograder").exists()
    assert not (handout / "solutions").exists()


def test_handout_has_no_grading_engine(handout: Path):
    package = handout / "src" / "leccion14"

    assert (package / "probes.py").is_file()
    assert not (package / "grading").exists()
    assert not (package / "student").exists()


def test_handout_has_no_data(handout: Path):
    data_files = [path.name for path in (handout / "data").iterdir()]

    assert data_files == ["README.md"]


def test_handout_imports_data_from_mirror(handout: Path, real_raw_dir: Path):
    # The handout's own package comes first on the path, so this runs the code students receive.
    environment = {**os.environ, "PYTHONPATH": str(handout / "src"), "PYTHONUTF8": "1"}
    environment.pop("LECCION14_DATA_DIR", None)
    command = [sys.executable, "-m", "leccion14.cli", "data", "--mirror", str(real_raw_dir)]

    result = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=300)

    assert result.returncode == 0, result.stderr[-2000:]
    assert "Datos listos en " + str(handout / "data") in result.stdout
    assert (handout / "data" / "raw" / "REP.MC.csv").is_file()
    assert (handout / "data" / "cache" / "cifar10" / "x_train.npy").is_file()


def test_handout_instructor_command_is_spanish(handout: Path):
    environment = {**os.environ, "PYTHONPATH": str(handout / "src"), "PYTHONUTF8": "1"}
    command = [sys.executable, "-m", "leccion14.cli", "student"]

    result = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=120)

    assert result.returncode == 2
    assert "la orden 'student' no está disponible aquí" in result.stderr
    assert "Traceback" not in result.stderr
