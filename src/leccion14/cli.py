"""Línea de órdenes del curso: ``leccion14 <orden>``; el Makefile llama a estas órdenes."""

import argparse
import os
import sys
from pathlib import Path

from . import paths
from .errors import CourseDataError
from .spanish_argparse import SpanishArgumentParser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' no es un número entero; indica un entero positivo, por ejemplo 5.") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} no es válido; indica un entero positivo, por ejemplo 5.")
    return value


def _command_data(arguments: argparse.Namespace) -> None:
    from .data_import import download_all, import_from_mirror, verified_imports
    from .prepare import prepare_all

    if arguments.mirror is None and verified_imports():
        print(f"Los datos ya están importados y verificados en {paths.raw_dir()}")
    elif arguments.mirror:
        print(f"Importando datos desde la carpeta espejo {arguments.mirror}…")
        import_from_mirror(Path(arguments.mirror))
    else:
        print("Descargando datos de sus orígenes canónicos…")
        download_all()
    print("Preparando datos…")
    prepare_all()
    print(f"Datos listos en {paths.data_dir()}")


def _command_reference(arguments: argparse.Namespace) -> None:
    from .reference import run_reference

    run_reference(
        Path(arguments.out),
        seed=arguments.seed,
        cnn_epochs=arguments.cnn_epochs,
        lstm_epochs=arguments.lstm_epochs,
        cnn_train_limit=arguments.cnn_train_limit,
    )


def _command_calibrate(arguments: argparse.Namespace) -> None:
    from .calibration import run_calibration

    run_calibration(Path(arguments.out), cnn_seeds=arguments.cnn_seeds, lstm_seeds=arguments.lstm_seeds)


def _command_student(arguments: argparse.Namespace) -> None:
    from .student.assign import build_all
    from .student.parts import otter_output_dir

    for folder in build_all():
        print(f"Material del estudiante escrito en {folder}")
    print(f"Salida completa de Otter Assign, con las pruebas ocultas: {otter_output_dir()}")


def _command_check_student(arguments: argparse.Namespace) -> None:
    from .student.assign import find_stale_files

    problems = find_stale_files()
    if problems:
        print("El material de assignments/ no coincide con los maestros de solutions/:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        print("Ejecuta `make student` y añade los archivos regenerados al commit.", file=sys.stderr)
        raise SystemExit(1)
    print("assignments/ coincide con lo que generan los maestros de solutions/.")


def build_parser() -> argparse.ArgumentParser:
    """Build the Spanish argument parser with one subcommand per Makefile target."""
    from .calibration import CALIBRATION_FILE, CNN_SEEDS, LSTM_SEEDS

    parser = SpanishArgumentParser(
        prog="leccion14",
        description="Herramientas de la Lección 14 (Deep Learning II): datos, referencia y calibración.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="ORDEN")

    data = commands.add_parser("data", help="importa y verifica los datos (CIFAR-10 y Repsol)")
    data.add_argument(
        "--mirror", metavar="CARPETA", default=os.environ.get("DATA_MIRROR") or None,
        help="carpeta local con REP.MC.csv y el archivo de CIFAR-10; sin ella, descarga los datos",
    )
    data.set_defaults(handler=_command_data)

    reference = commands.add_parser("reference", help="entrena los dos modelos de referencia con los datos reales")
    reference.add_argument("--out", default=str(paths.build_dir() / "reference"), help="carpeta de resultados")
    reference.add_argument("--seed", type=int, default=0, help="semilla aleatoria (por defecto 0)")
    reference.add_argument("--cnn-epochs", type=_positive_int, default=None, help="épocas de la CNN (por defecto 10)")
    reference.add_argument("--lstm-epochs", type=_positive_int, default=None, help="épocas de la LSTM (por defecto 10)")
    reference.add_argument(
        "--cnn-train-limit", type=_positive_int, default=None, metavar="N",
        help="entrena la CNN solo con las N primeras imágenes (pruebas rápidas; por defecto, las 50000)",
    )
    reference.set_defaults(handler=_command_reference)

    calibrate = commands.add_parser("calibrate", help="repite la referencia con varias semillas y resume la variación")
    calibrate.add_argument("--out", default=str(CALIBRATION_FILE), help="archivo JSON de calibración")
    calibrate.add_argument("--cnn-seeds", type=_positive_int, default=CNN_SEEDS, help=f"semillas de la CNN (por defecto {CNN_SEEDS})")
    calibrate.add_argument("--lstm-seeds", type=_positive_int, default=LSTM_SEEDS, help=f"semillas de la LSTM (por defecto {LSTM_SEEDS})")
    calibrate.set_defaults(handler=_command_calibrate)

    student = commands.add_parser("student", help="genera assignments/ (cuadernos, módulos con TODO y pruebas públicas) desde solutions/")
    student.set_defaults(handler=_command_student)

    check_student = commands.add_parser("check-student", help="comprueba que assignments/ coincide con lo que generan los maestros")
    check_student.set_defaults(handler=_command_check_student)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; a data error prints a Spanish message and returns exit status 2."""
    arguments = build_parser().parse_args(argv)
    try:
        arguments.handler(arguments)
    except CourseDataError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
