"""Importación de los datos: copia verificada desde una carpeta espejo o descarga canónica."""

import os
import shutil
import tempfile
from pathlib import Path

from . import paths
from .checksums import sha256_of, verify_sha256
from .errors import CourseDataError
from .sources import CIFAR_ARCHIVES, CIFAR_PYTHON, REPSOL_CSV, DataFile, download_url

_MIRROR_FIX = (
    "Vuelve a copiar el archivo en la carpeta espejo, o ejecuta `make data` sin DATA_MIRROR "
    "para descargarlo de su origen."
)


def _is_verified(path: Path, data_file: DataFile) -> bool:
    return path.is_file() and data_file.sha256 is not None and sha256_of(path) == data_file.sha256


def _copy_verified(source: Path, data_file: DataFile) -> Path:
    """Copy ``source`` into data/raw through a temporary file, so a bad copy never replaces a good one."""
    target = paths.raw_dir() / data_file.name
    if _is_verified(target, data_file):
        print(f"  {data_file.name}: ya importado y verificado")
        return target

    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{data_file.name}.")
    os.close(handle)
    temporary_path = Path(temporary)
    try:
        shutil.copyfile(source, temporary_path)
        os.chmod(temporary_path, 0o644)
        verify_sha256(temporary_path, data_file.sha256, _MIRROR_FIX, source=source)
        os.replace(temporary_path, target)
    finally:
        temporary_path.unlink(missing_ok=True)
    print(f"  {data_file.name}: copiado desde {source.parent} y verificado (SHA-256)")
    return target


def import_from_mirror(mirror: Path) -> list[Path]:
    """Copy REP.MC.csv and one CIFAR-10 archive from a local mirror folder into data/raw.

    Raises:
        CourseDataError: the mirror folder or a file is missing, or a checksum does not match.
    """
    mirror = Path(mirror)
    if not mirror.is_dir():
        raise CourseDataError(
            f"La carpeta espejo {mirror} no existe o no es una carpeta. "
            "Indica la carpeta que contiene REP.MC.csv y el archivo de CIFAR-10, "
            "por ejemplo: make data DATA_MIRROR=../shared/data"
        )

    repsol_source = mirror / REPSOL_CSV.name
    if not repsol_source.is_file():
        raise CourseDataError(
            f"Falta {REPSOL_CSV.name} en la carpeta espejo {mirror}. {_MIRROR_FIX}"
        )
    cifar = next((archive for archive in CIFAR_ARCHIVES if (mirror / archive.name).is_file()), None)
    if cifar is None:
        names = " o ".join(archive.name for archive in CIFAR_ARCHIVES)
        raise CourseDataError(f"Falta el archivo de CIFAR-10 ({names}) en la carpeta espejo {mirror}. {_MIRROR_FIX}")

    return [_copy_verified(repsol_source, REPSOL_CSV), _copy_verified(mirror / cifar.name, cifar)]


def _download(data_file: DataFile) -> Path:
    import keras  # Imported here because TensorFlow takes seconds to load.

    target = paths.raw_dir() / data_file.name
    if _is_verified(target, data_file):
        print(f"  {data_file.name}: ya descargado y verificado")
        return target

    # Download under a temporary name and rename only on success, so a failed download never
    # destroys the copy in place. get_file skips the download when its file exists and no digest
    # is given, so a leftover temporary file is removed first.
    partial_name = f".{data_file.name}.download"
    partial = target.with_name(partial_name)
    partial.unlink(missing_ok=True)
    url = download_url(data_file)
    print(f"  {data_file.name}: descargando desde {url}")
    try:
        keras.utils.get_file(
            fname=partial_name,
            origin=url,
            file_hash=data_file.sha256,
            hash_algorithm="sha256",
            cache_dir=str(paths.data_dir()),
            cache_subdir="raw",
        )
    except Exception as error:  # get_file raises URLError, HTTPError or ValueError (bad hash).
        partial.unlink(missing_ok=True)
        raise CourseDataError(
            f"No se pudo descargar {data_file.name} desde {url}: {error}. "
            "Comprueba la conexión a internet, o importa una copia local con "
            "make data DATA_MIRROR=<carpeta>."
        ) from error
    os.replace(partial, target)
    return target


def verified_imports() -> list[Path] | None:
    """Return the verified Repsol CSV and CIFAR-10 archive in data/raw, or None if one is missing."""
    repsol = paths.raw_dir() / REPSOL_CSV.name
    if not _is_verified(repsol, REPSOL_CSV):
        return None
    for archive in CIFAR_ARCHIVES:
        if _is_verified(paths.raw_dir() / archive.name, archive):
            return [repsol, paths.raw_dir() / archive.name]
    return None


def download_all() -> list[Path]:
    """Download the canonical CIFAR-10 archive and the Repsol CSV into data/raw, skipping verified files.

    The CIFAR-10 archive is checked against the digest Keras uses. Yahoo revises old quotes, so a
    fresh REP.MC.csv may differ from the course's copy: its digest is compared and a difference
    only prints a warning.
    """
    imported = [paths.raw_dir() / archive.name for archive in CIFAR_ARCHIVES]
    verified = [path for path, archive in zip(imported, CIFAR_ARCHIVES) if _is_verified(path, archive)]
    cifar = verified[0] if verified else _download(CIFAR_PYTHON)

    # NOTE: Yahoo's CSV endpoint may need a session cookie today; the mirror is the tested path.
    repsol_file = DataFile(REPSOL_CSV.name, None, REPSOL_CSV.url, REPSOL_CSV.description)
    repsol = paths.raw_dir() / REPSOL_CSV.name
    if not _is_verified(repsol, REPSOL_CSV):
        repsol = _download(repsol_file)
        if sha256_of(repsol) != REPSOL_CSV.sha256:
            print(
                f"  Aviso: {repsol.name} descargado no coincide con la copia del curso "
                f"(SHA-256 {REPSOL_CSV.sha256}); Yahoo corrige datos antiguos, así que las cifras "
                "de RMSE pueden variar un poco respecto a las publicadas."
            )
    return [repsol, cifar]
