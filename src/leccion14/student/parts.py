"""The two parts of the lesson: master notebook and master module of each, in ``solutions/``."""

from dataclasses import dataclass

from .. import paths


@dataclass(frozen=True)
class Part:
    """One part of the handout: ``assignments/<name>/`` is generated from these two masters."""

    name: str
    notebook: str
    module: str


PARTS = (
    Part(name="cnn", notebook="leccion14_cnn.ipynb", module="cnn_cifar.py"),
    Part(name="lstm", notebook="leccion14_lstm.ipynb", module="lstm_repsol.py"),
)

SOLUTIONS_DIR = paths.REPO_ROOT / "solutions"
ASSIGNMENTS_DIR = paths.REPO_ROOT / "assignments"


def otter_output_dir():
    """Return the folder for Otter Assign's full output, hidden tests included (never committed)."""
    return paths.build_dir() / "otter"
