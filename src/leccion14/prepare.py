"""Preparación de los datos importados: decodifica CIFAR-10 y valida el CSV de Repsol."""

import time

from .cifar import load_cifar10
from .repsol import load_repsol, split_high
from .spanish_numbers import decimal


def prepare_all() -> None:
    """Decode and cache CIFAR-10, then load and split the Repsol CSV, printing what was found."""
    start = time.perf_counter()
    (x_train, _), (x_test, _) = load_cifar10()
    print(
        f"  CIFAR-10: {len(x_train)} imágenes de entrenamiento y {len(x_test)} de prueba "
        f"({decimal(time.perf_counter() - start, 1)} s)"
    )
    train, test = split_high(load_repsol())
    print(
        f"  Repsol: {len(train)} días de entrenamiento ({train.index[0].date()} a {train.index[-1].date()}) "
        f"y {len(test)} de prueba ({test.index[0].date()} a {test.index[-1].date()})"
    )
