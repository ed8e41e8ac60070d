"""``argparse`` con la ayuda y los errores en español."""

import argparse
import sys

# argparse ships no Spanish catalogue, so its few fixed phrases are translated here.
_PHRASES = (
    ("usage:", "uso:"),
    ("the following arguments are required:", "faltan los argumentos obligatorios:"),
    ("unrecognized arguments:", "argumentos no reconocidos:"),
    ("invalid choice:", "opción no válida:"),
    ("choose from", "elige entre"),
    ("expected one argument", "se esperaba un valor"),
    ("argument ", "argumento "),
)


def _translate(text: str) -> str:
    for english, spanish in _PHRASES:
        text = text.replace(english, spanish)
    return text


class SpanishArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage, help and error lines read in Spanish."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)
        self._positionals.title = "argumentos"
        self._optionals.title = "opciones"
        self.add_argument("-h", "--help", action="help", help="muestra esta ayuda y termina")

    def format_usage(self) -> str:
        return _translate(super().format_usage())

    def format_help(self) -> str:
        return super().format_help().replace("usage:", "uso:", 1)

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {_translate(message)}\n")
