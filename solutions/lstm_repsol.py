"""Parte 2: red LSTM que pronostica el máximo diario («High») de Repsol.

Cada pronóstico usa los 100 días de cotización anteriores (unos cinco meses de mercado) para
estimar el máximo del día siguiente. El escalado se ajusta solo con el entrenamiento (hasta
2019) y los 100 últimos días de entrenamiento alimentan las primeras ventanas de prueba, de modo
que cada día de 2020 y de enero de 2021 recibe un pronóstico.
"""

import keras
import numpy as np
from sklearn.preprocessing import MinMaxScaler

WINDOW = 100
UNITS = 60
EPOCHS = 10
BATCH_SIZE = 64


def scale_series(train: np.ndarray, test: np.ndarray) -> tuple[MinMaxScaler, np.ndarray, np.ndarray]:
    """Escala las dos series a [0, 1] con un ``MinMaxScaler`` ajustado solo con el entrenamiento.

    Args:
        train: precios de entrenamiento, forma (n,) o (n, 1), en euros.
        test: precios de prueba, forma (m,) o (m, 1), en euros.

    Returns:
        ``(scaler, train_scaled, test_scaled)`` con ``train_scaled`` (n, 1) y ``test_scaled`` (m, 1).
    """
    train = np.asarray(train, dtype="float64").reshape(-1, 1)
    test = np.asarray(test, dtype="float64").reshape(-1, 1)
    # BEGIN SOLUTION
    scaler = MinMaxScaler(feature_range=(0, 1))
    train_scaled = scaler.fit_transform(train)
    test_scaled = scaler.transform(test)
    return scaler, train_scaled, test_scaled
    # END SOLUTION


def make_windows(series: np.ndarray, window: int = WINDOW) -> tuple[np.ndarray, np.ndarray]:
    """Corta la serie en ventanas deslizantes de ``window`` días y el valor del día siguiente.

    La muestra ``i`` es ``X[i] = series[i : i + window]`` y su objetivo ``y[i] = series[i + window]``.

    Args:
        series: serie escalada, forma (n,) o (n, 1), con n ≥ window.
        window: longitud de cada ventana en días.

    Returns:
        ``(X, y)`` con ``X`` de forma (n − window, window, 1) e ``y`` de forma (n − window,).

    Raises:
        ValueError: si la serie tiene menos de ``window`` valores.
    """
    series = np.asarray(series, dtype="float32").reshape(-1)
    if len(series) < window:
        raise ValueError(
            f"La serie tiene {len(series)} valores y la ventana pide {window}: "
            "hace falta una serie de al menos `window` valores."
        )
    # BEGIN SOLUTION
    samples = len(series) - window
    X = np.array([series[i : i + window] for i in range(samples)], dtype="float32")
    y = series[window:]
    return X.reshape(samples, window, 1), y
    # END SOLUTION


def make_test_windows(train_scaled: np.ndarray, test_scaled: np.ndarray, window: int = WINDOW) -> np.ndarray:
    """Construye una ventana por cada día de prueba, empezando con los últimos días de entrenamiento.

    Args:
        train_scaled: serie de entrenamiento escalada, (n, 1) o (n,).
        test_scaled: serie de prueba escalada, (m, 1) o (m,).
        window: longitud de cada ventana en días.

    Returns:
        Arreglo (m, window, 1): la ventana ``j`` termina el día anterior al día de prueba ``j``.
    """
    train_scaled = np.asarray(train_scaled, dtype="float32").reshape(-1)
    test_scaled = np.asarray(test_scaled, dtype="float32").reshape(-1)
    # BEGIN SOLUTION
    history = np.concatenate([train_scaled[-window:], test_scaled])
    X, _ = make_windows(history, window)
    return X
    # END SOLUTION


def build_lstm(window: int = WINDOW) -> keras.Sequential:
    """Construye la red: entrada (window, 1) → LSTM(60) → Dense(1).

    Returns:
        Un ``keras.Sequential`` sin compilar con 14.941 parámetros para window = 100.
    """
    # BEGIN SOLUTION
    return keras.Sequential(
        [
            keras.Input(shape=(window, 1)),
            keras.layers.LSTM(UNITS),
            keras.layers.Dense(1),
        ],
        name="lstm_repsol",
    )
    # END SOLUTION


def compile_lstm(model: keras.Model) -> keras.Model:
    """Compila el modelo para regresión: error cuadrático medio y Adam.

    Returns:
        El mismo modelo, compilado.
    """
    # BEGIN SOLUTION
    model.compile(loss="mean_squared_error", optimizer="adam")
    # END SOLUTION
    return model


def train_lstm(
    model: keras.Model,
    X_train: np.ndarray,
    y_train: np.ndarray,
    epochs: int = EPOCHS,
    batch_size: int = BATCH_SIZE,
    verbose: int | str = "auto",
) -> keras.callbacks.History:
    """Entrena el modelo con las ventanas de entrenamiento.

    Returns:
        El objeto ``History`` que devuelve ``model.fit``.
    """
    # BEGIN SOLUTION
    return model.fit(X_train, y_train, epochs=epochs, batch_size=batch_size, verbose=verbose)
    # END SOLUTION


def forecast_euros(model: keras.Model, X_test: np.ndarray, scaler: MinMaxScaler) -> np.ndarray:
    """Pronostica cada día de prueba y devuelve los valores en euros.

    Args:
        model: el modelo entrenado.
        X_test: ventanas de prueba (m, window, 1).
        scaler: el escalador ajustado con el entrenamiento.

    Returns:
        Arreglo (m,) de float64 con los pronósticos del máximo diario en euros.
    """
    # BEGIN SOLUTION
    predicted = model.predict(X_test, batch_size=256, verbose=0)
    return scaler.inverse_transform(predicted.reshape(-1, 1)).reshape(-1)
    # END SOLUTION
