"""Carga segura de modelos .keras que vienen del estudiante.

Un .keras puede llevar código: una capa ``Lambda`` guarda bytecode de Python y una capa propia
obliga a importar su clase. Antes de cargar, se lee ``config.json`` del archivo y se rechaza
cualquier capa que no sea de Keras; después se carga con ``safe_mode=True`` como segunda barrera.
"""

import json
import zipfile
from pathlib import Path
from typing import Iterator

MAX_MODEL_BYTES = 64 * 1024**2


class SubmissionError(ValueError):
    """A submitted file is missing, malformed or unsafe; the message is Spanish and names the file."""


def _layer_configs(config: object) -> Iterator[dict]:
    """Yield every serialized object that has a class_name, depth first."""
    if isinstance(config, dict):
        if "class_name" in config:
            yield config
        for value in config.values():
            yield from _layer_configs(value)
    elif isinstance(config, list):
        for value in config:
            yield from _layer_configs(value)


def check_model_config(config: dict, label: str) -> None:
    """Raise SubmissionError if ``config`` contains a Lambda layer or a class outside Keras."""
    for node in _layer_configs(config):
        class_name = node["class_name"]
        module = node.get("module") or ""
        registered = node.get("registered_name") or ""
        layer_name = (node.get("config") or {}).get("name", "?") if isinstance(node.get("config"), dict) else "?"
        if class_name == "Lambda":
            raise SubmissionError(
                f"{label}: la capa '{layer_name}' es una capa Lambda, que guarda código de Python y no se "
                "puede cargar de forma segura. Sustitúyela por capas estándar de keras.layers "
                "(por ejemplo Rescaling en lugar de Lambda(lambda x: x / 255))."
            )
        if module and not module.startswith("keras"):
            raise SubmissionError(
                f"{label}: el objeto '{layer_name}' es de la clase {class_name} del módulo '{module}', "
                "que no es de Keras. Usa solo capas, activaciones y pérdidas de keras.layers y keras."
            )
        if ">" in registered:
            raise SubmissionError(
                f"{label}: el objeto '{layer_name}' usa la clase registrada '{registered}', que no es de "
                "Keras. Usa solo capas, activaciones y pérdidas estándar de Keras."
            )


def read_model_config(path: Path, label: str) -> dict:
    """Return the architecture stored in the ``config.json`` of a ``.keras`` archive."""
    path = Path(path)
    if not path.is_file():
        raise SubmissionError(f"{label}: no se encuentra el archivo {path.name}. Guárdalo con model.save(...) y vuelve a exportar.")
    if path.stat().st_size > MAX_MODEL_BYTES:
        raise SubmissionError(
            f"{label}: {path.name} ocupa {path.stat().st_size / 1024**2:.0f} MB y el máximo es "
            f"{MAX_MODEL_BYTES / 1024**2:.0f} MB. Guarda solo el modelo del enunciado."
        )
    try:
        with zipfile.ZipFile(path) as archive:
            return json.loads(archive.read("config.json"))
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise SubmissionError(
            f"{label}: {path.name} no es un modelo .keras válido ({error}). Guárdalo con "
            "model.save('....keras') en Keras 3."
        ) from None


def load_model_safely(path: Path, label: str, compile: bool = True):
    """Load a student's ``.keras`` model after rejecting Lambda and non-Keras layers.

    ``compile=False`` skips the loss, optimizer and metrics, for a model that is only evaluated.

    Raises:
        SubmissionError: the file is missing, too large, not a .keras archive, contains unsafe
            layers, or Keras fails to load it.
    """
    config = read_model_config(path, label)
    check_model_config(config, label)

    import keras

    try:
        return keras.saving.load_model(path, safe_mode=True, compile=compile)
    except Exception as error:  # noqa: BLE001 - Keras raises several types for a corrupt model
        raise SubmissionError(
            f"{label}: Keras no pudo cargar {Path(path).name}: {str(error)[:300]}. Vuelve a guardarlo con "
            "model.save(...) con la versión de Keras del curso."
        ) from None
