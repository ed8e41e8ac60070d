"""Tabla de capas de un modelo de Keras 3 y el mensaje de la primera diferencia con la referencia.

La tabla usa solo lo que Keras 3 expone de forma estable en cualquier modelo construido: la clase,
``layer.output.shape``, ``count_params()`` y los campos de ``get_config()`` (activación, tamaño
del núcleo o de la agrupación, padding, return_sequences). No usa ``model.summary()`` ni
``layer.output_shape``, que Keras 3 eliminó.
"""

import json
from functools import lru_cache
from pathlib import Path

REFERENCE_FILE = Path(__file__).with_name("reference_layers.json")

# Config fields compared, in the order they are checked: a wrong padding or kernel explains a
# wrong output shape, so it is reported first.
_CONFIG_FIELDS = ("kernel_size", "pool_size", "strides", "padding", "return_sequences", "activation")
_FIELD_NAMES = {
    "kernel_size": "tamaño de núcleo",
    "pool_size": "tamaño de agrupación",
    "strides": "paso (strides)",
    "padding": "padding",
    "return_sequences": "return_sequences",
    "activation": "activación",
}
_ORDINALS = ("primera", "segunda", "tercera", "cuarta", "quinta", "sexta", "séptima", "octava", "novena", "décima")


def _shape(shape) -> list:
    return [None if size is None else int(size) for size in shape]


def _plain(value):
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


def layer_table(model) -> dict:
    """Return the model's input shape and one row per layer (class, output shape, params, config)."""
    try:
        input_shape = _shape(model.inputs[0].shape)
        rows = []
        for layer in model.layers:
            config = layer.get_config()
            row = {
                "class": type(layer).__name__,
                "output_shape": _shape(layer.output.shape)[1:],
                "params": int(layer.count_params()),
            }
            for field in _CONFIG_FIELDS:
                if field in config:
                    row[field] = _plain(config[field])
            rows.append(row)
    except (AttributeError, ValueError, IndexError) as error:
        raise ValueError(
            "El modelo no está construido, así que no tiene formas de salida. Empieza el Sequential "
            f"con keras.Input(shape=...) ({type(error).__name__}: {error})."
        ) from None
    return {"input_shape": input_shape, "layers": rows}


@lru_cache(maxsize=None)
def reference_table(part: str) -> dict:
    """Return the stored reference table of ``part`` ("cnn" or "lstm")."""
    return json.loads(REFERENCE_FILE.read_text(encoding="utf-8"))[part]


def _format_shape(shape: list) -> str:
    if len(shape) == 1:
        return str(shape[0])
    return "(" + ", ".join("None" if size is None else str(size) for size in shape) + ")"


def _ordinal_name(rows: list[dict], index: int) -> str:
    """Name a layer by its rank among layers of the same class: 'la segunda capa Conv2D'."""
    class_name = rows[index]["class"]
    rank = sum(1 for row in rows[: index + 1] if row["class"] == class_name)
    total = sum(1 for row in rows if row["class"] == class_name)
    if total == 1:
        return f"la capa {class_name}"
    ordinal = _ORDINALS[rank - 1] if rank <= len(_ORDINALS) else f"{rank}.ª"
    return f"la {ordinal} capa {class_name}"


def _hint(expected: dict, found: dict, field: str) -> str:
    if field == "output_shape" and expected["class"] == "Flatten":
        return " Revisa las capas de convolución y agrupación anteriores: el volumen que llega a Flatten está mal."
    if field == "output_shape" and expected["class"] == "LSTM" and len(found["output_shape"]) == 2:
        return " La LSTM devuelve la secuencia completa: quita return_sequences=True antes de la capa Dense."
    if field == "output_shape" and found["class"] in ("Conv2D", "MaxPooling2D") and len(expected["output_shape"]) == 3:
        if found["output_shape"][:2] == expected["output_shape"][:2]:
            return " El número de filtros de la convolución no es el del enunciado."
    return ""


def first_difference(found: dict, expected: dict) -> str | None:
    """Return a Spanish message for the first difference between two layer tables, or None."""
    if found["input_shape"] != expected["input_shape"]:
        return (
            f"La entrada del modelo debe tener forma {_format_shape(expected['input_shape'])}; tu modelo "
            f"recibe {_format_shape(found['input_shape'])}. Revisa keras.Input(shape=...)."
        )

    for index, (expected_row, found_row) in enumerate(zip(expected["layers"], found["layers"])):
        position = index + 1
        if found_row["class"] != expected_row["class"]:
            previous = f" después de {_ordinal_name(expected['layers'], index - 1)}" if index else ""
            return (
                f"La capa {position} debe ser {expected_row['class']}{previous}; tu modelo tiene "
                f"{found_row['class']}. Añade, quita o reordena capas para seguir la arquitectura del enunciado."
            )
        name = _ordinal_name(expected["layers"], index)
        for field in _CONFIG_FIELDS:
            if field in expected_row and found_row.get(field) != expected_row[field]:
                return (
                    f"{name[0].upper()}{name[1:]} debe usar {_FIELD_NAMES[field]} {expected_row[field]!r}; "
                    f"tu modelo usa {found_row.get(field)!r}."
                )
        if found_row["output_shape"] != expected_row["output_shape"]:
            unit = " valores" if len(expected_row["output_shape"]) == 1 and expected_row["class"] == "Flatten" else ""
            return (
                f"{name[0].upper()}{name[1:]} debe producir {_format_shape(expected_row['output_shape'])}{unit}; "
                f"tu modelo produce {_format_shape(found_row['output_shape'])}{unit}."
                + _hint(expected_row, found_row, "output_shape")
            )
        if found_row["params"] != expected_row["params"]:
            return (
                f"{name[0].upper()}{name[1:]} debe tener {expected_row['params']} parámetros; "
                f"tu modelo tiene {found_row['params']}."
            )

    expected_count, found_count = len(expected["layers"]), len(found["layers"])
    if found_count < expected_count:
        missing = ", ".join(row["class"] for row in expected["layers"][found_count:])
        return f"Tu modelo tiene {found_count} capas y se esperan {expected_count}: faltan al final {missing}."
    if found_count > expected_count:
        extra = ", ".join(row["class"] for row in found["layers"][expected_count:])
        return f"Tu modelo tiene {found_count} capas y se esperan {expected_count}: sobran al final {extra}."
    return None


def compare_with_reference(model, part: str, first_layers: int | None = None) -> str | None:
    """Return the message of the first architecture difference between ``model`` and the reference.

    ``first_layers`` compares with only that many leading reference layers: the CNN's
    convolutional base is the reference's first 4 layers.
    """
    expected = reference_table(part)
    if first_layers is not None:
        expected = {**expected, "layers": expected["layers"][:first_layers]}
    return first_difference(layer_table(model), expected)


def _name_of(setting) -> str | None:
    if setting is None:
        return None
    if isinstance(setting, str):
        return setting
    if isinstance(setting, dict):
        config = setting.get("config") or {}
        return config.get("name") or setting.get("class_name")
    return type(setting).__name__


def _optimizer_name(setting) -> str | None:
    if isinstance(setting, dict):
        return str(setting.get("class_name", "")).lower() or None
    return None if setting is None else str(setting).lower()


_METRIC_ALIASES = {"acc": "accuracy", "categorical_accuracy": "accuracy"}
_LOSS_ALIASES = {"mse": "mean_squared_error"}


def compile_settings(model) -> dict | None:
    """Return {'loss', 'optimizer', 'metrics'} as lowercase names, or None if the model is not compiled."""
    config = model.get_compile_config() or {}
    if not config:
        return None
    loss = _name_of(config.get("loss"))
    metrics = config.get("metrics") or []
    if not isinstance(metrics, list):
        metrics = [metrics]
    metric_names = sorted(_METRIC_ALIASES.get(str(_name_of(metric)).lower(), str(_name_of(metric)).lower()) for metric in metrics)
    loss = str(loss).lower() if loss else None
    return {
        "loss": _LOSS_ALIASES.get(loss, loss),
        # Optimizer objects carry numbered names ('adam_3'); the class name is stable.
        "optimizer": _optimizer_name(config.get("optimizer")),
        "metrics": metric_names,
    }


def compile_difference(model, expected: dict, keys: tuple[str, ...] = ("loss", "optimizer", "metrics")) -> str | None:
    """Return a Spanish message for the first compile setting in ``keys`` that differs from ``expected``, or None."""
    if model is None:
        return "La función de compilación devolvió None; devuelve el modelo compilado."
    found = compile_settings(model)
    if found is None:
        return "El modelo no está compilado. Llama a model.compile(loss=..., optimizer=..., metrics=...) y devuelve el modelo."
    labels = {"loss": "la pérdida", "optimizer": "el optimizador", "metrics": "las métricas"}
    for key, label in labels.items():
        if key not in keys:
            continue
        if found[key] != expected[key]:
            return f"En compile, {label} debe ser {expected[key]!r}; tu modelo usa {found[key]!r}."
    return None


def build_reference_tables() -> dict:
    """Build the reference tables and compile settings from the solutions in ``solutions/``.

    Only the repository has the solutions; the result is stored in REFERENCE_FILE and a test
    checks that the stored file still matches them.
    """
    from ..modules import load_solution

    cnn = load_solution("cnn_cifar")
    lstm = load_solution("lstm_repsol")
    cnn_model = cnn.compile_cnn(cnn.build_cnn())
    lstm_model = lstm.compile_lstm(lstm.build_lstm())
    return {
        "cnn": {**layer_table(cnn_model), "compile": compile_settings(cnn_model), "total_params": cnn_model.count_params()},
        "lstm": {**layer_table(lstm_model), "compile": compile_settings(lstm_model), "total_params": lstm_model.count_params()},
    }
