"""Números con coma decimal, como se escriben en español, para los mensajes que leen estudiantes y profesorado.

Los archivos para máquinas (``grades.csv``, ``results.json``) siguen con punto decimal.
"""


def decimal(value: float, digits: int | None = None) -> str:
    """Devuelve ``value`` con coma decimal: con ``digits`` decimales, o en su forma más corta sin ``digits``.

    >>> decimal(0.51234, 3)
    '0,512'
    >>> decimal(14.0)
    '14'
    >>> decimal(2.5)
    '2,5'
    """
    text = f"{value:g}" if digits is None else f"{value:.{digits}f}"
    return text.replace(".", ",")
