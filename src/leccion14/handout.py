"""El paquete que recibe cada estudiante: cuadernos, módulos con TODO, carga de datos y entorno, sin soluciones."""

import shutil
import tempfile
from pathlib import Path

from . import paths

HANDOUT_NAME = "leccion14-estudiante"
# Files that running a notebook leaves in assignments/<part>/; they never travel.
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "entrega", "*.zip", ".OTTER_LOG", ".ipynb_checkpoints")


def build_handout(out_dir: Path) -> Path:
    """Write ``out_dir/leccion14-estudiante.zip`` and return its path.

    The zip contains the generated ``assignments/``, the course package without its grading
    engine (data loading and the inputs of the public checks), the project file, and the student
    Makefile and guide from ``handout/``. Solutions, hidden tests, the autograder and the data
    stay out.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    root = paths.REPO_ROOT
    with tempfile.TemporaryDirectory() as scratch:
        tree = Path(scratch) / HANDOUT_NAME
        shutil.copytree(root / "assignments", tree / "assignments", ignore=_IGNORED)
        # The grading engine and the handout generator are instructor tools, so they stay out.
        instructor_only = shutil.ignore_patterns("grading", "student", "bench.py")
        shutil.copytree(
            root / "src" / "leccion14",
            tree / "src" / "leccion14",
            ignore=lambda folder, names: _IGNORED(folder, names) | instructor_only(folder, names),
        )
        for name in ("Makefile", "LEEME.md"):
            shutil.copyfile(root / "handout" / name, tree / name)
        shutil.copyfile(root / "pyproject.toml", tree / "pyproject.toml")
        # The project file names README.md as the long description.
        shutil.copyfile(root / "handout" / "LEEME.md", tree / "README.md")
        (tree / "data").mkdir()
        shutil.copyfile(root / "data" / "README.md", tree / "data" / "README.md")
        archive = shutil.make_archive(str(out_dir / HANDOUT_NAME), "zip", root_dir=scratch, base_dir=HANDOUT_NAME)
    return Path(archive)
