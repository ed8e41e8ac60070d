"""Autocorrector aislado: graba las llamadas al código del estudiante y califica con Otter.

El paso no confiable (``sandbox`` + ``recorder``) importa el módulo del estudiante en otro
proceso, con otro usuario, límites de recursos y sin red, y guarda los resultados como datos
planos. El paso confiable (``replay``, ``environment``, ``otter_tests``, ``results``) carga esos
datos y los modelos entregados y ejecuta las pruebas de Otter sin importar código del estudiante.

``thresholds`` y ``outcomes`` miden los artefactos entrenados con los datos reales, ``package``
construye el zip de Gradescope, y ``samples`` y ``demo`` califican las entregas de muestra.
"""
