"""Builders of LSTM submission folders: the reference, stubs, and the reference with patched functions.

The reference module and artefacts come from solutions/ and the reference run (``reference_dir``).
A hostile submission is the reference module with some functions replaced by hostile code, so
every question that does not call those functions must keep full marks.
"""

import shutil
import textwrap
from pathlib import Path

import pandas as pd

from leccion14 import paths

SOLUTION = paths.REPO_ROOT / "solutions" / "lstm_repsol.py"
STUB = paths.REPO_ROOT / "assignments" / "lstm" / "lstm_repsol.py"


def write_artefacts(folder: Path, reference_dir: Path, model: bool = True) -> None:
    """Copy the reference LSTM artefacts into ``folder/entrega`` (the model only when ``model``)."""
    entrega = folder / "entrega"
    entrega.mkdir(parents=True, exist_ok=True)
    if model:
        shutil.copyfile(reference_dir / "lstm.keras", entrega / "lstm_model.keras")
    shutil.copyfile(reference_dir / "lstm_history.json", entrega / "lstm_history.json")
    forecasts = pd.read_csv(reference_dir / "lstm_forecasts.csv")[["Date", "forecast"]]
    forecasts.to_csv(entrega / "lstm_forecasts.csv", index=False)


def reference_submission(folder: Path, reference_dir: Path) -> Path:
    """Write the reference module and artefacts into ``folder``."""
    folder.mkdir(parents=True)
    shutil.copyfile(SOLUTION, folder / "lstm_repsol.py")
    write_artefacts(folder, reference_dir)
    return folder


def stub_submission(folder: Path) -> Path:
    """Write the untouched student stub, without artefacts, into ``folder``."""
    folder.mkdir(parents=True)
    shutil.copyfile(STUB, folder / "lstm_repsol.py")
    return folder


def patched_submission(folder: Path, reference_dir: Path, replacements: dict[str, str], prelude: str = "", artefacts: bool = True) -> Path:
    """Write the reference module with the functions in ``replacements`` redefined at its end.

    ``replacements`` maps a function name to its new body; ``prelude`` runs at import time.
    """
    folder.mkdir(parents=True)
    source = SOLUTION.read_text(encoding="utf-8")
    extra = ["", "", "# Hostile test code.", "import os, sys", textwrap.dedent(prelude)]
    for name, body in replacements.items():
        extra += [f"def {name}(*args, **kwargs):", textwrap.indent(textwrap.dedent(body).strip(), "    "), ""]
    (folder / "lstm_repsol.py").write_text(source + "\n".join(extra) + "\n", encoding="utf-8")
    if artefacts:
        write_artefacts(folder, reference_dir)
    return folder


def zip_folder(folder: Path, archive: Path) -> Path:
    """Zip the contents of ``folder`` into ``archive`` and return it."""
    return Path(shutil.make_archive(str(archive.with_suffix("")), "zip", folder))
