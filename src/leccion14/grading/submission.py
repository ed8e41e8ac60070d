"""Lectura de una entrega: el zip que exporta Otter (cuaderno, módulo y carpeta ``entrega/``)."""

import os
import shutil
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .models import SubmissionError

# Bounds of one submission zip: the sizes in its directory are checked first, then the bytes
# actually decompressed, so a zip bomb whose headers lie is stopped after this many bytes too.
MAX_UNCOMPRESSED_BYTES = 300 * 1024**2
MAX_MEMBERS = 2000
_CHUNK_BYTES = 1024**2


@dataclass(frozen=True)
class PartFiles:
    """Files a submission of one part must contain, relative to the submission root."""

    module: str
    artefacts: dict[str, str]


PARTS = {
    "cnn": PartFiles(
        module="cnn_cifar.py",
        artefacts={"cnn_model": "entrega/cnn_model.keras", "cnn_history": "entrega/cnn_history.json"},
    ),
    "lstm": PartFiles(
        module="lstm_repsol.py",
        artefacts={
            "lstm_model": "entrega/lstm_model.keras",
            "lstm_forecasts": "entrega/lstm_forecasts.csv",
            "lstm_history": "entrega/lstm_history.json",
        },
    ),
}


def _safe_extract(archive: zipfile.ZipFile, destination: Path, label: str) -> None:
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise SubmissionError(f"{label} tiene {len(members)} archivos y el máximo es {MAX_MEMBERS}. Exporta solo lo que pide el cuaderno.")
    total = sum(member.file_size for member in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise SubmissionError(
            f"{label} ocupa {total / 1024**2:.0f} MB descomprimido y el máximo es "
            f"{MAX_UNCOMPRESSED_BYTES / 1024**2:.0f} MB. No incluyas los datos ni otros modelos."
        )
    for member in members:
        path = PurePosixPath(member.filename)
        if path.is_absolute() or ".." in path.parts or "\\" in member.filename or ":" in member.filename:
            raise SubmissionError(f"{label} contiene la ruta no válida '{member.filename}'. Vuelve a exportar con grader.export().")
        if stat.S_ISLNK(member.external_attr >> 16):
            raise SubmissionError(f"{label} contiene el enlace simbólico '{member.filename}'; incluye archivos normales.")
    written = 0
    for member in members:
        target = destination.joinpath(*PurePosixPath(member.filename).parts)
        if member.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(member) as source, open(target, "wb") as output:
            while chunk := source.read(_CHUNK_BYTES):
                written += len(chunk)
                if written > MAX_UNCOMPRESSED_BYTES:
                    raise SubmissionError(
                        f"{label} supera los {MAX_UNCOMPRESSED_BYTES / 1024**2:.0f} MB al descomprimirlo, aunque "
                        "su índice declara menos: está dañado o manipulado. Vuelve a exportar con grader.export()."
                    )
                output.write(chunk)


def _copy_folder(source: Path, destination: Path) -> None:
    """Copy the regular files of a submission folder, within the same bounds as a zip.

    Symbolic links are skipped, not followed: a repository could link to the solutions or to
    another student's files. Git's own folder is skipped too.
    """
    files = []
    for folder, subfolders, names in os.walk(source, followlinks=False):
        subfolders[:] = [name for name in subfolders if name != ".git" and not os.path.islink(os.path.join(folder, name))]
        files += [Path(folder, name) for name in names if Path(folder, name).is_file() and not os.path.islink(os.path.join(folder, name))]
    label = f"La carpeta {source.name}"
    if len(files) > MAX_MEMBERS:
        raise SubmissionError(f"{label} tiene {len(files)} archivos y el máximo es {MAX_MEMBERS}. Entrega solo lo que pide el cuaderno.")
    total = sum(path.stat().st_size for path in files)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise SubmissionError(
            f"{label} ocupa {total / 1024**2:.0f} MB y el máximo es {MAX_UNCOMPRESSED_BYTES / 1024**2:.0f} MB. "
            "No incluyas los datos ni otros modelos."
        )
    for path in files:
        target = destination / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target, follow_symlinks=False)


def unpack_submission(source: Path, destination: Path) -> Path:
    """Copy or extract the submission in ``source`` (a zip or a folder) into ``destination``.

    Gradescope puts the uploaded files in a folder; when that folder holds a single zip (Otter's
    export), the zip is extracted. Returns the folder that contains the student's files.
    """
    source, destination = Path(source), Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    zips = [source] if source.is_file() else sorted(source.glob("*.zip"))
    if len(zips) == 1:
        try:
            with zipfile.ZipFile(zips[0]) as archive:
                _safe_extract(archive, destination, f"El zip {zips[0].name}")
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError):
            raise SubmissionError(f"{zips[0].name} no es un zip válido. Sube el zip que crea grader.export() sin modificarlo.") from None
    elif source.is_dir():
        _copy_folder(source, destination)
    else:
        raise SubmissionError(f"No se encuentra la entrega {source}.")
    return destination


def find_file(root: Path, relative: str) -> Path | None:
    """Return ``root/relative``, or the shallowest file with the same relative path below ``root``."""
    direct = Path(root) / relative
    if direct.is_file() and not direct.is_symlink():
        return direct
    matches = sorted(
        (path for path in Path(root).rglob(Path(relative).name) if path.as_posix().endswith(relative) and path.is_file() and not path.is_symlink()),
        key=lambda path: len(path.parts),
    )
    return matches[0] if matches else None
