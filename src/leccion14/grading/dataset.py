"""Datos que el autocorrector necesita al calificar: subconjuntos fijos de CIFAR-10 y Repsol.

En el repositorio se leen de ``data/`` (``make data``). El paquete de Gradescope no lleva el
archivo de CIFAR-10 (decodificarlo tarda un minuto): lleva ``grading_data/`` con los arreglos ya
extraídos por ``export_grading_data``; la variable LECCION14_GRADING_DATA apunta a esa carpeta.
"""

import os
import shutil
from functools import lru_cache
from pathlib import Path

import numpy as np

# Images 0..N-1 of the (shuffled) CIFAR-10 training set used to test the student's training function.
TRAIN_SUBSET_SIZE = 2000
# One uncompressed .npy file per array, so grading can memory-map them (the zip compresses them).
CIFAR_FOLDER = "cifar10_grading"
_CIFAR_KEYS = ("x_train_subset", "y_train_subset", "x_test", "y_test")
_REPSOL_FILE = "REP.MC.csv"


def grading_data_dir() -> Path | None:
    """Return the exported grading-data folder, or None to read the repository's data/."""
    folder = os.environ.get("LECCION14_GRADING_DATA")
    return Path(folder) if folder else None


@lru_cache(maxsize=1)
def _cifar_arrays() -> dict[str, np.ndarray]:
    folder = grading_data_dir()
    if folder is not None:
        return {key: np.array(np.load(folder / CIFAR_FOLDER / f"{key}.npy", mmap_mode="r")) for key in _CIFAR_KEYS}
    from ..cifar import load_cifar10

    # Memory-mapped, so only the slices below are read: the full training set would add 150 MB
    # to the grading process.
    (x_train, y_train), (x_test, y_test) = load_cifar10(memory_map=True)
    return {
        "x_train_subset": np.array(x_train[:TRAIN_SUBSET_SIZE]),
        "y_train_subset": np.array(y_train[:TRAIN_SUBSET_SIZE]),
        "x_test": np.array(x_test),
        "y_test": np.array(y_test),
    }


def cifar_train_subset() -> tuple[np.ndarray, np.ndarray]:
    """Return the first TRAIN_SUBSET_SIZE training images (uint8) and labels (N, 1)."""
    arrays = _cifar_arrays()
    return arrays["x_train_subset"], arrays["y_train_subset"]


def cifar_test_set() -> tuple[np.ndarray, np.ndarray]:
    """Return the 10,000 CIFAR-10 test images (uint8) and labels (N, 1)."""
    arrays = _cifar_arrays()
    return arrays["x_test"], arrays["y_test"]


def repsol_csv() -> Path:
    """Return the path of the Repsol CSV that grading reads."""
    folder = grading_data_dir()
    if folder is not None:
        return folder / "raw" / _REPSOL_FILE
    from .. import paths

    return paths.raw_dir() / _REPSOL_FILE


def export_grading_data(folder: Path) -> Path:
    """Write the CIFAR-10 subsets and the Repsol CSV that the Gradescope package ships."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    x_train, y_train = cifar_train_subset()
    x_test, y_test = cifar_test_set()
    (folder / CIFAR_FOLDER).mkdir(exist_ok=True)
    for key, array in zip(_CIFAR_KEYS, (x_train, y_train, x_test, y_test)):
        np.save(folder / CIFAR_FOLDER / f"{key}.npy", array)
    # Same layout as the repository's data/ folder, so LECCION14_DATA_DIR can point here.
    (folder / "raw").mkdir(exist_ok=True)
    shutil.copyfile(repsol_csv(), folder / "raw" / _REPSOL_FILE)
    return folder


def default_grading_data_dir() -> Path:
    """Return build/grading/data, where the repository keeps its exported grading data."""
    from .. import paths

    return paths.build_dir() / "grading" / "data"


def ensure_grading_data(folder: Path | None = None) -> Path:
    """Export the grading data into ``folder`` (default build/grading/data) unless it is already there.

    Grading from the export keeps the 150 MB CIFAR-10 training set out of the grading process,
    as in the Gradescope package. The export reads the repository's data/ (``make data``).
    """
    folder = Path(folder or default_grading_data_dir())
    if (folder / CIFAR_FOLDER / "x_test.npy").is_file() and (folder / "raw" / _REPSOL_FILE).is_file():
        return folder
    staging = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    export_grading_data(staging)
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)
    return folder


def use_grading_data() -> None:
    """Make ``load_cifar10`` and ``load_repsol`` read the exported grading data, if it is set.

    The hidden tests call ``leccion14.cifar.load_cifar10()`` and ``leccion14.repsol.load_repsol()``.
    The Gradescope package has no CIFAR-10 archive, so ``load_cifar10`` is replaced by one that
    returns the exported subset as training set and the full test set.
    """
    folder = grading_data_dir()
    if folder is None:
        return
    os.environ["LECCION14_DATA_DIR"] = str(folder)
    from .. import cifar

    # NOTE: the training split returned here has only TRAIN_SUBSET_SIZE images; tests that need
    # the full training set cannot run from the Gradescope package.
    cifar.load_cifar10 = lambda: (cifar_train_subset(), cifar_test_set())
