"""Mediciones de ``make bench``; escribe BENCHMARKS.md. No forma parte de las pruebas.

1. Una entrega de cada parte (la referencia): este autocorrector frente a ``otter run`` sobre el
   mismo zip, en la misma ejecución, con tiempo de reloj y memoria máxima (PSS) del árbol de
   procesos. El autocorrector se mide ``GRADER_RUNS`` veces y cuenta la mediana del tiempo.
2. Lote de 20 entregas con 1 y con 2 procesos.
3. CIFAR-10: lectura de la caché frente a la primera decodificación.

    python -m leccion14.bench --out BENCHMARKS.md [--batch-size 20]
"""

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from . import paths

PYTHON = sys.executable
# Measured runs of the grader per part. One run takes 4-5 s and varied by up to 1 s between runs
# on the 2-core CI machine, so the report takes the median. `otter run` takes 40-190 s and runs once.
GRADER_RUNS = 3


def machine() -> str:
    """Return the CPU model, core count, memory and whether a GPU is visible, for each number."""
    model = "CPU desconocida"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    gpu = "sin GPU" if shutil.which("nvidia-smi") is None else "con GPU"
    memory = psutil.virtual_memory().total / 1024**3
    return f"{model}, {os.cpu_count()} núcleos, {memory:.0f} GiB, {gpu}, {platform.system()} {platform.release()}"


def tree_memory(tree: list[psutil.Process]) -> int:
    """Return the proportional set size (PSS) of ``tree`` in bytes, RSS where PSS is not readable.

    A forked process shares its parent's pages (Keras, loaded once); PSS counts each shared page
    once across the tree, where a sum of RSS would count it in every process.
    """
    total = 0
    for member in tree:
        try:
            total += member.memory_full_info().pss
        except psutil.AccessDenied:
            total += member.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def measure(command: list[str], env: dict | None = None, cwd: Path | None = None) -> tuple[float, float, int]:
    """Run ``command``; return (wall seconds, peak PSS of the process tree in MiB, exit status).

    The tree is sampled every 0.1 s, so a child that lives less than that can be missed.
    """
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = peak_tree_memory(process)
    return time.perf_counter() - start, peak / 1024**2, process.returncode


def peak_tree_memory(process: subprocess.Popen, interval_s: float = 0.1) -> int:
    """Wait for ``process``; return the peak ``tree_memory`` of it and its descendants in bytes, sampled every ``interval_s``."""
    root = psutil.Process(process.pid)
    peak = 0
    while process.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            peak = max(peak, tree_memory([member for member in tree if member.is_running()]))
        except psutil.Error:
            pass
        time.sleep(interval_s)
    return peak


def load_average() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


# Reference run file and submission file of each artefact, by part.
ARTEFACTS = {
    "cnn": {"cnn.keras": "cnn_model.keras", "cnn_history.json": "cnn_history.json"},
    "lstm": {"lstm.keras": "lstm_model.keras", "lstm_history.json": "lstm_history.json"},
}
MODULES = {"cnn": "cnn_cifar.py", "lstm": "lstm_repsol.py"}


def reference_submission(folder: Path, part: str = "lstm") -> Path:
    """Write the reference module, the student notebook and the reference artefacts of ``part``,
    as an Otter export would contain them."""
    import pandas as pd

    reference = paths.build_dir() / "reference"
    entrega = folder / "entrega"
    entrega.mkdir(parents=True)
    shutil.copyfile(paths.REPO_ROOT / "solutions" / MODULES[part], folder / MODULES[part])
    shutil.copyfile(paths.REPO_ROOT / "assignments" / part / f"leccion14_{part}.ipynb", folder / f"leccion14_{part}.ipynb")
    for source, target in ARTEFACTS[part].items():
        shutil.copyfile(reference / source, entrega / target)
    if part == "lstm":
        pd.read_csv(reference / "lstm_forecasts.csv")[["Date", "forecast"]].to_csv(entrega / "lstm_forecasts.csv", index=False)
    return folder


def bench_single(scratch: Path, metrics: dict) -> list[str]:
    lines = [
        "## Una entrega: este autocorrector frente a `otter run`",
        "",
        "Las dos herramientas califican el mismo zip (la referencia) en la misma ejecución, una detrás de otra.",
        "`otter run` vuelve a ejecutar el cuaderno completo, que entrena el modelo; el autocorrector solo llama",
        "a las funciones con las sondas y evalúa los artefactos entregados.",
        f"El autocorrector se mide {GRADER_RUNS} veces: la tabla da la mediana del tiempo y el máximo de la memoria.",
        "`otter run` se mide una vez.",
        "",
        "| Parte | Medida | Este autocorrector | `otter run` | Cociente otter/autocorrector |",
        "|---|---|---:|---:|---:|",
    ]
    notes = []
    for part in ("lstm", "cnn"):
        folder = scratch / part
        submission = reference_submission(folder / "entrega", part)
        archive = Path(shutil.make_archive(str(folder / f"entrega_{part}"), "zip", submission))
        tests = paths.build_dir() / "otter" / part / "autograder" / "tests"
        autograder_zip = sorted((paths.build_dir() / "otter" / part / "autograder").glob("*.zip"))[-1]
        environment = {**os.environ, "PYTHONUTF8": "1"}
        grade_command = [PYTHON, "-m", "leccion14.grading.grade", "--part", part, "--submission", str(archive), "--tests", str(tests)]
        # The warm-up run builds the probe plan, so the measured run costs what every later submission costs.
        measure([*grade_command, "--results", str(folder / "r0.json")], environment)
        load_before = load_average()
        runs = [measure([*grade_command, "--results", str(folder / f"r{run}.json")], environment) for run in range(1, GRADER_RUNS + 1)]
        walls = sorted(run[0] for run in runs)
        grader = (walls[len(walls) // 2], max(run[1] for run in runs), max((run[2] for run in runs), key=abs))
        (folder / "otter").mkdir()
        otter = measure([str(Path(PYTHON).with_name("otter")), "run", "-a", str(autograder_zip), "-o", str(folder / "otter"), str(archive)], environment)
        metrics[part] = {"grader_s": grader[0], "grader_mib": grader[1], "otter_s": otter[0]}
        lines += [
            f"| {part} | Tiempo de reloj | {grader[0]:.1f} s | {otter[0]:.1f} s | {otter[0] / grader[0]:.1f}× |",
            f"| {part} | Memoria máxima (PSS) del árbol de procesos | {grader[1]:.0f} MiB | {otter[1]:.0f} MiB | {otter[1] / grader[1]:.1f}× |",
        ]
        times = ", ".join(f"{run[0]:.1f}" for run in runs)
        notes.append(
            f"{part}: autocorrector {times} s; códigos de salida {grader[2]} (autocorrector) y {otter[2]} (otter); "
            f"carga media (1/5/15 min) antes {load_before}, después {load_average()}."
        )
    return lines + [""] + notes + [""]


def bench_batch(scratch: Path, size: int, metrics: dict) -> list[str]:
    submissions = scratch / "lote"
    submissions.mkdir()
    reference_submission(scratch / "modelo")
    for index in range(size):
        shutil.copytree(scratch / "modelo", submissions / f"entrega_{index:02d}")
    lines = [
        "## Lote",
        "",
        "| Procesos | Entregas | Tiempo de reloj | Por entrega | Tiempo de CPU | Núcleos ocupados de media |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    walls, cores = {}, {}
    for workers in (1, 2):
        out = scratch / f"salida_{workers}"
        command = [PYTHON, "-m", "leccion14.cli", "grade", "--submissions", str(submissions), "--out", str(out), "--part", "lstm", "--workers", str(workers)]
        load_before = load_average()
        # Every process of the batch is waited for by its parent, so its CPU time reaches this one.
        cpu_before = children_cpu_seconds()
        # No memory sampling here: reading smaps costs about 2 ms of CPU per process and sample,
        # some 13% of a core for a 2-worker batch, which would be taken from the workers.
        start = time.perf_counter()
        status = subprocess.run(command, env={**os.environ, "PYTHONUTF8": "1"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        walls[workers] = time.perf_counter() - start
        cpu = children_cpu_seconds() - cpu_before
        cores[workers] = cpu / walls[workers]
        lines.append(f"| {workers} | {size} | {walls[workers]:.0f} s | {walls[workers] / size:.1f} s | {cpu:.0f} s | {cores[workers]:.2f} |")
        lines.append(f"<!-- carga antes: {load_before}; código de salida {status} -->")
    metrics["speedup"] = walls[1] / walls[2]
    metrics["batch_s"] = walls[1] / size
    lines += [
        "",
        f"Aceleración con 2 procesos: {walls[1] / walls[2]:.2f}×. Carga media al terminar: {load_average()}.",
        f"De media, el lote ocupa {cores[1]:.2f} núcleos con 1 proceso y {cores[2]:.2f} con 2, de los {os.cpu_count()} de la máquina.",
        "",
    ]
    return lines


def children_cpu_seconds() -> float:
    """Return the user and system CPU seconds of this process's finished (waited-for) descendants."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bench_cifar(scratch: Path, metrics: dict) -> list[str]:
    code = "import time; from leccion14.cifar import load_cifar10; t = time.perf_counter(); load_cifar10(); print(time.perf_counter() - t)"
    data = scratch / "datos"
    (data / "raw").mkdir(parents=True)
    for item in paths.raw_dir().iterdir():
        (data / "raw" / item.name).symlink_to(item)
    environment = {**os.environ, "LECCION14_DATA_DIR": str(data), "PYTHONUTF8": "1"}
    first = float(subprocess.run([PYTHON, "-c", code], env=environment, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])
    cached = float(subprocess.run([PYTHON, "-c", code], env=environment, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])
    return [
        "## CIFAR-10",
        "",
        "| Lectura | Segundos |",
        "|---|---:|",
        f"| Primera decodificación (sin caché) | {first:.1f} |",
        f"| Desde la caché | {cached:.2f} |",
        "",
    ]


# Targets on a 2-core machine: (label, metric path, comparison, limit).
TARGETS = (
    ("Tiempo por entrega, {part}", ("{part}", "grader_s"), "<=", 30.0, "s"),
    # 700 MB, in MiB like the measurement.
    ("Memoria por entrega, {part}", ("{part}", "grader_mib"), "<=", round(700e6 / 1024**2, 1), "MiB"),
    ("Cociente de tiempo otter/autocorrector, {part}", ("{part}", "otter_ratio"), ">=", 8.0, "×"),
)


def targets_table(metrics: dict) -> list[str]:
    """Return the Markdown table of each target, the measured value and whether it is met."""
    rows = ["## Objetivos", "", "| Objetivo | Medido | Límite | ¿Cumple? |", "|---|---:|---:|---|"]
    for part in ("lstm", "cnn"):
        if part not in metrics:
            continue
        values = {**metrics[part], "otter_ratio": metrics[part]["otter_s"] / metrics[part]["grader_s"]}
        for label, (_, key), comparison, limit, unit in TARGETS:
            value = values[key]
            met = value <= limit if comparison == "<=" else value >= limit
            rows.append(f"| {label.format(part=part)} | {value:.1f} {unit} | {comparison} {limit:g} {unit} | {'sí' if met else 'no'} |")
    if "batch_s" in metrics and "lstm" in metrics:
        ratio = metrics["lstm"]["otter_s"] / metrics["batch_s"]
        rows.append(f"| Cociente otter/autocorrector en lote, lstm (por entrega, 1 proceso) | {ratio:.1f} × | >= 8 × | {'sí' if ratio >= 8 else 'no'} |")
    if "speedup" in metrics:
        met = metrics["speedup"] >= 1.8
        rows.append(f"| Aceleración con 2 procesos | {metrics['speedup']:.2f}× | >= 1.8× | {'sí' if met else 'no'} |")
    return rows + [""]


def main(argv: list[str] | None = None) -> int:
    """Run the three measurements and write the Markdown report."""
    from .spanish_argparse import SpanishArgumentParser

    parser = SpanishArgumentParser(prog="python -m leccion14.bench", description="Mide el autocorrector y escribe BENCHMARKS.md.")
    parser.add_argument("--out", default="BENCHMARKS.md", help="archivo Markdown de resultados")
    parser.add_argument("--batch-size", type=int, default=20, help="entregas del lote (por defecto 20)")
    parser.add_argument("--only", choices=("single", "batch", "cifar"), action="append", help="solo estas mediciones (se puede repetir)")
    arguments = parser.parse_args(argv)
    selected = arguments.only or ["single", "batch", "cifar"]
    needed = [paths.build_dir() / "reference" / "lstm.keras", paths.build_dir() / "otter" / "lstm" / "autograder" / "tests"]
    missing = [str(path) for path in needed if not path.exists()]
    if missing:
        print(f"Error: faltan {', '.join(missing)}. Ejecuta `make reference student` antes de `make bench`.", file=sys.stderr)
        return 2
    lines = [
        "# Mediciones del autocorrector",
        "",
        f"Script: `python -m leccion14.bench` (`make bench`), {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        f"Máquina: {machine()}.",
        "",
    ]
    metrics: dict = {}
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        for name, function in (("single", bench_single), ("batch", bench_batch), ("cifar", bench_cifar)):
            if name not in selected:
                continue
            folder = Path(scratch) / name
            folder.mkdir()
            lines += function(folder, arguments.batch_size, metrics) if name == "batch" else function(folder, metrics)
            print(f"{name}: hecho", file=sys.stderr)
    lines += targets_table(metrics)
    Path(arguments.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"Resultados en {arguments.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
