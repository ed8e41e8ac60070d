"""Search of the generated handout for statements that come from a solution region."""

import ast
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .regions import find_regions

_NOTEBOOK_BEGIN = re.compile(r"^\s*# BEGIN SOLUTION")
_NOTEBOOK_END = re.compile(r"^\s*# END SOLUTION")
_NOTEBOOK_LINE = re.compile(r"^(?P<code>.*?)\s*# SOLUTION\s*$")


@dataclass(frozen=True)
class Leak:
    """A solution statement found in a generated file."""

    statement: str
    master: Path
    generated: Path


def normalized_statements(code: str) -> set[str]:
    """Return ``ast.unparse`` of every statement in ``code``, nested ones included.

    Code that does not parse on its own (a fragment of a larger statement) falls back to its
    stripped non-comment lines.
    """
    try:
        tree = ast.parse(textwrap.dedent(code))
    except SyntaxError:
        return {line.strip() for line in code.splitlines() if line.strip() and not line.strip().startswith("#")}
    return {ast.unparse(node) for node in ast.walk(tree) if isinstance(node, ast.stmt)}


def _notebook_solution_code(notebook: nbformat.NotebookNode) -> list[str]:
    fragments = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        block: list[str] | None = None
        for line in cell.source.splitlines():
            if _NOTEBOOK_BEGIN.match(line):
                block = []
            elif _NOTEBOOK_END.match(line) and block is not None:
                fragments.append("\n".join(block))
                block = None
            elif block is not None:
                block.append(line)
            elif match := _NOTEBOOK_LINE.match(line):
                fragments.append(match["code"])
    return fragments


def solution_statements(master: Path) -> set[str]:
    """Return the normalized statements inside the solution regions of a master module or notebook."""
    master = Path(master)
    if master.suffix == ".ipynb":
        fragments = _notebook_solution_code(nbformat.read(master, as_version=4))
    else:
        source = master.read_text(encoding="utf-8")
        fragments = ["\n".join(region.solution_lines) for region in find_regions(source, str(master))]
    statements: set[str] = set()
    for fragment in fragments:
        statements |= normalized_statements(fragment)
    return statements


def generated_statements(path: Path) -> set[str]:
    """Return the normalized statements of a generated module, test file or notebook."""
    path = Path(path)
    if path.suffix == ".ipynb":
        notebook = nbformat.read(path, as_version=4)
        code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    else:
        code = [path.read_text(encoding="utf-8")]
    statements: set[str] = set()
    for source in code:
        statements |= normalized_statements(source)
    return statements


def find_leaks(masters: list[Path], generated_dir: Path) -> list[Leak]:
    """Return every statement of the masters' solution regions that appears in ``generated_dir``."""
    generated_files = sorted(path for path in Path(generated_dir).rglob("*") if path.suffix in (".py", ".ipynb"))
    statements_by_file = {path: generated_statements(path) for path in generated_files}
    leaks = []
    for master in masters:
        for statement in sorted(solution_statements(master)):
            for generated, statements in statements_by_file.items():
                if statement in statements:
                    leaks.append(Leak(statement=statement, master=Path(master), generated=generated))
    return leaks
