"""Línea de órdenes del curso: ``leccion14 <orden>``; el Makefile llama a estas órdenes."""

import argparse
import logging
import os
import sys
from pathlib import Path

from . import paths
from .errors import CourseDataError
from .spanish_argparse import SpanishArgumentParser
from .spanish_numbers import decimal


def _parse_int(text: str, minimum: int, requirement: str, example: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' no es un número entero; indica {requirement}, por ejemplo {example}.") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"{value} no es válido; indica {requirement}, por ejemplo {example}.")
    return value


def _positive_int(text: str) -> int:
    return _parse_int(text, 1, "un entero positivo", 5)


def _worker_count(text: str) -> int:
    # make grade passes WORKERS=N as --workers N, so the message names both.
    return _parse_int(text, 1, "un entero positivo (WORKERS=N con make grade)", 2)


def _non_negative_int(text: str) -> int:
    return _parse_int(text, 0, "un entero mayor o igual que 0", 0)


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


def _command_handout(arguments: argparse.Namespace) -> None:
    from .handout import build_handout

    archive = build_handout(Path(arguments.out))
    print(f"Paquete del estudiante escrito en {archive}")


def _command_grade(arguments: argparse.Namespace) -> None:
    import signal

    from .grading.batch import run_batch
    from .grading.batch_output import DUPLICATES, GRADES, SUMMARY_PLOT, BatchError
    from .grading.grade import GradingStopped

    # Warnings as before, plus the notice that the first batch on a machine fills the compilation cache.
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("leccion14.grading.sandbox_cache").setLevel(logging.INFO)

    # SIGTERM and SIGHUP (a closed terminal) stop the batch like Ctrl+C, which kills the workers and
    # their sandboxes. By default they would end this process alone and leave the workers running.
    def stop(signum, frame):
        raise GradingStopped(signum)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop)
    try:
        summary = run_batch(
            Path(arguments.submissions),
            Path(arguments.out),
            part=arguments.part,
            tests_dir=arguments.tests and Path(arguments.tests),
            workers=arguments.workers,
            force=arguments.force,
            timeout_s=arguments.timeout,
        )
    except BatchError as error:
        print(f"Error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    except KeyboardInterrupt as interruption:
        signum = getattr(interruption, "signum", signal.SIGINT)
        if arguments.force:
            again = (
                "las que no llegaron a recalificarse conservan su nota anterior. Para recalificarlas todas, repite la "
                "orden con --force (FORCE=1 en make)."
            )
        else:
            again = "repite la misma orden para calificar las que faltan."
        print(
            f"\nInterrumpido ({signal.Signals(signum).name}). Las entregas terminadas se conservan en {arguments.out}; {again}",
            file=sys.stderr,
        )
        raise SystemExit(128 + signum) from None
    counts = ", ".join(f"{status}: {count}" for status, count in summary.counts.items())
    graded = "1 entrega calificada" if summary.graded == 1 else f"{summary.graded} entregas calificadas"
    print(f"Parte {summary.part}: {graded} ({counts}); {summary.skipped} omitidas por estar ya calificadas.")
    print(f"Notas: {summary.out_dir / GRADES}; resumen: {summary.out_dir / SUMMARY_PLOT}")
    print(f"Retroalimentación y results.json de cada entrega: {summary.out_dir / 'entregas'}/<entrega>/")
    if summary.duplicates:
        print(f"Atención: {summary.duplicates} grupos de entregas con artefactos idénticos; ver {summary.out_dir / DUPLICATES}")
    else:
        print(f"Sin artefactos idénticos entre entregas ({summary.out_dir / DUPLICATES}).")


def _command_autograder(arguments: argparse.Namespace) -> None:
    from .grading.package import build_autograder

    for part in arguments.parts or ("cnn", "lstm"):
        archive = build_autograder(part, Path(arguments.out))
        print(f"Autocorrector de Gradescope escrito en {archive} ({decimal(archive.stat().st_size / 1024**2, 1)} MB)")


def _command_demo(arguments: argparse.Namespace) -> None:
    from .grading.demo import run_demo

    status = run_demo()
    if status:
        raise SystemExit(status)


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
    reference.add_argument(
        "--out", metavar="CARPETA", default=str(paths.build_dir() / "reference"),
        help="carpeta de resultados (por defecto build/reference)",
    )
    reference.add_argument("--seed", metavar="SEMILLA", type=_non_negative_int, default=0, help="semilla aleatoria (por defecto 0)")
    reference.add_argument("--cnn-epochs", metavar="N", type=_positive_int, default=None, help="épocas de la CNN (por defecto 10)")
    reference.add_argument("--lstm-epochs", metavar="N", type=_positive_int, default=None, help="épocas de la LSTM (por defecto 10)")
    reference.add_argument(
        "--cnn-train-limit", type=_positive_int, default=None, metavar="N",
        help="entrena la CNN solo con las N primeras imágenes (pruebas rápidas; por defecto, las 50000)",
    )
    reference.set_defaults(handler=_command_reference)

    calibrate = commands.add_parser("calibrate", help="repite la referencia con varias semillas y resume la variación")
    calibrate.add_argument(
        "--out", metavar="ARCHIVO", default=str(CALIBRATION_FILE),
        help="archivo JSON de calibración (por defecto autograder/calibration.json)",
    )
    calibrate.add_argument("--cnn-seeds", metavar="N", type=_positive_int, default=CNN_SEEDS, help=f"semillas de la CNN (por defecto {CNN_SEEDS})")
    calibrate.add_argument("--lstm-seeds", metavar="N", type=_positive_int, default=LSTM_SEEDS, help=f"semillas de la LSTM (por defecto {LSTM_SEEDS})")
    calibrate.set_defaults(handler=_command_calibrate)

    student = commands.add_parser("student", help="genera assignments/ (cuadernos, módulos con TODO y pruebas públicas) desde solutions/")
    student.set_defaults(handler=_command_student)

    check_student = commands.add_parser("check-student", help="comprueba que assignments/ coincide con lo que generan los maestros")
    check_student.set_defaults(handler=_command_check_student)
    handout = commands.add_parser("handout", help="empaqueta el material del estudiante (sin soluciones) en un zip")
    handout.add_argument("--out", metavar="CARPETA", default=str(paths.REPO_ROOT / "dist"), help="carpeta donde se escribe el zip (por defecto dist/)")
    handout.set_defaults(handler=_command_handout)

    grade = commands.add_parser(
        "grade",
        help="califica todas las entregas de una carpeta en paralelo y escribe notas y retroalimentación",
        description=(
            "Califica cada entrega (subcarpeta o .zip) de --submissions con el autocorrector aislado y escribe en "
            "--out: grades.csv, summary.png, duplicados.csv y, por entrega, results.json y retroalimentacion.md. "
            "Las entregas ya calificadas en --out se omiten salvo con --force."
        ),
    )
    grade.add_argument("--submissions", required=True, metavar="CARPETA", help="carpeta con una subcarpeta o un .zip por entrega")
    grade.add_argument("--out", required=True, metavar="CARPETA", help="carpeta de resultados: nueva, vacía o de un lote anterior de la misma parte")
    grade.add_argument("--part", choices=("cnn", "lstm"), default=None, help="parte que se califica; por defecto se deduce del módulo que contienen las entregas")
    grade.add_argument("--tests", metavar="CARPETA", default=None, help="pruebas de Otter (por defecto build/otter/<parte>/autograder/tests, de `make student`)")
    grade.add_argument("--workers", type=_worker_count, default=None, metavar="N", help=f"procesos en paralelo (por defecto uno por núcleo: {os.cpu_count()})")
    grade.add_argument("--force", action="store_true", help="recalifica también las entregas ya calificadas en --out")
    grade.add_argument("--timeout", type=_positive_int, default=900, metavar="SEGUNDOS", help="tiempo máximo por entrega en segundos (por defecto 900)")
    grade.set_defaults(handler=_command_grade)

    autograder = commands.add_parser("autograder", help="construye dist/<parte>-autograder.zip para Gradescope (requiere make student)")
    autograder.add_argument("--out", metavar="CARPETA", default=str(paths.REPO_ROOT / "dist"), help="carpeta donde se escriben los zip (por defecto dist/)")
    autograder.add_argument(
        "--part", dest="parts", action="append", choices=("cnn", "lstm"), default=None,
        help="parte que se empaqueta; se puede repetir (por defecto, las dos)",
    )
    autograder.set_defaults(handler=_command_autograder)

    demo = commands.add_parser("demo", help="califica la referencia, las plantillas y el corpus de entregas erróneas e imprime la tabla de notas")
    demo.set_defaults(handler=_command_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; a data error prints a Spanish message and returns exit status 2."""
    arguments = build_parser().parse_args(argv)
    try:
        arguments.handler(arguments)
    except CourseDataError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as error:
        # The student handout ships the package without its grading engine and generator.
        if not (error.name or "").startswith("leccion14."):
            raise
        print(
            f"Error: la orden '{arguments.command}' no está disponible aquí porque falta el módulo "
            f"{error.name}; es una orden del profesorado y necesita el repositorio completo del curso.",
            file=sys.stderr,
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
