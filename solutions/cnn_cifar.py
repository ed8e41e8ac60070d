"""Parte 1: red convolucional para clasificar CIFAR-10.

Arquitectura de la lección, con la API de Keras 3:

    Entrada (32, 32, 3)
    → Conv2D(32, 3×3, relu)  → (30, 30, 32)
    → MaxPooling2D(2×2)      → (15, 15, 32)
    → Conv2D(64, 3×3, relu)  → (13, 13, 64)
    → MaxPooling2D(2×2)      → (6, 6, 64)
    → Flatten                → 2304 = 6·6·64
    → Dense(64, relu)
    → Dense(10, softmax)

Total: 167.562 parámetros. El texto original de la lección dice «6×6×16», pero eso daría
6·6·16 = 576 valores al aplanar, no 2304: el volumen correcto es 6×6×64.
"""

import keras
import numpy as np

NUM_CLASSES = 10
INPUT_SHAPE = (32, 32, 3)
EPOCHS = 10
BATCH_SIZE = 32
VALIDATION_SPLIT = 0.2


def preprocess_images(images: np.ndarray) -> np.ndarray:
    """Escala los píxeles de uint8 [0, 255] a float32 en [0, 1].

    Args:
        images: arreglo (N, 32, 32, 3) de tipo uint8.

    Returns:
        Arreglo (N, 32, 32, 3) de tipo float32 con valores en [0, 1].
    """
    # BEGIN SOLUTION
    return images.astype("float32") / 255.0
    # END SOLUTION


def encode_labels(labels: np.ndarray) -> np.ndarray:
    """Convierte las etiquetas enteras 0–9 en vectores one-hot.

    Args:
        labels: arreglo (N, 1) o (N,) de enteros entre 0 y 9.

    Returns:
        Arreglo (N, 10) de tipo float32: un 1 en la columna de la clase y 0 en las demás.
    """
    # BEGIN SOLUTION
    return keras.utils.to_categorical(labels, num_classes=NUM_CLASSES)
    # END SOLUTION


def build_conv_base() -> keras.Sequential:
    """Construye la pila de convolución y agrupación que extrae las características.

    Returns:
        Un ``keras.Sequential`` que recibe (None, 32, 32, 3) y produce el volumen (None, 6, 6, 64).
    """
    # BEGIN SOLUTION
    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE),
            keras.layers.Conv2D(32, (3, 3), activation="relu"),
            keras.layers.MaxPooling2D((2, 2)),
            keras.layers.Conv2D(64, (3, 3), activation="relu"),
            keras.layers.MaxPooling2D((2, 2)),
        ],
        name="cnn_cifar10",
    )
    # END SOLUTION


def build_cnn() -> keras.Sequential:
    """Construye la red completa: la base convolucional más la cabeza densa.

    Returns:
        Un ``keras.Sequential`` sin compilar: (None, 32, 32, 3) → (None, 10), 167.562 parámetros.
    """
    model = build_conv_base()
    # BEGIN SOLUTION
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(64, activation="relu"))
    model.add(keras.layers.Dense(NUM_CLASSES, activation="softmax"))
    # END SOLUTION
    return model


def compile_cnn(model: keras.Model) -> keras.Model:
    """Compila el modelo para clasificación multiclase con etiquetas one-hot.

    Returns:
        El mismo modelo, compilado con entropía cruzada categórica, Adam y la métrica accuracy.
    """
    # BEGIN SOLUTION
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    # END SOLUTION
    return model


def train_cnn(
    model: keras.Model,
    x_train: np.ndarray,
    y_train: np.ndarray,
    epochs: int = EPOCHS,
    batch_size: int = BATCH_SIZE,
    verbose: int | str = "auto",
) -> keras.callbacks.History:
    """Entrena el modelo reservando el último 20 % de los datos para validación.

    Args:
        model: el modelo compilado.
        x_train: imágenes preprocesadas (N, 32, 32, 3) float32.
        y_train: etiquetas one-hot (N, 10).
        epochs: número de épocas (10 en la lección).
        batch_size: tamaño del lote (32 en la lección).
        verbose: nivel de detalle de ``model.fit``.

    Returns:
        El objeto ``History`` que devuelve ``model.fit``.
    """
    # BEGIN SOLUTION
    return model.fit(
        x_train,
        y_train,
        epochs=epochs,
        batch_size=batch_size,
        validation_split=VALIDATION_SPLIT,
        verbose=verbose,
    )
    # END SOLUTION


def evaluate_cnn(model: keras.Model, x_test: np.ndarray, y_test: np.ndarray) -> dict[str, float]:
    """Evalúa el modelo en el conjunto de prueba.

    Returns:
        Diccionario ``{"loss": …, "accuracy": …}`` con la pérdida y la exactitud en prueba.
    """
    # BEGIN SOLUTION
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=256, verbose=0)
    return {"loss": float(loss), "accuracy": float(accuracy)}
    # END SOLUTION
