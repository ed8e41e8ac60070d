"""Carga de CIFAR-10 con la misma forma que ``keras.datasets.cifar10.load_data()``.

Lee los lotes pickle canónicos (``cifar-10-batches-py``) o un árbol de imágenes
``train|test/<clase>/*.jpg|*.png``, y guarda los arreglos decodificados en caché.
"""

import json
import os
import pickle
import shutil
import tarfile
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from . import paths
from .checksums import sha256_of
from .errors import CourseDataError
from .sources import CIFAR_IMAGES, CIFAR_PYTHON

CLASS_NAMES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)
IMAGE_SHAPE = (32, 32, 3)
SHUFFLE_SEED = 20140
_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}
_CACHE_VERSION = 1

Split = tuple[np.ndarray, np.ndarray]


def read_batches(folder: Path) -> tuple[Split, Split]:
    """Read the canonical ``cifar-10-batches-py`` pickles (data_batch_1..5 and test_batch)."""
    folder = Path(folder)

    def read_one(name: str) -> Split:
        path = folder / name
        if not path.is_file():
            raise CourseDataError(f"Falta el lote {path} de CIFAR-10. Vuelve a importar los datos con `make data`.")
        with open(path, "rb") as handle:
            batch = pickle.load(handle, encoding="bytes")
        images = np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        labels = np.asarray(batch[b"labels"], dtype=np.uint8).reshape(-1, 1)
        return images, labels

    train_parts = [read_one(f"data_batch_{index}") for index in range(1, 6)]
    x_train = np.concatenate([images for images, _ in train_parts])
    y_train = np.concatenate([labels for _, labels in train_parts])
    return (x_train, y_train), read_one("test_batch")


def _read_split(folder: Path, split: str) -> Split:
    split_folder = folder / split
    if not split_folder.is_dir():
        raise CourseDataError(
            f"Falta la carpeta {split_folder}: se esperaba {split}/<clase>/ con imágenes JPEG o PNG."
        )
    files: list[tuple[Path, int]] = []
    for label, class_name in enumerate(CLASS_NAMES):
        class_folder = split_folder / class_name
        if not class_folder.is_dir():
            raise CourseDataError(
                f"Falta la carpeta de la clase '{class_name}' en {split_folder}. "
                f"CIFAR-10 necesita las 10 clases: {', '.join(CLASS_NAMES)}."
            )
        images = sorted(p for p in class_folder.iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES)
        files.extend((path, label) for path in images)

    x = np.empty((len(files), *IMAGE_SHAPE), dtype=np.uint8)
    y = np.empty((len(files), 1), dtype=np.uint8)
    for index, (path, label) in enumerate(tqdm(files, desc=f"Decodificando {split}", unit="img", mininterval=2)):
        with Image.open(path) as image:
            pixels = np.asarray(image.convert("RGB"))
        if pixels.shape != IMAGE_SHAPE:
            raise CourseDataError(f"La imagen {path} mide {pixels.shape} y CIFAR-10 usa {IMAGE_SHAPE}.")
        x[index] = pixels
        y[index] = label
    return x, y


def read_image_folder(folder: Path, seed: int = SHUFFLE_SEED) -> tuple[Split, Split]:
    """Read a ``train|test/<class>/`` image tree and shuffle each split with a fixed seed.

    Files are listed class by class, so without the shuffle ``validation_split=0.2`` (which takes
    the last 20 % of the arrays) would validate on the last two classes only.
    """
    folder = Path(folder)
    rng = np.random.default_rng(seed)
    splits = []
    for split in ("train", "test"):
        x, y = _read_split(folder, split)
        order = rng.permutation(len(x))
        splits.append((x[order], y[order]))
    return splits[0], splits[1]


def _source_archive() -> tuple[Path, str, str]:
    """Return the path, name and SHA-256 of the imported CIFAR-10 archive, checking its digest."""
    for archive in (CIFAR_PYTHON, CIFAR_IMAGES):
        path = paths.raw_dir() / archive.name
        if path.is_file():
            digest = sha256_of(path)
            if digest != archive.sha256:
                raise CourseDataError(
                    f"El archivo {path} está dañado (SHA-256 {digest}, se esperaba {archive.sha256}). "
                    "Bórralo y vuelve a ejecutar `make data`."
                )
            return path, archive.name, digest
    raise CourseDataError(
        f"No hay datos de CIFAR-10 en {paths.raw_dir()}. Ejecuta primero `make data` "
        "(o `make data DATA_MIRROR=<carpeta>` sin conexión a internet)."
    )


def _decode_archive(archive: Path, name: str) -> tuple[Split, Split]:
    with tempfile.TemporaryDirectory(dir=paths.data_dir(), prefix=".extract-") as scratch:
        print(f"Extrayendo {archive.name}…")
        with tarfile.open(archive) as tar:
            tar.extractall(scratch, filter="data")
        if name == CIFAR_PYTHON.name:
            return read_batches(Path(scratch) / "cifar-10-batches-py")
        return read_image_folder(Path(scratch) / "cifar-10-images")


def _cache_folder() -> Path:
    return paths.cache_dir() / "cifar10"


def _write_cache(arrays: dict[str, np.ndarray], stamp: dict) -> None:
    """Write the arrays into a temporary folder, then rename it, so a crash never leaves half a cache."""
    final = _cache_folder()
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=final.parent, prefix=".cifar10-"))
    for key, array in arrays.items():
        np.save(staging / f"{key}.npy", array)
    (staging / "source.json").write_text(json.dumps(stamp), encoding="utf-8")
    if final.exists():
        shutil.rmtree(final)
    os.replace(staging, final)


def _read_cache(stamp: dict, mmap_mode: str | None) -> tuple[Split, Split] | None:
    folder = _cache_folder()
    try:
        if json.loads((folder / "source.json").read_text(encoding="utf-8")) != stamp:
            return None
        x_train, y_train, x_test, y_test = (
            np.load(folder / f"{key}.npy", mmap_mode=mmap_mode) for key in ("x_train", "y_train", "x_test", "y_test")
        )
    except (OSError, ValueError):
        return None
    return (x_train, y_train), (x_test, y_test)


def load_cifar10(memory_map: bool = False) -> tuple[Split, Split]:
    """Return ``(x_train, y_train), (x_test, y_test)`` exactly as Keras' ``cifar10.load_data()`` does.

    Shapes: x_train (50000, 32, 32, 3) uint8, y_train (50000, 1) uint8, x_test (10000, 32, 32, 3),
    y_test (10000, 1); labels follow CLASS_NAMES. The first call decodes the imported archive
    (14 s for the JPEG tree on 2 cores) and caches the arrays; later calls read the cache.
    ``memory_map=True`` returns read-only memory-mapped arrays from the cache, so a caller that
    needs a slice does not read all 180 MB into memory; the first, decoding call still does.
    """
    archive, name, digest = _source_archive()
    stamp = {"version": _CACHE_VERSION, "archive": name, "sha256": digest, "seed": SHUFFLE_SEED}
    cached = _read_cache(stamp, "r" if memory_map else None)
    if cached is not None:
        return cached

    (x_train, y_train), (x_test, y_test) = _decode_archive(archive, name)
    _write_cache({"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}, stamp)
    return (x_train, y_train), (x_test, y_test)
