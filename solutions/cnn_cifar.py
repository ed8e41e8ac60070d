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
    # BEGIN TODO
    # TODO: convierte `images` a float32 y divide entre 255 para llevar los píxeles a [0, 1].
    # Devuelve el arreglo nuevo, con la misma forma (N, 32, 32, 3).
    # Error clásico: dividir con // (división entera), que deja a 0 todos los píxeles menores que
    # 255, o quedarse con float64, que ocupa el doble de memoria que float32.
    # END TODO
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
    # BEGIN TODO
    # TODO: convierte las etiquetas en vectores one-hot de NUM_CLASSES columnas
    # (keras.utils.to_categorical) y devuelve el arreglo (N, 10).
    # Error clásico: entrenar con las etiquetas enteras y la pérdida categorical_crossentropy,
    # que espera vectores one-hot (con enteros haría falta sparse_categorical_crossentropy).
    # END TODO
    # BEGIN SOLUTION
    return keras.utils.to_categorical(labels, num_classes=NUM_CLASSES)
    # END SOLUTION


def build_conv_base() -> keras.Sequential:
    """Construye la pila de convolución y agrupación que extrae las características.

    Returns:
        Un ``keras.Sequential`` que recibe (None, 32, 32, 3) y produce el volumen (None, 6, 6, 64).
    """
    # BEGIN TODO
    # TODO: construye y devuelve un keras.Sequential con esta pila de convolución y agrupación:
    #   keras.Input(shape=INPUT_SHAPE)      → (32, 32, 3)
    #   Conv2D(32, (3, 3), relu)            → (30, 30, 32)
    #   MaxPooling2D((2, 2))                → (15, 15, 32)
    #   Conv2D(64, (3, 3), relu)            → (13, 13, 64)
    #   MaxPooling2D((2, 2))                → (6, 6, 64)
    # Comprueba la forma de salida con model.summary(): debe ser (None, 6, 6, 64).
    # Error clásico: fiarse del texto original de la lección, que dice 6×6×16; la segunda
    # convolución tiene 64 filtros, así que el volumen es 6×6×64.
    # END TODO
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
    # BEGIN TODO
    # TODO: añade a `model` (ya contiene la base convolucional) la cabeza densa:
    #   Flatten()                           → 2304 = 6·6·64 valores
    #   Dense(64, relu)
    #   Dense(NUM_CLASSES, softmax)         → (None, 10)
    # No compiles aquí: compile_cnn se encarga. El total debe ser 167.562 parámetros.
    # Error clásico: olvidar Flatten, con lo que Dense actúa sobre cada posición del volumen
    # y la salida tiene forma (None, 6, 6, 10).
    # END TODO
    # BEGIN SOLUTION
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(64, activation="relu"))
    model.add(keras.layers.Dense(NUM_CLASSES, activation="softmax"))
    # END SOLUTION
    return model


def compile_cnn(model: keras.Model) -> keras.Model:
    """Compila el modelo para clasificación multiclase con etiquetas one-hot.

    Args:
        model: el modelo de ``build_cnn``, (None, 32, 32, 3) → (None, 10).

    Returns:
        El mismo modelo, compilado con entropía cruzada categórica, Adam y la métrica accuracy.
    """
    # BEGIN TODO
    # TODO: compila `model` con loss="categorical_crossentropy", optimizer="adam" y
    # metrics=["accuracy"]; la función ya devuelve el mismo modelo después de este bloque.
    # Error clásico: usar la pérdida categórica con etiquetas enteras; aquí las etiquetas ya son
    # one-hot gracias a encode_labels.
    # END TODO
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
    # BEGIN TODO
    # TODO: entrena con model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size,
    # validation_split=VALIDATION_SPLIT, verbose=verbose) y devuelve el History que devuelve fit.
    # Error clásico: validation_split toma las ÚLTIMAS filas sin barajarlas. Aquí vale porque
    # el entrenamiento de CIFAR-10 ya viene barajado, pero con datos ordenados (por clase o por
    # fecha) la validación quedaría sesgada.
    # END TODO
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

    Args:
        model: el modelo entrenado.
        x_test: imágenes de prueba preprocesadas (N, 32, 32, 3) float32.
        y_test: etiquetas de prueba one-hot (N, 10).

    Returns:
        Diccionario ``{"loss": …, "accuracy": …}`` con la pérdida y la exactitud en prueba.
    """
    # BEGIN TODO
    # TODO: evalúa con model.evaluate(x_test, y_test, verbose=0) y devuelve
    # {"loss": float(loss), "accuracy": float(accuracy)}.
    # Error clásico: evaluar con las imágenes sin preprocesar o con las etiquetas enteras.
    # END TODO
    # BEGIN SOLUTION
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=256, verbose=0)
    return {"loss": float(loss), "accuracy": float(accuracy)}
    # END SOLUTION
