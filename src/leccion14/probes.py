"""Entradas fijas con las que las pruebas llaman a las funciones del estudiante.

Cada sonda («probe») tiene un nombre, la función del módulo del estudiante que prueba y los
argumentos con que se la llama. Las pruebas de Otter obtienen sus entradas de aquí con
``probe_args(nombre)``; así el autocorrector puede ejecutar exactamente esas llamadas en un
proceso aislado, guardar los resultados y reproducirlos al evaluar, sin importar el código del
estudiante en el proceso que califica. Los valores esperados nunca se guardan aquí: las pruebas
los calculan con un oráculo independiente.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

_SEED = 14


@dataclass(frozen=True)
class Probe:
    """One call of a student function with fixed arguments."""

    name: str
    module: str
    function: str
    make_args: Callable[[], tuple]


def _images() -> tuple:
    images = np.random.default_rng(_SEED).integers(0, 256, size=(16, 32, 32, 3), dtype=np.uint8)
    images[0] = 0
    images[1] = 255
    return (images,)


def _labels() -> tuple:
    labels = np.array([3, 0, 9, 1, 2, 4, 5, 6, 7, 8, 9, 0], dtype=np.uint8).reshape(-1, 1)
    return (labels,)


def _random_walk(length: int, seed: int) -> np.ndarray:
    steps = np.random.default_rng(seed).normal(0.0, 0.01, size=length)
    return np.clip(0.5 + np.cumsum(steps), 0.0, 1.0).astype("float32")


def _prices(length: int, seed: int, start: float) -> np.ndarray:
    steps = np.random.default_rng(seed).normal(0.0, 0.2, size=length)
    return (start + np.cumsum(steps)).astype("float64")


def _leak_split() -> tuple:
    # The test prices rise above every training price, so a scaler fitted on all data gives
    # training values below 1 where a scaler fitted on training data reaches exactly 1.
    train = _prices(300, _SEED, 10.0)
    test = train.max() + 1.0 + np.abs(_prices(60, _SEED + 1, 0.0))
    return train, test


PROBES: dict[str, Probe] = {
    probe.name: probe
    for probe in (
        Probe("preprocess_images/aleatorias", "cnn_cifar", "preprocess_images", _images),
        Probe("encode_labels/doce", "cnn_cifar", "encode_labels", _labels),
        Probe("build_conv_base", "cnn_cifar", "build_conv_base", tuple),
        Probe("build_cnn", "cnn_cifar", "build_cnn", tuple),
        Probe("scale_series/fuga", "lstm_repsol", "scale_series", _leak_split),
        Probe("make_windows/serie_300", "lstm_repsol", "make_windows", lambda: (_random_walk(300, _SEED), 100)),
        Probe("make_windows/ventana_7", "lstm_repsol", "make_windows", lambda: (_random_walk(40, _SEED + 2), 7)),
        Probe("make_windows/igual_a_ventana", "lstm_repsol", "make_windows", lambda: (_random_walk(100, _SEED + 3), 100)),
        Probe("make_windows/corta", "lstm_repsol", "make_windows", lambda: (_random_walk(60, _SEED + 4), 100)),
        Probe(
            "make_test_windows/serie_300_y_50",
            "lstm_repsol",
            "make_test_windows",
            lambda: (_random_walk(300, _SEED + 5), _random_walk(50, _SEED + 6), 100),
        ),
        Probe("build_lstm", "lstm_repsol", "build_lstm", tuple),
    )
}


def probe_args(name: str) -> tuple:
    """Return the positional arguments of the probe called ``name``."""
    try:
        return PROBES[name].make_args()
    except KeyError:
        raise KeyError(f"No existe la sonda '{name}'; las sondas son: {', '.join(PROBES)}.") from None


# Probes added for the isolated autograder. They pass Keras models and CIFAR-10 images, so their
# arguments are built lazily and only when a test or the recorder requests them.


def _probe_cnn(compiled: bool):
    """Return a small CIFAR-10 classifier that is deliberately not the lesson's architecture.

    Students receive this module, so it must not contain the code they are asked to write. With
    the reference ``train_cnn``, one epoch on the 2,000-image probe subset lowers the loss on
    1,000 test images from 2.36 to 2.02 and reaches 0.26 accuracy (Keras on JAX, as the grader
    runs it, on the 2-core CI machine).
    """
    import keras

    # Seeds the shuffling of fit() too. The grader hides TensorFlow, so this does not load it.
    keras.utils.set_random_seed(_SEED)
    model = keras.Sequential(
        [
            keras.Input(shape=(32, 32, 3)),
            keras.layers.Conv2D(16, 3, activation="relu", kernel_initializer=keras.initializers.GlorotUniform(seed=_SEED)),
            keras.layers.MaxPooling2D(4),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax", kernel_initializer=keras.initializers.GlorotUniform(seed=_SEED + 1)),
        ]
    )
    if compiled:
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=3e-3),
            loss=keras.losses.CategoricalCrossentropy(),
            metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")],
        )
    return model


def _probe_lstm(compiled: bool):
    """Return a small window regressor that is deliberately not the lesson's LSTM(60)."""
    import keras

    keras.utils.set_random_seed(_SEED)
    gru = keras.layers.GRU(
        8,
        kernel_initializer=keras.initializers.GlorotUniform(seed=_SEED),
        recurrent_initializer=keras.initializers.Orthogonal(seed=_SEED + 1),
    )
    dense = keras.layers.Dense(1, kernel_initializer=keras.initializers.GlorotUniform(seed=_SEED + 2))
    model = keras.Sequential([keras.Input(shape=(100, 1)), gru, dense])
    if compiled:
        model.compile(optimizer=keras.optimizers.Adam(), loss=keras.losses.MeanSquaredError())
    return model


def _cifar_training_subset() -> tuple:
    # epochs=1, batch_size=32, verbose=0: one epoch on 2,000 images, a few seconds on two cores.
    from .grading.dataset import cifar_train_subset

    images, labels = cifar_train_subset()
    one_hot = np.eye(10, dtype="float32")[labels.reshape(-1)]
    # Dividing in float32 avoids a 49 MB float64 temporary in the grading process.
    return _probe_cnn(compiled=True), images.astype("float32") / np.float32(255.0), one_hot, 1, 32, 0


def _cifar_evaluation_subset() -> tuple:
    from .grading.dataset import cifar_train_subset

    images, labels = cifar_train_subset()
    one_hot = np.eye(10, dtype="float32")[labels[:200].reshape(-1)]
    return _probe_cnn(compiled=True), images[:200].astype("float32") / np.float32(255.0), one_hot


def _lstm_training_windows() -> tuple:
    series = _random_walk(400, _SEED + 7)
    windows = np.lib.stride_tricks.sliding_window_view(series[:-1], 100)[..., np.newaxis].copy()
    return _probe_lstm(compiled=True), windows, series[100:].copy(), 1, 64, 0


def _forecast_inputs() -> tuple:
    from sklearn.preprocessing import MinMaxScaler

    scaler = MinMaxScaler().fit(np.array([[10.0], [20.0]]))
    windows = _random_walk(130, _SEED + 8)
    windows = np.lib.stride_tricks.sliding_window_view(windows[:-1], 100)[..., np.newaxis].copy()
    return _probe_lstm(compiled=False), windows, scaler


PROBES.update(
    {
        probe.name: probe
        for probe in (
            Probe("compile_cnn", "cnn_cifar", "compile_cnn", lambda: (_probe_cnn(compiled=False),)),
            Probe("train_cnn/subconjunto_2000", "cnn_cifar", "train_cnn", _cifar_training_subset),
            Probe("evaluate_cnn/subconjunto_200", "cnn_cifar", "evaluate_cnn", _cifar_evaluation_subset),
            Probe("compile_lstm", "lstm_repsol", "compile_lstm", lambda: (_probe_lstm(compiled=False),)),
            Probe("train_lstm/paseo_400", "lstm_repsol", "train_lstm", _lstm_training_windows),
            Probe("forecast_euros/escala_10_20", "lstm_repsol", "forecast_euros", _forecast_inputs),
        )
    }
)
