"""The Spanish command line: help, bad arguments and data errors."""

import os
import subprocess
import sys
from pathlib import Path


def _run(*arguments: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "leccion14.cli", *arguments],
        capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=120,
    )


def test_help_is_spanish():
    result = _run("--help")

    assert result.returncode == 0
    assert result.stdout.startswith("uso: leccion14")
    assert "muestra esta ayuda y termina" in result.stdout


def test_unknown_command_is_spanish():
    result = _run("entrenar")

    assert result.returncode == 2
    assert "opción no válida: 'entrenar'" in result.stderr


def test_zero_seeds_rejected():
    result = _run("calibrate", "--cnn-seeds", "0")

    assert result.returncode == 2
    assert "0 no es válido; indica un entero positivo" in result.stderr


def test_data_bad_mirror_exit_2(tmp_path: Path):
    result = _run("data", "--mirror", str(tmp_path / "falta"), env={"LECCION14_DATA_DIR": str(tmp_path / "data")})

    assert result.returncode == 2
    assert "La carpeta espejo" in result.stderr
    assert "Traceback" not in result.stderr
