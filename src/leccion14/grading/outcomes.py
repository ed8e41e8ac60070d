"""Medidas de los artefactos entrenados con los datos reales: exactitud de la CNN y error del pronóstico.

Las pruebas ocultas de Otter llaman a estas funciones; los mensajes en español nombran el valor
encontrado, el esperado y qué cambiar. La CNN se evalúa por lotes de EVALUATION_BATCH imágenes,
convertidas a float32 de una en una, así que la memoria extra es de unos 1,2 MB y no los 123 MB del
conjunto de prueba entero en float32.
"""

import weakref
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..metrics import mase, rmse
from ..spanish_numbers import decimal
from .dataset import cifar_test_set, repsol_csv

EVALUATION_BATCH = 100
NUM_CLASSES = 10
WINDOW = 100
# Euros: two forecast series that differ by less than this are the same forecast (float32 and
# oneDNN round-off between machines stays below a cent).
SAME_FORECAST_EUR = 0.02


def cnn_loss_and_accuracy(model, limit: int | None = None) -> tuple[float, float]:
    """Return the categorical cross-entropy and accuracy of ``model`` on the CIFAR-10 test set.

    ``limit`` evaluates only the first ``limit`` test images. Raises ValueError, in Spanish, when
    the model does not map (N, 32, 32, 3) images to (N, 10) probabilities.
    """
    images, labels = cifar_test_set()
    count = len(images) if limit is None else min(limit, len(images))
    labels = labels.reshape(-1)[:count].astype("int64")
    loss_sum, correct = 0.0, 0
    for start in range(0, count, EVALUATION_BATCH):
        batch = images[start : min(start + EVALUATION_BATCH, count)].astype("float32") / 255.0
        try:
            probabilities = np.asarray(model.predict_on_batch(batch), dtype="float64")
        except Exception as error:  # noqa: BLE001 - Keras raises several types for a wrong input shape
            raise ValueError(
                f"El modelo no acepta imágenes de forma (N, 32, 32, 3) en float32: {str(error)[:200]}"
            ) from None
        if probabilities.shape != (len(batch), NUM_CLASSES):
            raise ValueError(
                f"El modelo devuelve forma {probabilities.shape[1:]} por lote de imágenes; debe devolver "
                f"(N, {NUM_CLASSES}), una probabilidad por clase."
            )
        batch_labels = labels[start : start + len(batch)]
        chosen = np.clip(probabilities[np.arange(len(batch)), batch_labels], 1e-7, 1.0)
        loss_sum += float(-np.log(chosen).sum())
        correct += int((probabilities.argmax(axis=1) == batch_labels).sum())
    return loss_sum / count, correct / count


_per_model_cache: dict[tuple[str, int], tuple[weakref.ref, object]] = {}


def _once_per_model(kind: str, model, compute):
    """Return ``compute(model)``, computed once per model object and ``kind`` of measure.

    The full-credit and partial-credit tests both need each measure. An entry refers to its model
    weakly and goes away with it, so a batch of submissions in one process keeps no old models, and
    a new object that reuses a freed object's id is never served a stale value. A measure that
    raises is not kept.
    """
    key = (kind, id(model))
    cached = _per_model_cache.get(key)
    if cached is not None and cached[0]() is model:
        return cached[1]
    value = compute(model)
    _per_model_cache[key] = (weakref.ref(model), value)
    weakref.finalize(model, _per_model_cache.pop, key, None)
    return value


def cnn_test_accuracy(model) -> float:
    """Return the accuracy of ``model`` on the 10,000 test images, computed once per model object."""
    return _once_per_model("cnn_accuracy", model, lambda model: cnn_loss_and_accuracy(model)[1])


def measure_artefacts(artefacts: dict) -> None:
    """Compute ahead the LSTM model's forecasts, which the hidden tests compare with the submitted ones.

    The grader calls it while the sandbox may still be recording. An error is left for the test
    that meets it, which reports it in its own words. The CNN's accuracy waits for its test: with
    the 10,000 test images loaded while the recorder trains its probe, a CNN submission went from
    about 640 to 685 MiB (tree PSS, 2-core CI machine).
    """
    if artefacts.get("lstm_model") is not None:
        try:
            model_forecasts(artefacts["lstm_model"])
        except Exception:  # noqa: BLE001 - see above
            pass


def repsol_split():
    """Return the training and test ``High`` series (euros) that grading compares forecasts with.

    Read once per CSV file: several tests ask for them. Callers only read the series.
    """
    return _repsol_split(repsol_csv())


@lru_cache(maxsize=2)
def _repsol_split(csv: Path):
    from ..repsol import load_repsol, split_high

    return split_high(load_repsol(csv))


def forecast_errors(forecasts) -> dict[str, float]:
    """Return the RMSE (euros) and MASE of forecasts aligned with the test dates."""
    train, test = repsol_split()
    values = forecasts.reindex(test.index).to_numpy(dtype="float64")
    return {"rmse": rmse(test.to_numpy(), values), "mase": mase(test.to_numpy(), values, train.to_numpy())}


def forecast_summary(forecasts) -> str | None:
    """Return the Spanish line that reports RMSE and MASE, or None when the forecasts are not gradable."""
    if forecast_problem(forecasts) is not None:
        return None
    from .thresholds import persistence_rmse

    errors = forecast_errors(forecasts)
    return (
        f"Tu pronóstico: RMSE {decimal(errors['rmse'], 3)} € y MASE {decimal(errors['mase'], 2)}. El MASE divide el error absoluto "
        "medio entre el de la persistencia («mañana = hoy») en el entrenamiento; un MASE menor que 1 mejora a la persistencia. "
        f"La persistencia tiene en prueba un RMSE de {decimal(persistence_rmse(), 3)} €."
    )


def model_forecasts(model) -> np.ndarray | None:
    """Return the forecasts in euros that ``model`` gives with the lesson's scaling and windows.

    The scaler is a MinMaxScaler fitted on the training ``High`` and the first test window is the
    last WINDOW training days. Returns None when the model does not take (None, WINDOW, 1).
    Computed once per model object; the array is read-only.
    """
    return _once_per_model("lstm_forecasts", model, _model_forecasts)


def _model_forecasts(model) -> np.ndarray | None:
    from sklearn.preprocessing import MinMaxScaler

    if tuple(model.inputs[0].shape) != (None, WINDOW, 1):
        return None
    train, test = repsol_split()
    scaler = MinMaxScaler().fit(train.to_numpy().reshape(-1, 1))
    history = scaler.transform(np.concatenate([train.to_numpy()[-WINDOW:], test.to_numpy()]).reshape(-1, 1)).reshape(-1)
    windows = np.lib.stride_tricks.sliding_window_view(history[:-1], WINDOW)[..., np.newaxis].astype("float32")
    predicted = np.asarray(model.predict(windows, batch_size=256, verbose=0)).reshape(-1, 1)
    forecasts = scaler.inverse_transform(predicted).reshape(-1)
    # Every caller for the same model gets this array, so it is read-only.
    forecasts.flags.writeable = False
    return forecasts


def forecast_problem(forecasts, model=None) -> str | None:
    """Return a Spanish message for a structural error in the forecasts, or None.

    The checks run in this order. A wrong count comes first, and 164 forecasts mean test windows
    built from test data only. Then dates other than the test dates, values left in the scaler's
    [0, 1] units and, when ``model`` is given, values equal to that model's forecasts moved by
    one day.
    """
    if forecasts is None:
        return "No hay pronósticos que calificar: falta entrega/lstm_forecasts.csv o no es válido."
    _, test = repsol_split()
    if len(forecasts) != len(test):
        message = f"Hay {len(forecasts)} pronósticos y {len(test)} días de prueba; debe haber uno por día."
        if len(forecasts) == len(test) - WINDOW:
            message += (
                f" Faltan los {WINDOW} primeros días: las ventanas de prueba se construyeron solo con datos de "
                f"prueba. Empieza con los {WINDOW} últimos días de entrenamiento (make_test_windows)."
            )
        return message
    if not forecasts.index.equals(test.index):
        return (
            f"Las fechas de los pronósticos no son las de prueba ({test.index[0].date()} a {test.index[-1].date()}). "
            "Usa index=test.index al crear lstm_forecasts."
        )

    values = forecasts.to_numpy(dtype="float64")
    if np.abs(values).max() < test.min() / 2:
        return (
            f"Los pronósticos van de {decimal(values.min(), 3)} a {decimal(values.max(), 3)} y los precios de prueba de "
            f"{decimal(test.min(), 2)} € a {decimal(test.max(), 2)} €: siguen en la escala [0, 1] del MinMaxScaler. "
            "Pásalos a euros con scaler.inverse_transform (forecast_euros)."
        )

    try:
        expected = model_forecasts(model) if model is not None else None
    except Exception:  # noqa: BLE001 - a model that cannot forecast is judged by its RMSE alone
        expected = None
    if expected is None or expected.shape != values.shape or np.allclose(values, expected, atol=SAME_FORECAST_EUR):
        return None
    if np.allclose(values[:-1], expected[1:], atol=SAME_FORECAST_EUR):
        return (
            "Los pronósticos están desplazados un día: el valor de cada fecha es el que tu modelo da para el "
            "día siguiente. La ventana del día de prueba j debe terminar el día anterior a j."
        )
    if np.allclose(values[1:], expected[:-1], atol=SAME_FORECAST_EUR):
        return (
            "Los pronósticos están desplazados un día: el valor de cada fecha es el que tu modelo da para el "
            "día anterior. Asigna el pronóstico de la ventana j a la fecha test.index[j]."
        )
    return None
