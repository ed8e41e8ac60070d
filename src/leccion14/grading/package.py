"""Paquete del autocorrector para Gradescope: ``dist/<parte>-autograder.zip``.

Contenido del zip (Gradescope lo descomprime en ``/autograder/source``):

- ``setup.sh``: crea un entorno de Python 3.11 con pip e instala ``requirements.txt`` y el
  código de ``project/``. Sin ``otter generate``, Miniforge ni Playwright.
- ``run_autograder``: quita a otros usuarios el acceso a ``source/`` y califica la entrega.
- ``requirements.txt``: versiones fijadas, las del entorno que construye el paquete.
- ``project/``: ``pyproject.toml`` y ``src/leccion14`` (sin soluciones).
- ``tests/``: pruebas de Otter, públicas y ocultas, generadas por ``make student``.
- ``calibration.json``, ``plans/<módulo>/`` (plan de sondas) y ``grading_data/`` (el CSV de
  Repsol y, en la CNN, los subconjuntos de CIFAR-10). Son datos derivados: solo van en ``dist/``.
"""

import importlib.metadata
import shutil
import tempfile
import zipfile
from pathlib import Path

from .. import paths
from ..calibration import CALIBRATION_FILE
from .dataset import CIFAR_FOLDER, ensure_grading_data
from .grade import MODULES, default_plan_dir, ensure_plan
from .sandbox_cache import ignore_caches

TEMPLATES = Path(__file__).with_name("gradescope")
# The project's own dependencies minus the notebook tooling (nbclient, ipykernel) and minus
# TensorFlow: the grader runs Keras on JAX, and a student module that imports tensorflow fails
# with a message instead of pushing the box past its memory. The project itself is installed
# with --no-deps, so this list is all that setup.sh installs.
REQUIREMENTS = (
    "keras",
    "jax",
    "jaxlib",
    # Pinned like the rest: a newer ml_dtypes imports far slower (see pyproject.toml).
    "ml_dtypes",
    "numpy",
    "pandas",
    "scikit-learn",
    "otter-grader",
    "matplotlib",
    "pillow",
    "nbformat",
    "tqdm",
)


def otter_tests_dir(part: str) -> Path:
    """Return the folder where ``make student`` leaves the public and hidden tests of ``part``."""
    return paths.build_dir() / "otter" / part / "autograder" / "tests"


def pinned_requirements() -> str:
    """Return requirements.txt text that pins each distribution to the version installed here."""
    lines = [f"{name}=={importlib.metadata.version(name)}" for name in REQUIREMENTS]
    return "\n".join(lines) + "\n"


def _copy_project(destination: Path) -> None:
    root = paths.REPO_ROOT
    destination.mkdir(parents=True)
    shutil.copyfile(root / "pyproject.toml", destination / "pyproject.toml")
    shutil.copyfile(root / "README.md", destination / "README.md")
    shutil.copytree(
        root / "src" / "leccion14",
        destination / "src" / "leccion14",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )


def _write_templates(part: str, source: Path) -> None:
    for name in ("setup.sh", "run_autograder"):
        text = (TEMPLATES / name).read_text(encoding="utf-8").replace("@PART@", part)
        target = source / name
        target.write_text(text, encoding="utf-8")
        target.chmod(0o755)


def stage_autograder(part: str, source: Path) -> Path:
    """Write the contents of the Gradescope ``source`` folder of ``part`` into ``source``.

    Raises FileNotFoundError, in Spanish, when the Otter tests are missing (run ``make student``).
    """
    tests = otter_tests_dir(part)
    if not any(tests.glob("*.py")):
        raise FileNotFoundError(f"No hay pruebas de Otter en {tests}. Ejecuta antes `make student`.")
    source = Path(source)
    source.mkdir(parents=True, exist_ok=True)
    _write_templates(part, source)
    (source / "requirements.txt").write_text(pinned_requirements(), encoding="utf-8")
    _copy_project(source / "project")
    shutil.copytree(tests, source / "tests")
    shutil.copyfile(CALIBRATION_FILE, source / "calibration.json")
    plan = ensure_plan(part, default_plan_dir(part), warm_cache=False)
    # The sandbox's compilation cache only serves a CPU like this one, which Gradescope's may not be.
    shutil.copytree(plan, source / "plans" / MODULES[part], ignore=ignore_caches)
    # LSTM grading reads only the Repsol CSV, so its package leaves out the 34 MB of CIFAR-10.
    skipped = () if part == "cnn" else (CIFAR_FOLDER,)
    shutil.copytree(ensure_grading_data(), source / "grading_data", ignore=shutil.ignore_patterns(*skipped))
    return source


def build_autograder(part: str, dist: Path | None = None) -> Path:
    """Build ``dist/<part>-autograder.zip`` and return its path."""
    dist = Path(dist or paths.REPO_ROOT / "dist")
    dist.mkdir(parents=True, exist_ok=True)
    archive = dist / f"{part}-autograder.zip"
    with tempfile.TemporaryDirectory(prefix="autocorrector-") as scratch:
        source = stage_autograder(part, Path(scratch) / "source")
        partial = archive.with_suffix(".zip.tmp")
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
            for path in sorted(source.rglob("*")):
                if path.is_file():
                    info = zipfile.ZipInfo.from_file(path, path.relative_to(source).as_posix())
                    info.compress_type = zipfile.ZIP_DEFLATED
                    bundle.writestr(info, path.read_bytes())
        partial.replace(archive)
    return archive
