"""Importación de un módulo de Python a partir de su ruta (soluciones o entregas)."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from . import paths


def load_module(path: Path, name: str | None = None) -> ModuleType:
    """Import the Python file at ``path`` as a fresh module and return it."""
    path = Path(path)
    name = name or path.stem
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"No se puede importar {path}: no es un archivo de Python.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_solution(name: str) -> ModuleType:
    """Import a reference module from ``solutions/`` (``cnn_cifar`` or ``lstm_repsol``)."""
    return load_module(paths.REPO_ROOT / "solutions" / f"{name}.py", name=f"solutions_{name}")
