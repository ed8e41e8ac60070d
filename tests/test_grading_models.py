"""Safe loading of submitted .keras models: Lambda and non-Keras layers are rejected."""

import zipfile

import keras
import pytest

from leccion14.grading.models import SubmissionError, load_model_safely


def small_model(*middle):
    return keras.Sequential([keras.Input((4,)), *middle, keras.layers.Dense(1)])


def test_loads_plain_model(tmp_path):
    path = tmp_path / "modelo.keras"
    small_model(keras.layers.Dense(3, activation="relu")).save(path)
    assert load_model_safely(path, "Artefacto").count_params() == 19


def test_rejects_lambda_layer(tmp_path):
    path = tmp_path / "modelo.keras"
    small_model(keras.layers.Lambda(lambda x: x * 2, name="doble")).save(path)
    with pytest.raises(SubmissionError, match="la capa 'doble' es una capa Lambda"):
        load_model_safely(path, "Artefacto entrega/cnn_model.keras")


def test_rejects_custom_layer(tmp_path):
    @keras.saving.register_keras_serializable(package="alumno")
    class Doble(keras.layers.Layer):
        def call(self, inputs):
            return inputs * 2

    path = tmp_path / "modelo.keras"
    small_model(Doble(name="doble")).save(path)
    with pytest.raises(SubmissionError, match="no es de Keras"):
        load_model_safely(path, "Artefacto")


def test_rejects_file_that_is_not_keras(tmp_path):
    path = tmp_path / "modelo.keras"
    path.write_text("no soy un zip", encoding="utf-8")
    with pytest.raises(SubmissionError, match="no es un modelo .keras válido"):
        load_model_safely(path, "Artefacto")


def test_rejects_archive_without_config(tmp_path):
    path = tmp_path / "modelo.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", "{}")
    with pytest.raises(SubmissionError, match="no es un modelo .keras válido"):
        load_model_safely(path, "Artefacto")


def test_missing_file_names_the_fix(tmp_path):
    with pytest.raises(SubmissionError, match=r"no se encuentra el archivo falta.keras. Guárdalo con model.save"):
        load_model_safely(tmp_path / "falta.keras", "Artefacto")
