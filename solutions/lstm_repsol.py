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
    # BEGIN TODO
    # TODO: crea un MinMaxScaler(feature_range=(0, 1)), ajústalo SOLO con `train`
    # (fit_transform) y aplica a `test` el mismo escalador (transform). Devuelve
    # (scaler, train_scaled, test_scaled), con formas (n, 1) y (m, 1).
    # Error clásico: ajustar el escalador con todos los datos; los precios de 2020 se filtran al
    # entrenamiento y el máximo de train_scaled ya no es 1.
    # END TODO
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
    # BEGIN TODO
    # TODO: construye las ventanas deslizantes de `series` (ya aplanada a (n,)):
    #   X[i] = series[i : i + window]    (los `window` días anteriores)
    #   y[i] = series[i + window]        (el día siguiente a la ventana)
    # para i = 0, …, n − window − 1. Devuelve (X, y) con X de forma (n − window, window, 1)
    # e y de forma (n − window,).
    # Error clásico: ventanas desplazadas en uno: el objetivo no es series[i + window − 1],
    # que ya está dentro de la ventana, sino el valor siguiente.
    # END TODO
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
    # BEGIN TODO
    # TODO: une los `window` últimos días de train_scaled con test_scaled y córtalos con
    # make_windows; devuelve solo X, de forma (m, window, 1), una ventana por día de prueba.
    # Error clásico: cortar solo test_scaled; se pierden los `window` primeros días de prueba
    # y el pronóstico empieza en mayo de 2020 en lugar del 2 de enero.
    # END TODO
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
    # BEGIN TODO
    # TODO: construye y devuelve un keras.Sequential:
    #   keras.Input(shape=(window, 1))   → ventanas de `window` días con 1 variable
    #   LSTM(UNITS)                      → (None, 60)
    #   Dense(1)                         → (None, 1), el máximo escalado del día siguiente
    # Con window = 100 el modelo tiene 14.941 parámetros.
    # Error clásico: pasar input_shape=(window,) sin la dimensión de variables; la LSTM necesita
    # entradas 3D (muestras, pasos, variables).
    # END TODO
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

    Args:
        model: el modelo de ``build_lstm``, (None, 100, 1) → (None, 1).

    Returns:
        El mismo modelo, compilado.
    """
    # BEGIN TODO
    # TODO: compila `model` con loss="mean_squared_error" y optimizer="adam"; la función
    # ya devuelve el mismo modelo después de este bloque.
    # Error clásico: añadir metrics=["accuracy"]; en regresión no tiene sentido.
    # END TODO
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

    Args:
        model: el modelo compilado.
        X_train: ventanas de entrenamiento (muestras, 100, 1), escaladas.
        y_train: objetivos (muestras,): el valor escalado del día siguiente a cada ventana.
        epochs: número de épocas (10 en la lección).
        batch_size: tamaño del lote (64 en la lección).
        verbose: nivel de detalle de ``model.fit``.

    Returns:
        El objeto ``History`` que devuelve ``model.fit``.
    """
    # BEGIN TODO
    # TODO: entrena con model.fit(X_train, y_train, epochs=epochs, batch_size=batch_size,
    # verbose=verbose) y devuelve el History que devuelve fit.
    # Error clásico: usar validation_split sin pensar: toma las últimas filas, es decir, los
    # últimos meses de 2019, que no se usarían para entrenar.
    # END TODO
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
    # BEGIN TODO
    # TODO: predice con model.predict(X_test, verbose=0), que devuelve (m, 1) en la escala
    # [0, 1], y vuelve a euros con scaler.inverse_transform. Devuelve un arreglo (m,).
    # Error clásico: ajustar un escalador nuevo aquí o comparar valores escalados con precios
    # en euros.
    # END TODO
    # BEGIN SOLUTION
    predicted = model.predict(X_test, batch_size=256, verbose=0)
    return scaler.inverse_transform(predicted.reshape(-1, 1)).reshape(-1)
    # END SOLUTION
