"""Stub modules: each solution region of a master module becomes its TODO comments and a
``raise NotImplementedError`` with a Spanish message, at the same indentation."""

import ast
from pathlib import Path

from .regions import find_regions

GENERATED_HEADER = (
    "# Archivo generado a partir de la solución con `make student`. Completa cada bloque TODO\n"
    "# y borra la línea `raise NotImplementedError(...)` que lo sigue.\n"
)


def not_implemented_message(module: str, function: str) -> str:
    """Return the Spanish message that a stub raises before the student fills it in."""
    return (
        f"Falta tu código en {function}() de {module}.py: completa el bloque TODO de esa función, "
        "borra esta línea `raise` y vuelve a ejecutar el cuaderno desde el principio."
    )


def render_stub(source: str, module: str, filename: str = "<master>") -> str:
    """Return the stub text of a master module's ``source``.

    Lines outside the regions are copied unchanged, so docstrings, constants and input checks
    reach the student as written in the master.
    """
    lines = source.splitlines()
    output: list[str] = []
    position = 0
    for region in find_regions(source, filename):
        output.extend(lines[position : region.start])
        output.extend(region.todo_lines)
        message = not_implemented_message(module, region.function)
        output.append(f"{region.indent}raise NotImplementedError({message!r})")
        position = region.end + 1
    output.extend(lines[position:])

    body = "\n".join(output) + "\n"
    return _insert_header(body)


def _insert_header(body: str) -> str:
    # The header goes after the module docstring so that help(module) still shows the docstring.
    tree = ast.parse(body)
    if tree.body and isinstance(tree.body[0], ast.Expr) and isinstance(getattr(tree.body[0], "value", None), ast.Constant):
        docstring_end = tree.body[0].end_lineno
        lines = body.splitlines(keepends=True)
        return "".join(lines[:docstring_end]) + "\n" + GENERATED_HEADER + "".join(lines[docstring_end:])
    return GENERATED_HEADER + "\n" + body


def write_stub(master: Path, destination: Path) -> Path:
    """Write the stub of the master module at ``master`` to ``destination`` and return it."""
    master = Path(master)
    text = render_stub(master.read_text(encoding="utf-8"), master.stem, filename=str(master))
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(text, encoding="utf-8")
    return destination
