"""CIFAR-10 loading: both layouts, the cache, the shuffle and the shapes Keras returns."""

import pickle
import shutil
import tarfile
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from leccion14 import cifar
from leccion14.errors import CourseDataError
from leccion14.sources import CIFAR_IMAGES, CIFAR_PYTHON


@pytest.fixture(scope="module")
def real_cifar(real_raw_dir):
    """The real CIFAR-10 arrays from the repository's data folder (decoded once, then cached)."""
    return cifar.load_cifar10()


def test_real_shapes_match_keras(real_cifar):
    (x_train, y_train), (x_test, y_test) = real_cifar

    assert x_train.shape == (50000, 32, 32, 3)
    assert y_train.shape == (50000, 1)
    assert x_test.shape == (10000, 32, 32, 3)
    assert y_test.shape == (10000, 1)
    assert x_train.dtype == np.uint8
    assert y_train.dtype == np.uint8


def test_real_classes_are_balanced(real_cifar):
    (_, y_train), (_, y_test) = real_cifar

    assert np.bincount(y_train.ravel()).tolist() == [5000] * 10
    assert np.bincount(y_test.ravel()).tolist() == [1000] * 10


def test_validation_tail_holds_every_class(real_cifar):
    # Keras' validation_split=0.2 takes the last 10,000 training rows.
    (_, y_train), _ = real_cifar
    counts = np.bincount(y_train[-10000:].ravel(), minlength=10)

    assert counts.min() > 900, counts
    assert counts.max() < 1100, counts


def test_cached_load_is_fast(real_cifar):
    start = time.perf_counter()
    (x_train, _), _ = cifar.load_cifar10()
    elapsed = time.perf_counter() - start

    assert elapsed < 3.0, f"la carga desde la caché tardó {elapsed:.1f} s"
    assert np.array_equal(x_train[:100], real_cifar[0][0][:100])


def test_pixels_look_like_photos(real_cifar):
    (x_train, _), _ = real_cifar
    sample = x_train[:500].astype("float64")

    assert 80 < sample.mean() < 160
    assert sample.std() > 40


def _image_tree(root: Path, per_class: int, suffix: str = ".png") -> Path:
    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        for name in cifar.CLASS_NAMES:
            folder = root / split / name
            folder.mkdir(parents=True)
            for index in range(per_class):
                pixels = rng.integers(0, 256, size=(32, 32, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(folder / f"{index:04d}{suffix}")
    return root


def test_image_folder_reads_png_and_labels(tmp_path: Path):
    root = _image_tree(tmp_path / "cifar-10-images", per_class=3)

    (x_train, y_train), (x_test, y_test) = cifar.read_image_folder(root)

    assert x_train.shape == (30, 32, 32, 3)
    assert y_test.shape == (30, 1)
    first_bird = np.asarray(Image.open(root / "test" / "bird" / "0000.png"))
    matches = [index for index in range(len(x_test)) if np.array_equal(x_test[index], first_bird)]
    assert len(matches) == 1
    assert y_test[matches[0], 0] == cifar.CLASS_NAMES.index("bird")


def test_image_folder_shuffle_is_fixed(tmp_path: Path):
    root = _image_tree(tmp_path / "cifar-10-images", per_class=2)

    (_, first), _ = cifar.read_image_folder(root)
    (_, second), _ = cifar.read_image_folder(root)

    assert np.array_equal(first, second)
    assert not np.array_equal(first.ravel(), np.sort(first.ravel()))


def test_image_folder_missing_class(tmp_path: Path):
    root = _image_tree(tmp_path / "cifar-10-images", per_class=1)
    shutil.rmtree(root / "train" / "frog")

    with pytest.raises(CourseDataError, match=r"Falta la carpeta de la clase 'frog'"):
        cifar.read_image_folder(root)


def test_image_folder_wrong_size(tmp_path: Path):
    root = _image_tree(tmp_path / "cifar-10-images", per_class=1)
    Image.new("RGB", (28, 28)).save(root / "test" / "cat" / "0000.png")

    with pytest.raises(CourseDataError, match=r"mide \(28, 28, 3\) y CIFAR-10 usa \(32, 32, 3\)"):
        cifar.read_image_folder(root)


def _write_batches(folder: Path, images: np.ndarray, labels: np.ndarray) -> None:
    """Write canonical-format pickles: rows of 3072 bytes, channel-major, as the original archive."""
    folder.mkdir(parents=True)
    rows = images.transpose(0, 3, 1, 2).reshape(len(images), -1)
    parts = np.array_split(np.arange(len(images)), 6)
    names = [f"data_batch_{index}" for index in range(1, 6)] + ["test_batch"]
    for name, part in zip(names, parts):
        with open(folder / name, "wb") as handle:
            pickle.dump({b"data": rows[part], b"labels": labels[part].tolist()}, handle)


def test_batches_match_original_layout(tmp_path: Path, real_cifar):
    (x_train, y_train), _ = real_cifar
    images, labels = x_train[:60], y_train[:60, 0]
    _write_batches(tmp_path / "cifar-10-batches-py", images, labels)

    (x_read, y_read), (x_test, y_test) = cifar.read_batches(tmp_path / "cifar-10-batches-py")

    assert np.array_equal(x_read, images[:50])
    assert np.array_equal(y_read.ravel(), labels[:50])
    assert np.array_equal(x_test, images[50:])
    assert y_test.shape == (10, 1)


def test_batches_missing_file(tmp_path: Path):
    (tmp_path / "cifar-10-batches-py").mkdir()

    with pytest.raises(CourseDataError, match=r"Falta el lote .*data_batch_1"):
        cifar.read_batches(tmp_path / "cifar-10-batches-py")


def test_load_canonical_archive_and_cache(tmp_path: Path, data_home: Path, real_cifar, monkeypatch):
    (x_train, y_train), _ = real_cifar
    _write_batches(tmp_path / "cifar-10-batches-py", x_train[:60], y_train[:60, 0])
    (data_home / "raw").mkdir()
    archive = data_home / "raw" / CIFAR_PYTHON.name
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    # The small archive stands in for the canonical one, so its digest becomes the expected one.
    monkeypatch.setattr(cifar, "CIFAR_PYTHON", type(CIFAR_PYTHON)(CIFAR_PYTHON.name, _sha(archive), None, ""))

    (first_x, _), _ = cifar.load_cifar10()
    (second_x, _), _ = cifar.load_cifar10()

    assert np.array_equal(first_x, x_train[:50])
    assert np.array_equal(second_x, first_x)
    assert (data_home / "cache" / "cifar10" / "x_train.npy").is_file()


def test_load_rejects_corrupt_archive(data_home: Path):
    (data_home / "raw").mkdir()
    (data_home / "raw" / CIFAR_IMAGES.name).write_bytes(b"broken")

    with pytest.raises(CourseDataError, match=r"está dañado .*vuelve a ejecutar `make data`"):
        cifar.load_cifar10()


def test_load_without_data_says_make_data(data_home: Path):
    with pytest.raises(CourseDataError, match=r"No hay datos de CIFAR-10 .*Ejecuta primero `make data`"):
        cifar.load_cifar10()


def _sha(path: Path) -> str:
    from leccion14.checksums import sha256_of

    return sha256_of(path)
