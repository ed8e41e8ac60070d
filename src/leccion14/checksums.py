"""Verificación SHA-256 de los archivos de datos."""

import hashlib
from pathlib import Path

from .errors import CourseDataError

_CHUNK_BYTES = 1 << 20


def sha256_of(path: Path) -> str:
    """Return the hex SHA-256 digest of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_sha256(path: Path, expected: str, fix: str, source: Path | None = None) -> None:
    """Raise CourseDataError unless ``path`` exists and has the ``expected`` SHA-256 digest.

    ``source`` names the file in messages when ``path`` is a temporary copy of it.
    """
    display_path = source or path
    if not path.is_file():
        raise CourseDataError(f"Falta el archivo de datos {display_path}. {fix}")
    actual = sha256_of(path)
    if actual != expected:
        raise CourseDataError(
            f"La suma SHA-256 de {display_path} no coincide: se esperaba {expected} y se obtuvo {actual}. "
            f"El archivo está incompleto o dañado. {fix}"
        )
