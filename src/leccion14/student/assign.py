"""Generation of ``assignments/``: Otter Assign for the notebooks and public tests, the stub
generator for the modules, and a comparison with the committed files."""

import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from .parts import ASSIGNMENTS_DIR, PARTS, SOLUTIONS_DIR, Part, otter_output_dir
from .stubs import write_stub


class StudentBuildError(RuntimeError):
    """Otter Assign failed on a master notebook; the message contains Otter's output."""


def run_otter_assign(master: Path, result: Path) -> None:
    """Run ``otter assign`` on ``master`` and write its ``autograder/`` and ``student/`` into ``result``."""
    if result.exists():
        shutil.rmtree(result)
    otter = Path(sys.executable).with_name("otter")
    command = [str(otter), "assign", str(master), str(result)]
    environment = {**os.environ, "PYTHONUTF8": "1"}
    completed = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)
    if completed.returncode != 0:
        raise StudentBuildError(
            f"`otter assign` falló con el cuaderno maestro {master} (código {completed.returncode}). "
            f"Corrige el cuaderno y vuelve a ejecutar `make student`. Salida de Otter:\n"
            f"{completed.stdout}{completed.stderr}"
        )


def normalize_notebook(source: Path, destination: Path) -> None:
    """Copy a student notebook with numbered cell ids and no outputs, so regeneration is byte-stable.

    Otter gives the cells it creates (the ``grader.check`` cells) random ids.
    """
    notebook = nbformat.read(source, as_version=4)
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"celda-{index:02d}"
        if cell.cell_type == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    nbformat.validate(notebook)
    nbformat.write(notebook, destination)


def build_part(part: Part, solutions_dir: Path, assignments_dir: Path, otter_dir: Path) -> Path:
    """Write ``assignments_dir/<part>/`` (notebook, stub module, public tests) and return it.

    Otter's full output, with the hidden tests and the autograder zip, stays in ``otter_dir/<part>/``.
    """
    result = otter_dir / part.name
    run_otter_assign(solutions_dir / part.notebook, result)

    destination = assignments_dir / part.name
    if destination.exists():
        shutil.rmtree(destination)
    (destination / "tests").mkdir(parents=True)

    student = result / "student"
    normalize_notebook(student / part.notebook, destination / part.notebook)
    for test_file in sorted((student / "tests").glob("*.py")):
        shutil.copyfile(test_file, destination / "tests" / test_file.name)
    write_stub(solutions_dir / part.module, destination / part.module)
    return destination


def build_all(
    solutions_dir: Path = SOLUTIONS_DIR, assignments_dir: Path = ASSIGNMENTS_DIR, otter_dir: Path | None = None
) -> list[Path]:
    """Regenerate every part of ``assignments_dir`` from the masters in ``solutions_dir``."""
    otter_dir = otter_output_dir() if otter_dir is None else otter_dir
    return [build_part(part, solutions_dir, assignments_dir, otter_dir) for part in PARTS]


# Files that running a notebook inside assignments/<part>/ creates: artefacts, the exported zip,
# Otter's log and Jupyter's caches. They are not generated, so the comparison skips them.
_RUN_OUTPUT_FOLDERS = {"entrega", "__pycache__", ".ipynb_checkpoints"}
_RUN_OUTPUT_FILES = {".OTTER_LOG"}


def _is_run_output(relative: Path) -> bool:
    return bool(_RUN_OUTPUT_FOLDERS & set(relative.parts)) or relative.name in _RUN_OUTPUT_FILES or relative.suffix == ".zip"


def _relative_files(folder: Path) -> set[Path]:
    relative_paths = {path.relative_to(folder) for path in folder.rglob("*") if path.is_file()}
    return {relative for relative in relative_paths if not _is_run_output(relative)}


def compare_generated(fresh_root: Path, committed_root: Path) -> list[str]:
    """Return one Spanish line per file of ``committed_root/<part>/`` that differs from ``fresh_root``.

    Only the generated part folders are compared, so a README next to them is not reported.
    """
    problems = []
    for part in PARTS:
        fresh_dir = fresh_root / part.name
        committed_dir = committed_root / part.name
        fresh = _relative_files(fresh_dir)
        committed = _relative_files(committed_dir) if committed_dir.is_dir() else set()
        for relative in sorted(fresh - committed):
            problems.append(f"falta {committed_dir / relative}")
        for relative in sorted(committed - fresh):
            problems.append(f"sobra {committed_dir / relative}: los maestros ya no lo generan")
        for relative in sorted(fresh & committed):
            if not filecmp.cmp(fresh_dir / relative, committed_dir / relative, shallow=False):
                problems.append(f"{committed_dir / relative} está desactualizado: no coincide con lo que generan los maestros")
    return problems


def find_stale_files(solutions_dir: Path = SOLUTIONS_DIR, assignments_dir: Path = ASSIGNMENTS_DIR) -> list[str]:
    """Regenerate into a temporary folder and compare it with ``assignments_dir`` (see ``compare_generated``)."""
    with tempfile.TemporaryDirectory(prefix="leccion14-student-") as scratch:
        scratch = Path(scratch)
        build_all(solutions_dir, scratch / "assignments", scratch / "otter")
        return compare_generated(scratch / "assignments", assignments_dir)
