"""Código común de la Lección 14: datos, métricas, gráficas y ejecución de referencia."""

import os

# TensorFlow prints several lines of C++ start-up logs at INFO level; level 2 keeps warnings and errors.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
