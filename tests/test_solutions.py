"""The reference solutions: layer shapes, parameter counts, windowing and scaling."""

import keras
import numpy as np
import pytest

from leccion14.modules import load_solution
from leccion14.repsol import load_repsol, split_high

cnn = load_solution("cnn_cifar")
lstm = load_solution("lstm_repsol")


def test_cnn_layer_shapes():
    model = cnn.build_cnn()
    shapes = [tuple(layer.output.shape) for layer in model.layers]

    assert shapes == [
        (None, 30, 30, 32),
        (None, 15, 15, 32),
        (None, 13, 13, 64),
        (None, 6, 6, 64),
        (None, 2304),
        (None, 64),
        (None, 10),
    ]


def test_cnn_parameter_count():
    assert cnn.build_cnn().count_params() == 167_562


def test_conv_base_volume_is_6x6x64():
    # The lesson's text says 6×6×16, but Flatten then gives 576 values, not the 2,304 it states.
    assert tuple(cnn.build_conv_base().output_shape) == (None, 6, 6, 64)


def test_cnn_uses_keras_input_not_input_shape():
    config = cnn.build_cnn().get_config()

    assert config["layers"][0]["class_name"] == "InputLayer"
    assert all("input_shape" not in layer["config"] for layer in config["layers"])


def test_cnn_compile_settings():
    model = cnn.compile_cnn(cnn.build_cnn())

    assert model.loss == "categorical_crossentropy"
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert [metric.name for metric in model.metrics if metric.name != "loss"] == ["compile_metrics"]
    assert "accuracy" in str(model.get_compile_config()["metrics"])


def test_cnn_preprocessing():
    images = np.array([[[[0, 128, 255]]]], dtype=np.uint8)
    scaled = cnn.preprocess_images(images)

    assert scaled.dtype == np.float32
    assert scaled.ravel().tolist() == pytest.approx([0.0, 128 / 255, 1.0])


def test_cnn_one_hot_labels():
    encoded = cnn.encode_labels(np.array([[3], [0], [9]], dtype=np.uint8))

    assert encoded.shape == (3, 10)
    assert encoded.argmax(axis=1).tolist() == [3, 0, 9]
    assert encoded.sum(axis=1).tolist() == [1.0, 1.0, 1.0]


def test_lstm_shapes_and_parameters():
    model = lstm.build_lstm()

    assert tuple(model.input_shape) == (None, 100, 1)
    assert [type(layer).__name__ for layer in model.layers] == ["LSTM", "Dense"]
    assert tuple(model.output_shape) == (None, 1)
    assert model.count_params() == 14_941


def _oracle_windows(series: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    dataset = keras.utils.timeseries_dataset_from_array(
        series, targets=series[window:], sequence_length=window, batch_size=10_000, shuffle=False
    )
    batches = list(dataset.as_numpy_iterator())
    if not batches:
        return np.empty((0, window)), np.empty((0,))
    inputs, targets = batches[0]
    return inputs, targets


@pytest.mark.parametrize(("length", "window"), [(300, 100), (40, 7), (101, 100), (5000, 100)])
def test_windows_match_keras_oracle(length: int, window: int):
    series = np.random.default_rng(length).random(length).astype("float32")

    X, y = lstm.make_windows(series, window)
    expected_X, expected_y = _oracle_windows(series, window)

    assert X.shape == (length - window, window, 1)
    assert np.array_equal(X[..., 0], expected_X)
    assert np.array_equal(y, expected_y)


def test_windows_length_equal_to_window_is_empty():
    X, y = lstm.make_windows(np.arange(100, dtype="float32"), 100)

    assert X.shape == (0, 100, 1)
    assert y.shape == (0,)


def test_windows_short_series_rejected():
    with pytest.raises(ValueError, match=r"La serie tiene 60 valores y la ventana pide 100"):
        lstm.make_windows(np.arange(60, dtype="float32"), 100)


@pytest.fixture(scope="module")
def repsol_split(real_raw_dir):
    return split_high(load_repsol(real_raw_dir / "REP.MC.csv"))


def test_scaler_fitted_on_train_only(repsol_split):
    train, test = repsol_split

    scaler, train_scaled, test_scaled = lstm.scale_series(train.to_numpy(), test.to_numpy())

    assert scaler.data_min_[0] == train.min()
    assert scaler.data_max_[0] == train.max()
    assert train_scaled.min() == 0.0
    assert train_scaled.max() == 1.0
    assert test_scaled.shape == (264, 1)


def test_test_windows_cover_every_test_day(repsol_split):
    train, test = repsol_split
    _, train_scaled, test_scaled = lstm.scale_series(train.to_numpy(), test.to_numpy())

    X_test = lstm.make_test_windows(train_scaled, test_scaled)

    assert X_test.shape == (264, 100, 1)
    assert np.allclose(X_test[0, :, 0], train_scaled[-100:, 0])
    assert np.allclose(X_test[-1, -1, 0], test_scaled[-2, 0])
    assert np.allclose(X_test[1, -1, 0], test_scaled[0, 0])


def test_forecast_returns_euros(repsol_split):
    train, test = repsol_split
    scaler, train_scaled, test_scaled = lstm.scale_series(train.to_numpy(), test.to_numpy())
    X_test = lstm.make_test_windows(train_scaled, test_scaled)
    # A model that repeats the last value of each window turns the forecast into persistence.
    last_value = keras.Sequential([keras.Input((100, 1)), keras.layers.Lambda(lambda x: x[:, -1, :])])

    forecast = lstm.forecast_euros(last_value, X_test, scaler)

    assert forecast.shape == (264,)
    assert np.allclose(forecast[1:], test.to_numpy()[:-1], atol=1e-4)
    assert forecast[0] == pytest.approx(train.iloc[-1], abs=1e-4)
