"""Layer table and the Spanish message of the first difference with the reference."""

import re

import keras
import pytest

from leccion14.grading.layers import (
    build_reference_tables,
    compare_with_reference,
    compile_difference,
    first_difference,
    reference_table,
)

L = keras.layers


def cnn(second_filters=64, second_pool=True, padding="valid", output_activation="softmax"):
    layers = [
        keras.Input(shape=(32, 32, 3)),
        L.Conv2D(32, (3, 3), activation="relu", padding=padding),
        L.MaxPooling2D((2, 2)),
        L.Conv2D(second_filters, (3, 3), activation="relu"),
    ]
    if second_pool:
        layers.append(L.MaxPooling2D((2, 2)))
    layers += [L.Flatten(), L.Dense(64, activation="relu"), L.Dense(10, activation=output_activation)]
    return keras.Sequential(layers)


def test_reference_file_matches_solutions():
    stored = {part: reference_table(part) for part in ("cnn", "lstm")}
    assert stored == build_reference_tables()


def test_reference_cnn_has_no_difference():
    assert compare_with_reference(cnn(), "cnn") is None


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (cnn(second_filters=16), r"La segunda capa Conv2D debe producir \(13, 13, 64\); tu modelo produce \(13, 13, 16\)"),
        (cnn(second_pool=False), r"La capa 4 debe ser MaxPooling2D después de la segunda capa Conv2D; tu modelo tiene Flatten"),
        (cnn(padding="same"), r"La primera capa Conv2D debe usar padding 'valid'; tu modelo usa 'same'"),
        (cnn(output_activation="sigmoid"), r"La segunda capa Dense debe usar activación 'softmax'; tu modelo usa 'sigmoid'"),
    ],
)
def test_cnn_first_difference(model, message):
    assert re.search(message, compare_with_reference(model, "cnn"))


def test_flatten_size_message():
    table = reference_table("cnn")
    found = {**table, "layers": [dict(row) for row in table["layers"]]}
    found["layers"][4]["output_shape"] = [576]
    assert first_difference(found, table).startswith("La capa Flatten debe producir 2304 valores; tu modelo produce 576 valores.")


def test_lstm_return_sequences_message():
    model = keras.Sequential([keras.Input((100, 1)), L.LSTM(60, return_sequences=True), L.Dense(1)])
    assert compare_with_reference(model, "lstm") == "La capa LSTM debe usar return_sequences False; tu modelo usa True."


def test_lstm_input_transposed_message():
    model = keras.Sequential([keras.Input((1, 100)), L.LSTM(60), L.Dense(1)])
    assert compare_with_reference(model, "lstm").startswith("La entrada del modelo debe tener forma (None, 100, 1); tu modelo recibe (None, 1, 100).")


def test_compile_settings_messages():
    model = cnn()
    assert compile_difference(model, reference_table("cnn")["compile"]).startswith("El modelo no está compilado.")
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    expected = "En compile, la pérdida debe ser 'categorical_crossentropy'; tu modelo usa 'sparse_categorical_crossentropy'."
    assert compile_difference(model, reference_table("cnn")["compile"]) == expected
    model.compile(loss=keras.losses.CategoricalCrossentropy(), optimizer=keras.optimizers.Adam(), metrics=["acc"])
    assert compile_difference(model, reference_table("cnn")["compile"]) is None


def test_conv_base_compared_with_prefix():
    def conv_base(second_pool):
        layers = [keras.Input(shape=(32, 32, 3)), L.Conv2D(32, (3, 3), activation="relu"), L.MaxPooling2D((2, 2))]
        layers.append(L.Conv2D(64, (3, 3), activation="relu"))
        if second_pool:
            layers.append(L.MaxPooling2D((2, 2)))
        return keras.Sequential(layers)

    base = conv_base(second_pool=True)
    without_pool = conv_base(second_pool=False)

    assert compare_with_reference(base, "cnn", first_layers=4) is None
    assert compare_with_reference(without_pool, "cnn", first_layers=4) == "Tu modelo tiene 3 capas y se esperan 4: faltan al final MaxPooling2D."


def test_compile_difference_selected_keys():
    model = keras.Sequential([keras.Input((100, 1)), L.LSTM(60), L.Dense(1)])
    model.compile(loss="mse", optimizer="adam", metrics=["mae"])
    expected = reference_table("lstm")["compile"]

    assert compile_difference(model, expected, keys=("loss", "optimizer")) is None
    assert compile_difference(model, expected).startswith("En compile, las métricas debe ser []")
    assert compile_difference(None, expected).startswith("La función de compilación devolvió None")
