"""Generación del material del estudiante (cuadernos y módulos con TODO) a partir de ``solutions/``."""
