"""Errores que el curso muestra a estudiantes e instructores, siempre en español."""


class CourseDataError(ValueError):
    """A dataset is missing, corrupt or malformed; the message says which file and how to fix it."""
