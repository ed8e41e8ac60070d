"""Generator of 1 GiB zip bombs, written at test time into a temporary folder (never committed).

``honest`` declares its real size (1 GiB) in the zip directory. ``lying`` declares 1 KiB in both
headers, so it passes the directory check and extraction itself must stop. Each file is about 1 MiB.

    python tests/hostile/zip_bomb.py FOLDER    # writes bomba_honesta.zip and bomba_mentirosa.zip
"""

import struct
import sys
import zipfile
from pathlib import Path

BOMB_BYTES = 1024**3
_CHUNK = bytes(1024**2)
_DECLARED_BYTES = 1024


def write_honest_bomb(path: Path) -> Path:
    """Write a zip with one 1 GiB member of zeros, deflated, with its true size in the headers."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("entrega/cnn_model.keras", "w") as member:
            for _ in range(BOMB_BYTES // len(_CHUNK)):
                member.write(_CHUNK)
    return path


def write_lying_bomb(source: Path, path: Path) -> Path:
    """Copy the honest bomb with its uncompressed size set to 1 KiB in the local and central headers."""
    data = bytearray(Path(source).read_bytes())
    local = data.find(b"PK\x03\x04")
    central = data.find(b"PK\x01\x02")
    # Uncompressed size: offset 22 in the local header, offset 24 in the central directory entry.
    struct.pack_into("<I", data, local + 22, _DECLARED_BYTES)
    struct.pack_into("<I", data, central + 24, _DECLARED_BYTES)
    Path(path).write_bytes(bytes(data))
    return Path(path)


def write_bombs(folder: Path) -> tuple[Path, Path]:
    """Write both bombs into ``folder`` and return (honest, lying)."""
    folder = Path(folder)
    honest = write_honest_bomb(folder / "bomba_honesta.zip")
    return honest, write_lying_bomb(honest, folder / "bomba_mentirosa.zip")


if __name__ == "__main__":
    for bomb in write_bombs(Path(sys.argv[1])):
        print(bomb, bomb.stat().st_size)
