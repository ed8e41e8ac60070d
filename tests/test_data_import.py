"""Import from a mirror folder and download over a loopback HTTP server."""

import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest

from leccion14 import data_import
from leccion14.checksums import sha256_of
from leccion14.errors import CourseDataError
from leccion14.sources import CIFAR_IMAGES, CIFAR_PYTHON, REPSOL_CSV


def test_mirror_import_verifies_and_copies(mirror: Path, data_home: Path):
    imported = data_import.import_from_mirror(mirror)

    assert [path.name for path in imported] == [REPSOL_CSV.name, CIFAR_IMAGES.name]
    assert sha256_of(data_home / "raw" / REPSOL_CSV.name) == REPSOL_CSV.sha256
    assert sha256_of(data_home / "raw" / CIFAR_IMAGES.name) == CIFAR_IMAGES.sha256


def test_mirror_import_twice_skips_copy(mirror: Path, data_home: Path, capsys: pytest.CaptureFixture):
    data_import.import_from_mirror(mirror)
    capsys.readouterr()

    data_import.import_from_mirror(mirror)

    assert "ya importado y verificado" in capsys.readouterr().out


def test_mirror_corrupt_file_keeps_good_copy(mirror: Path, data_home: Path):
    data_import.import_from_mirror(mirror)
    good = (data_home / "raw" / REPSOL_CSV.name).read_bytes()
    (data_home / "raw" / REPSOL_CSV.name).write_bytes(good + b"\n")  # Force a fresh copy.
    (mirror / REPSOL_CSV.name).write_bytes(good.replace(b"8.922000", b"9.922000"))

    with pytest.raises(CourseDataError, match=r"La suma SHA-256 de .*REP\.MC\.csv.* no coincide"):
        data_import.import_from_mirror(mirror)

    assert (data_home / "raw" / REPSOL_CSV.name).read_bytes() == good + b"\n"
    assert not [path for path in (data_home / "raw").iterdir() if path.name.startswith(".")]


def test_mirror_missing_repsol_names_file(mirror: Path, data_home: Path):
    (mirror / REPSOL_CSV.name).unlink()

    with pytest.raises(CourseDataError, match=r"Falta REP\.MC\.csv en la carpeta espejo"):
        data_import.import_from_mirror(mirror)


def test_mirror_missing_cifar_names_both_archives(mirror: Path, data_home: Path):
    (mirror / CIFAR_IMAGES.name).unlink()

    with pytest.raises(CourseDataError, match=r"cifar-10-python\.tar\.gz o cifar-10-images\.tar\.gz"):
        data_import.import_from_mirror(mirror)


def test_mirror_folder_missing(tmp_path: Path, data_home: Path):
    with pytest.raises(CourseDataError, match=r"La carpeta espejo .*no-existe no existe.*DATA_MIRROR="):
        data_import.import_from_mirror(tmp_path / "no-existe")


def test_verified_imports_after_mirror(mirror: Path, data_home: Path):
    assert data_import.verified_imports() is None

    data_import.import_from_mirror(mirror)

    assert [path.name for path in data_import.verified_imports()] == [REPSOL_CSV.name, CIFAR_IMAGES.name]


@pytest.fixture
def loopback_server(tmp_path: Path):
    """Serve a temporary folder on 127.0.0.1 and yield (folder, base URL)."""
    folder = tmp_path / "served"
    folder.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_download_rejects_wrong_cifar_checksum(loopback_server, data_home: Path, monkeypatch: pytest.MonkeyPatch):
    folder, base_url = loopback_server
    (folder / CIFAR_PYTHON.name).write_bytes(b"not the CIFAR-10 archive")
    monkeypatch.setenv("LECCION14_URL_CIFAR", f"{base_url}/{CIFAR_PYTHON.name}")

    with pytest.raises(CourseDataError, match=r"No se pudo descargar cifar-10-python\.tar\.gz desde http://127\.0\.0\.1"):
        data_import.download_all()

    assert not (data_home / "raw" / CIFAR_PYTHON.name).exists()


def test_download_unreachable_server_is_spanish(data_home: Path, monkeypatch: pytest.MonkeyPatch, loopback_server):
    _, base_url = loopback_server
    monkeypatch.setenv("LECCION14_URL_CIFAR", f"{base_url}/no-existe.tar.gz")

    with pytest.raises(CourseDataError, match=r"Comprueba la conexión a internet, o importa una copia local"):
        data_import.download_all()


def test_download_repsol_over_loopback(loopback_server, data_home: Path, real_raw_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    folder, base_url = loopback_server
    shutil.copyfile(real_raw_dir / REPSOL_CSV.name, folder / REPSOL_CSV.name)
    # The CIFAR-10 archive is already in place, so only the CSV travels over the loopback server.
    (data_home / "raw").mkdir()
    shutil.copyfile(real_raw_dir / CIFAR_IMAGES.name, data_home / "raw" / CIFAR_IMAGES.name)
    monkeypatch.setenv("LECCION14_URL_REPSOL", f"{base_url}/{REPSOL_CSV.name}")

    data_import.download_all()

    assert sha256_of(data_home / "raw" / REPSOL_CSV.name) == REPSOL_CSV.sha256
    assert "Aviso" not in capsys.readouterr().out



def test_failed_download_keeps_existing_copy(loopback_server, data_home: Path, real_raw_dir: Path, monkeypatch: pytest.MonkeyPatch):
    _, base_url = loopback_server
    (data_home / "raw").mkdir()
    shutil.copyfile(real_raw_dir / CIFAR_IMAGES.name, data_home / "raw" / CIFAR_IMAGES.name)
    damaged = data_home / "raw" / REPSOL_CSV.name
    damaged.write_text("Date,High\n", encoding="utf-8")
    monkeypatch.setenv("LECCION14_URL_REPSOL", f"{base_url}/no-existe.csv")

    with pytest.raises(CourseDataError, match=r"No se pudo descargar REP\.MC\.csv .*make data DATA_MIRROR=<carpeta>"):
        data_import.download_all()

    assert damaged.read_text(encoding="utf-8") == "Date,High\n"
    assert sorted(path.name for path in (data_home / "raw").iterdir()) == [REPSOL_CSV.name, CIFAR_IMAGES.name]


def test_mirror_checksum_error_names_source(mirror: Path, data_home: Path):
    (mirror / REPSOL_CSV.name).write_bytes(b"Date,High\n")

    with pytest.raises(CourseDataError, match=rf"La suma SHA-256 de {mirror / REPSOL_CSV.name} no coincide"):
        data_import.import_from_mirror(mirror)
