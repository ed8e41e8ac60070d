"""Ubicaciones del repositorio: datos importados, caché y resultados generados."""

import os
from pathlib import Path

# The package is installed in editable mode from src/, so the repository root is two levels up.
REPO_ROOT = Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    """Return the data folder, overridable with LECCION14_DATA_DIR (tests and CI use it)."""
    return Path(os.environ.get("LECCION14_DATA_DIR", REPO_ROOT / "data"))


def raw_dir() -> Path:
    """Return the folder that contains the verified downloaded or mirrored archives."""
    return data_dir() / "raw"


def cache_dir() -> Path:
    """Return the folder that contains decoded arrays (CIFAR-10 as .npy)."""
    return data_dir() / "cache"


def build_dir() -> Path:
    """Return the folder for generated results (reference run, plots, models)."""
    return Path(os.environ.get("LECCION14_BUILD_DIR", REPO_ROOT / "build"))
