"""Huellas SHA-256 de los artefactos entrenados, para detectar entregas copiadas byte a byte.

De un ``.keras`` se resume solo ``model.weights.h5``, porque ``metadata.json`` lleva la fecha de
guardado y dos copias del mismo modelo guardadas en momentos distintos no coinciden como archivo.
"""

import hashlib
import zipfile
from pathlib import Path

from .submission import PARTS, find_file

# Artefacts compared between submissions: the trained weights and the forecasts.
FINGERPRINTED = ("cnn_model", "lstm_model", "lstm_forecasts")
_WEIGHTS_MEMBER = "model.weights.h5"


def _sha256_stream(stream) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(1024**2):
        digest.update(chunk)
    return digest.hexdigest()


def fingerprint_file(path: Path) -> str:
    """Return the SHA-256 of a model's weights (``.keras``) or of the whole file otherwise."""
    path = Path(path)
    if path.suffix == ".keras":
        try:
            with zipfile.ZipFile(path) as archive, archive.open(_WEIGHTS_MEMBER) as weights:
                return _sha256_stream(weights)
        except (zipfile.BadZipFile, KeyError):
            pass  # Not a Keras archive: the raw bytes still identify a copy.
    with open(path, "rb") as handle:
        return _sha256_stream(handle)


def fingerprint_submission(part: str, root: Path) -> dict[str, str]:
    """Return {artefact name: SHA-256} for the fingerprinted artefacts present under ``root``."""
    fingerprints = {}
    for name, relative in PARTS[part].artefacts.items():
        if name not in FINGERPRINTED:
            continue
        path = find_file(root, relative)
        if path is not None:
            fingerprints[name] = fingerprint_file(path)
    return fingerprints
