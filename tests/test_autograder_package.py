"""The Gradescope package: contents of dist/<part>-autograder.zip and run_autograder in a simulated layout.

Building the package exports the grading data and the probe plan when build/ lacks them, which
takes up to about a minute from a clean clone. Grading one CNN submission through run_autograder
takes 10-20 s on 2 cores.
"""

import json
import os
import shutil
import stat
import subprocess
import sys
import time
import zipfile

import pytest

from leccion14 import paths
from leccion14.bench import peak_tree_memory
from leccion14.grading import package

# Gradescope's default box has 768 MB (732 MiB) for the whole submission. The recorder is a fork
# of the trusted step and shares its Keras pages, so the bound applies to the PSS of the tree.
MAX_WALL_SECONDS = 60
GRADESCOPE_MEMORY_MIB = 768e6 / 1024**2


@pytest.fixture(scope="module")
def cnn_archive(tmp_path_factory, real_raw_dir, hidden_tests):
    # hidden_tests regenerates build/otter/<part>/autograder/tests, where the package reads them.
    hidden_tests("cnn")
    return package.build_autograder("cnn", tmp_path_factory.mktemp("dist"))


def test_archive_contents(cnn_archive):
    with zipfile.ZipFile(cnn_archive) as archive:
        names = set(archive.namelist())
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}

    for required in ("setup.sh", "run_autograder", "requirements.txt", "calibration.json", "project/pyproject.toml",
                     "tests/cnn_entrenamiento.py", "plans/cnn_cifar/plan.json", "grading_data/cifar10_grading/x_test.npy"):
        assert required in names
    assert modes["run_autograder"] & stat.S_IXUSR
    assert not any(name.startswith("solutions/") or name.endswith("cnn_cifar.py") for name in names)


def test_requirements_pinned(cnn_archive):
    with zipfile.ZipFile(cnn_archive) as archive:
        requirements = archive.read("requirements.txt").decode().split()

    assert all("==" in line for line in requirements)
    assert any(line.startswith("jax==") for line in requirements)
    assert any(line.startswith("ml_dtypes==") for line in requirements)
    # The grader runs Keras on JAX; TensorFlow would only add 1.3 GB of installed files to set-up.
    assert not any(line.startswith("tensorflow") for line in requirements)
    assert not any(line.startswith(("playwright", "otter-grader[")) for line in requirements)


def test_setup_uses_pip_only(cnn_archive):
    with zipfile.ZipFile(cnn_archive) as archive:
        setup = archive.read("setup.sh").decode()
    commands = "\n".join(line for line in setup.splitlines() if not line.lstrip().startswith("#"))

    assert "pip install" in commands
    for forbidden in ("otter generate", "conda", "mamba", "miniforge", "playwright install"):
        assert forbidden not in commands.lower()


def _gradescope_layout(root, archive, reference_dir):
    with zipfile.ZipFile(archive) as bundle:
        bundle.extractall(root / "source")
    for info in zipfile.ZipFile(archive).infolist():
        mode = info.external_attr >> 16
        if mode:
            (root / "source" / info.filename).chmod(mode)
    submission = root / "submission"
    (submission / "entrega").mkdir(parents=True)
    shutil.copyfile(paths.REPO_ROOT / "solutions" / "cnn_cifar.py", submission / "cnn_cifar.py")
    shutil.copyfile(reference_dir / "cnn.keras", submission / "entrega" / "cnn_model.keras")
    shutil.copyfile(reference_dir / "cnn_history.json", submission / "entrega" / "cnn_history.json")
    (root / "results").mkdir()


def test_run_autograder_grades_reference(cnn_archive, reference_dir, tmp_path):
    root = tmp_path / "autograder"
    _gradescope_layout(root, cnn_archive, reference_dir)
    stats_file = tmp_path / "stats.json"
    environment = {
        **os.environ,
        "LECCION14_AUTOGRADER_ROOT": str(root),
        "LECCION14_PYTHON": sys.executable,
        "LECCION14_GRADING_STATS": str(stats_file),
    }
    for name in ("LECCION14_GRADING_DATA", "LECCION14_GRADING_PLANS", "LECCION14_CALIBRATION"):
        environment.pop(name, None)

    start = time.perf_counter()
    errors = tmp_path / "stderr.txt"
    with open(errors, "w", encoding="utf-8") as error_file:
        process = subprocess.Popen(["bash", str(root / "source" / "run_autograder")], env=environment, stdout=subprocess.DEVNULL, stderr=error_file)
        peak_mib = peak_tree_memory(process, interval_s=0.05) / 1024**2
    elapsed = time.perf_counter() - start

    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    stats = json.loads(stats_file.read_text(encoding="utf-8"))
    print(f"run_autograder: {elapsed:.1f} s, PSS máxima del árbol {peak_mib:.0f} MiB, {stats}")
    assert process.returncode == 0, errors.read_text(encoding="utf-8")[-2000:]
    assert results["score"] == sum(test["max_score"] for test in results["tests"]), results["output"]
    assert stat.S_IMODE((root / "source").stat().st_mode) & 0o077 == 0
    assert elapsed < MAX_WALL_SECONDS
    assert stats["keras_backend"] == "jax"
    assert peak_mib < GRADESCOPE_MEMORY_MIB
    # Recording in the background would not fit in the box, whatever memory this machine has.
    log = errors.read_text(encoding="utf-8")
    assert "Grabador de cnn_cifar" in log
    assert "en segundo plano" not in log


def test_run_autograder_always_writes_results(cnn_archive, tmp_path):
    root = tmp_path / "autograder"
    with zipfile.ZipFile(cnn_archive) as bundle:
        bundle.extractall(root / "source")
    (root / "submission").mkdir()
    (root / "submission" / "entrega.zip").write_bytes(b"esto no es un zip")
    environment = {**os.environ, "LECCION14_AUTOGRADER_ROOT": str(root), "LECCION14_PYTHON": sys.executable}

    subprocess.run(["bash", str(root / "source" / "run_autograder")], env=environment, capture_output=True, text=True)
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))

    assert results["score"] == 0
    assert "entrega.zip no es un zip válido" in results["output"]


def test_lstm_archive_leaves_out_cifar(tmp_path, real_raw_dir, hidden_tests):
    hidden_tests("lstm")
    archive = package.build_autograder("lstm", tmp_path)

    with zipfile.ZipFile(archive) as bundle:
        names = bundle.namelist()
    assert "grading_data/raw/REP.MC.csv" in names
    assert not any(name.startswith("grading_data/cifar10") for name in names)
