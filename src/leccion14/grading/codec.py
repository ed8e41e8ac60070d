"""Conversión de valores de Python a datos planos (JSON, .npy, .keras) y de vuelta, sin pickle.

Un valor se codifica como un nodo JSON con un campo ``type``. Los arreglos van a archivos .npy
(guardados y leídos con ``allow_pickle=False``) y los modelos a archivos .keras, en la carpeta
``folder``; el nodo guarda solo el nombre del archivo. Lo que no tiene codificación (un objeto
arbitrario) se guarda como ``unsupported`` con el nombre de su clase.
"""

import json
import math
import re
from pathlib import Path
from typing import Any, Callable

import numpy as np

# Attributes that fully describe a fitted sklearn MinMaxScaler (sklearn 1.x).
_SCALER_ARRAYS = ("min_", "scale_", "data_min_", "data_max_", "data_range_")


# Names the Encoder gives to data files. The untrusted recorder writes the nodes, so a node could
# name any path (absolute, "..", a symlink to a grader file); only these plain names are read.
_DATA_FILE = re.compile(r"[a-z]\d*_\d+\.(npy|keras)")


def data_file(folder: Path, name: object) -> Path:
    """Return ``folder/name`` after checking that it is a plain data file written by an Encoder."""
    if not isinstance(name, str) or not _DATA_FILE.fullmatch(name):
        raise ValueError(f"Nombre de archivo de datos no válido en la grabación: {name!r}.")
    path = Path(folder) / name
    # NOTE: checked here, opened later by path. Outside a batch, a sandbox process that left its
    # group with setsid() can outlive the recorder and swap the file for a link in between.
    if path.is_symlink() or not path.is_file():
        raise ValueError(f"El archivo de datos {name} de la grabación no existe o no es un archivo normal.")
    return path


class UnsupportedValue:
    """Placeholder for a recorded value that cannot be rebuilt; any attribute access fails."""

    def __init__(self, class_name: str):
        self._class_name = class_name

    def __getattr__(self, name: str):
        raise TypeError(
            f"El valor devuelto es un objeto {self._class_name} y el autocorrector no puede usarlo "
            f"(se pidió su atributo '{name}'). Devuelve arreglos de NumPy, modelos de Keras o el "
            "MinMaxScaler que pide el enunciado."
        )

    def __repr__(self) -> str:
        return f"<{self._class_name} no reproducible>"


class Encoder:
    """Write values into ``folder`` as plain data; file names start with ``prefix``."""

    def __init__(self, folder: Path, prefix: str):
        self.folder = Path(folder)
        self.prefix = prefix
        self._count = 0

    def _new_file(self, suffix: str) -> str:
        self._count += 1
        return f"{self.prefix}_{self._count}{suffix}"

    def encode(self, value: Any) -> dict:
        """Return the JSON node of ``value``, writing arrays and models next to it."""
        if value is None or isinstance(value, (bool, str)):
            return {"type": "json", "value": value}
        if isinstance(value, (int, np.integer)):
            return {"type": "json", "value": int(value)}
        if isinstance(value, (float, np.floating)):
            number = float(value)
            return {"type": "float", "value": number if math.isfinite(number) else repr(number)}
        if isinstance(value, np.ndarray):
            return self._encode_array(value)
        if isinstance(value, (list, tuple)):
            return {"type": type(value).__name__, "items": [self.encode(item) for item in value]}
        if isinstance(value, dict) and all(isinstance(key, str) for key in value):
            return {"type": "dict", "items": {key: self.encode(item) for key, item in value.items()}}
        return self._encode_object(value)

    def _encode_array(self, array: np.ndarray) -> dict:
        if array.dtype == object:
            return {"type": "unsupported", "class": "numpy.ndarray de dtype object"}
        name = self._new_file(".npy")
        np.save(self.folder / name, array, allow_pickle=False)
        return {"type": "ndarray", "file": name}

    def _encode_object(self, value: Any) -> dict:
        class_name = f"{type(value).__module__}.{type(value).__qualname__}"
        # Imported lazily: the encoder also serves values that never touch Keras or sklearn.
        import keras

        if isinstance(value, keras.Model):
            name = self._new_file(".keras")
            value.save(self.folder / name)
            return {"type": "keras_model", "file": name}
        if isinstance(value, keras.callbacks.History):
            history = {key: [float(item) for item in items] for key, items in value.history.items()}
            return {"type": "history", "history": history, "params": self.encode(dict(value.params or {}))}

        from sklearn.preprocessing import MinMaxScaler

        if isinstance(value, MinMaxScaler):
            node = {
                "type": "minmax_scaler",
                "feature_range": [float(bound) for bound in value.feature_range],
                "clip": bool(getattr(value, "clip", False)),
                "fitted": {},
            }
            for attribute in _SCALER_ARRAYS:
                if hasattr(value, attribute):
                    node["fitted"][attribute] = self._encode_array(np.asarray(getattr(value, attribute)))
            if hasattr(value, "n_samples_seen_"):
                node["n_samples_seen"] = int(value.n_samples_seen_)
            return node
        return {"type": "unsupported", "class": class_name}


def decode(node: dict, folder: Path, load_model: Callable[[Path], Any]) -> Any:
    """Rebuild the value of ``node``; models are read with ``load_model(path)``."""
    folder = Path(folder)
    kind = node["type"]
    if kind == "json":
        return node["value"]
    if kind == "float":
        value = node["value"]
        return float(value) if isinstance(value, str) else value
    if kind == "ndarray":
        return np.load(data_file(folder, node["file"]), allow_pickle=False)
    if kind in ("list", "tuple"):
        items = [decode(item, folder, load_model) for item in node["items"]]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict":
        return {key: decode(item, folder, load_model) for key, item in node["items"].items()}
    if kind == "keras_model":
        return load_model(data_file(folder, node["file"]))
    if kind == "history":
        import keras

        history = keras.callbacks.History()
        history.history = {key: list(values) for key, values in node["history"].items()}
        history.params = decode(node["params"], folder, load_model)
        history.epoch = list(range(len(next(iter(history.history.values()), []))))
        return history
    if kind == "minmax_scaler":
        return _decode_scaler(node, folder)
    if kind == "unsupported":
        return UnsupportedValue(node["class"])
    raise ValueError(f"Tipo de nodo desconocido en la grabación: '{kind}'.")


def _decode_scaler(node: dict, folder: Path):
    from sklearn.preprocessing import MinMaxScaler

    scaler = MinMaxScaler(feature_range=tuple(node["feature_range"]), clip=node.get("clip", False))
    for attribute, array_node in node["fitted"].items():
        if attribute not in _SCALER_ARRAYS:
            raise ValueError(f"Atributo de MinMaxScaler no válido en la grabación: {attribute!r}.")
        setattr(scaler, attribute, np.load(data_file(folder, array_node["file"]), allow_pickle=False))
    if "n_samples_seen" in node:
        scaler.n_samples_seen_ = node["n_samples_seen"]
    if "data_min_" in node["fitted"]:
        scaler.n_features_in_ = int(scaler.data_min_.shape[0])
    return scaler


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as UTF-8 JSON, replacing the file only once it is complete."""
    path = Path(path)
    staging = path.with_name(path.name + ".part")
    staging.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    staging.replace(path)
