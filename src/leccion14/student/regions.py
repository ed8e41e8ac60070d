"""Solution regions of a master module: ``# BEGIN TODO``/``# END TODO`` guidance followed by
``# BEGIN SOLUTION``/``# END SOLUTION`` code, both at the indentation of the function body."""

import ast
import re
from dataclasses import dataclass

_MARKER = re.compile(r"^(?P<indent>[ \t]*)# (?P<kind>BEGIN|END) (?P<block>TODO|SOLUTION)\s*$")


class MasterFormatError(ValueError):
    """A master module has unbalanced, nested or misplaced TODO/SOLUTION markers."""


@dataclass(frozen=True)
class SolutionRegion:
    """One TODO block and the solution block right after it, as 0-based line indices."""

    function: str
    indent: str
    todo_lines: tuple[str, ...]
    solution_lines: tuple[str, ...]
    start: int
    end: int


def _enclosing_function(tree: ast.Module, line_number: int) -> str:
    names = [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.lineno <= line_number <= node.end_lineno
    ]
    if not names:
        return "<módulo>"
    return names[-1]


def find_regions(source: str, filename: str = "<master>") -> list[SolutionRegion]:
    """Parse ``source`` and return its solution regions in file order.

    Every ``# BEGIN SOLUTION`` must come right after a ``# END TODO``, at the same indentation,
    because each stub replaces the solution by that TODO text.

    Raises:
        MasterFormatError: a marker is unbalanced, nested, misplaced, or a TODO block is empty.
    """
    tree = ast.parse(source, filename=filename)
    lines = source.splitlines()
    regions: list[SolutionRegion] = []
    index = 0
    while index < len(lines):
        match = _MARKER.match(lines[index])
        if match is None:
            index += 1
            continue
        if match["kind"] != "BEGIN" or match["block"] != "TODO":
            raise MasterFormatError(
                f"{filename}, línea {index + 1}: se encontró '# {match['kind']} {match['block']}' fuera de lugar. "
                "Cada región debe ser '# BEGIN TODO' … '# END TODO' seguida de '# BEGIN SOLUTION' … '# END SOLUTION'."
            )
        start = index
        indent = match["indent"]
        todo_end = _find_end(lines, index + 1, "TODO", indent, filename)
        solution_begin = todo_end + 1
        begin_match = _MARKER.match(lines[solution_begin]) if solution_begin < len(lines) else None
        if begin_match is None or (begin_match["kind"], begin_match["block"], begin_match["indent"]) != ("BEGIN", "SOLUTION", indent):
            raise MasterFormatError(
                f"{filename}, línea {solution_begin + 1}: tras '# END TODO' debe ir '# BEGIN SOLUTION' con la misma sangría."
            )
        solution_end = _find_end(lines, solution_begin + 1, "SOLUTION", indent, filename)
        todo_lines = tuple(lines[start + 1 : todo_end])
        if not any(line.strip() for line in todo_lines):
            raise MasterFormatError(f"{filename}, línea {start + 1}: el bloque TODO está vacío. Escribe en él la guía para el estudiante.")
        regions.append(
            SolutionRegion(
                function=_enclosing_function(tree, start + 1),
                indent=indent,
                todo_lines=todo_lines,
                solution_lines=tuple(lines[solution_begin + 1 : solution_end]),
                start=start,
                end=solution_end,
            )
        )
        index = solution_end + 1
    return regions


def _find_end(lines: list[str], index: int, block: str, indent: str, filename: str) -> int:
    for position in range(index, len(lines)):
        match = _MARKER.match(lines[position])
        if match is None:
            continue
        if (match["kind"], match["block"], match["indent"]) == ("END", block, indent):
            return position
        raise MasterFormatError(
            f"{filename}, línea {position + 1}: se esperaba '# END {block}' con la sangría de su '# BEGIN {block}' "
            f"({len(indent)} espacios) y se encontró '# {match['kind']} {match['block']}' con {len(match['indent'])}."
        )
    raise MasterFormatError(f"{filename}: falta '# END {block}' para el bloque abierto en la línea {index}.")
