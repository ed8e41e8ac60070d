"""Calificación por lotes en una máquina: todas las entregas de una carpeta, en paralelo.

Cada entrega se califica en su propio proceso, así que una entrega que mata su proceso o agota la
memoria solo afecta a su fila. Ese proceso es un ``fork`` del servidor del hueco de trabajo
(``batch_worker --serve``), que importó Keras una sola vez; si el servidor muere, para la
siguiente entrega se arranca otro. Cada hueco de trabajo usa un uid propio y
sin cuenta para el sandbox: RLIMIT_NPROC cuenta procesos por uid, y al terminar cada entrega se
matan todos los procesos de ese uid. El lote se puede reanudar: una entrega con ``estado.json``
ya terminó y se omite salvo con ``force``.
"""

import importlib
import json
import logging
import os
import pwd
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from . import batch_output as output
from .atomic import write_bytes_atomic, write_text_atomic
from .batch_output import BatchError
from .cgroups import remove_group
from .duplicates import find_duplicates, write_duplicate_report
from .feedback import feedback_markdown
from .grade import INTERNAL_ERROR, MODULES, default_plan_dir, ensure_plan, has_hidden_tests
from .preload import clean_environment
from .results import failure_results, write_results
from .sandbox import HIDDEN_PATHS_VARIABLE, SANDBOX_UID_VARIABLE, kill_account_processes
from .submission import PARTS

log = logging.getLogger(__name__)

# Worker slots get uids SLOT_UID_BASE + batch pid * MAX_WORKERS + slot, so two batches running
# at once on one machine never share a uid (and never kill each other's sandboxes). With Linux's
# largest pid (2**22) the uids stay below 2**31.
SLOT_UID_BASE = 1_000_000_000
MAX_WORKERS = 64
# Seconds one submission may take in total, sandbox restarts included, before it is stopped.
DEFAULT_TIMEOUT_S = 900.0


@dataclass
class BatchSummary:
    """Outcome of one batch run."""

    part: str
    graded: int
    skipped: int
    counts: dict[str, int]
    duplicates: int
    out_dir: Path


def find_submissions(folder: Path) -> list[Path]:
    """Return the submissions in ``folder``: each subfolder and each ``.zip``, sorted by name."""
    folder = Path(folder)
    if not folder.exists():
        raise BatchError(f"No existe la carpeta de entregas {folder}. Indica la carpeta con SUBMISSIONS=<carpeta> en make o --submissions <carpeta>.")
    if not folder.is_dir():
        raise BatchError(f"{folder} no es una carpeta. La carpeta de entregas (SUBMISSIONS en make, --submissions) debe tener una subcarpeta o un .zip por entrega.")
    found = [
        path
        for path in sorted(folder.iterdir())
        if not path.name.startswith(".") and (path.is_dir() or (path.is_file() and path.suffix.lower() == ".zip"))
    ]
    if not found:
        raise BatchError(f"La carpeta de entregas {folder} está vacía: debe contener una subcarpeta o un .zip por entrega.")
    return found


def _contains_module(submission: Path, module_file: str) -> bool:
    if submission.is_dir():
        return any(path.name == module_file for path in submission.rglob(module_file))
    try:
        with zipfile.ZipFile(submission) as archive:
            return any(Path(name).name == module_file for name in archive.namelist())
    except zipfile.BadZipFile:
        return False


def detect_part(submissions: list[Path]) -> str:
    """Return the part whose module file the submissions contain; BatchError if none or both parts appear."""
    counts = {part: sum(_contains_module(path, files.module) for path in submissions) for part, files in PARTS.items()}
    found = [part for part, count in counts.items() if count]
    if not found:
        raise BatchError(
            "Ninguna entrega contiene cnn_cifar.py ni lstm_repsol.py, así que no se sabe qué parte calificar. "
            "Indica la parte con --part cnn o --part lstm (PART=cnn en make)."
        )
    if len(found) > 1:
        mix = " y ".join(f"{counts[part]} de {part}" for part in found)
        raise BatchError(
            f"La carpeta mezcla entregas de las dos partes ({mix}). Separa las entregas en una carpeta por parte, "
            "o indica la parte con --part cnn o --part lstm (PART=cnn en make): las de la otra parte sacarán 0."
        )
    return found[0]


def default_tests_dir(part: str) -> Path:
    """Return Otter Assign's hidden-test folder of ``part`` (build/otter/<part>/autograder/tests)."""
    from .. import paths

    return paths.build_dir() / "otter" / part / "autograder" / "tests"


def _slot_uids(count: int) -> list[int]:
    """Return ``count`` uids for this batch's worker slots, skipping any uid that has an account."""
    first = SLOT_UID_BASE + os.getpid() * MAX_WORKERS
    uids = []
    for uid in range(first, first + MAX_WORKERS):
        try:
            pwd.getpwuid(uid)
        except KeyError:
            uids.append(uid)
        if len(uids) == count:
            return uids
    raise BatchError(f"No quedan uids libres entre {first} y {first + MAX_WORKERS - 1} para los procesos del lote; usa menos --workers.")


def _plan_with_timeouts(plan_dir: Path, probe_seconds: float, destination: Path) -> Path:
    """Copy ``plan_dir`` with every probe's timeout set to ``probe_seconds`` (tests use short ones)."""
    shutil.copytree(plan_dir, destination)
    plan = json.loads((destination / "plan.json").read_text(encoding="utf-8"))
    for probe in plan["probes"]:
        probe["timeout_s"] = probe_seconds
    (destination / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    return destination


class _Batch:
    """Shared state of one run: the worker slots, the running processes and the output folder."""

    def __init__(self, part, tests_dir, plan_dir, out_dir, submissions_dir, workers, timeout_s, sandbox_seconds):
        self.part, self.tests_dir, self.plan_dir, self.out_dir = part, tests_dir, plan_dir, out_dir
        self.timeout_s, self.sandbox_seconds = timeout_s, sandbox_seconds
        self.slots: queue.Queue = queue.Queue()
        for uid in _slot_uids(workers):
            self.slots.put(uid)
        self.threads = max(1, (os.cpu_count() or 1) // workers)
        self.servers: dict[int, _Server] = {}
        self.lock = threading.Lock()
        self.stopping = False
        self.hidden = os.pathsep.join(str(Path(path).resolve()) for path in (out_dir, submissions_dir, tests_dir, plan_dir))

    def _server_command(self) -> list[str]:
        command = [
            sys.executable, "-m", "leccion14.grading.batch_worker", "--serve",
            "--part", self.part, "--tests", str(self.tests_dir), "--plan", str(self.plan_dir),
        ]
        if self.sandbox_seconds is not None:
            command += ["--sandbox-seconds", str(self.sandbox_seconds)]
        return command

    def _server(self, uid: int) -> "_Server":
        """Return the running server of slot ``uid``, starting a new one if it is missing or dead."""
        server = self.servers.get(uid)
        if server is not None and not server.alive():
            # Reaps the dead server and closes its log file.
            server.close()
        if server is None or not server.alive():
            environment = {
                # No tokens or keys: every sandbox is a fork of the server and inherits its memory.
                **clean_environment(dict(os.environ)),
                SANDBOX_UID_VARIABLE: str(uid),
                HIDDEN_PATHS_VARIABLE: self.hidden,
                "PYTHONUTF8": "1",
                "TF_CPP_MIN_LOG_LEVEL": "2",
                # Each worker gets its share of the cores, so parallel workers do not oversubscribe them.
                **dict.fromkeys(("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"), str(self.threads)),
            }
            server = _Server(self._server_command(), environment)
            self.servers[uid] = server
        return server

    def grade(self, submission: Path) -> dict:
        """Grade one submission in a worker process and write its four output files.

        The worker writes into a private temporary folder, and the files in ``OUT`` are replaced
        only once it has finished, so an interrupted regrade (``force``) keeps the previous grade.
        """
        name = submission.name
        folder = output.submission_dir(self.out_dir, name)
        folder.mkdir(parents=True, exist_ok=True)

        uid = self.slots.get()
        # A private temporary folder per submission, reachable (not listable) by the sandbox uid.
        scratch = Path(tempfile.mkdtemp(prefix="lote-"))
        scratch.chmod(0o711)
        try:
            try:
                start = time.perf_counter()
                returncode, timed_out = self._run_worker(submission, scratch, uid)
                seconds = time.perf_counter() - start
            finally:
                self.slots.put(uid)
            if self.stopping:
                raise KeyboardInterrupt
            report = _read_report(scratch / "informe.json")
            return self._finish(name, folder, scratch, returncode, timed_out, seconds, report)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _run_worker(self, submission: Path, scratch: Path, uid: int) -> tuple[int | None, bool]:
        """Grade ``submission`` in a process forked by the slot's server; return (exit status, timed out)."""
        request = {
            "submission": str(submission), "results": str(scratch / "results.json"), "report": str(scratch / "informe.json"),
            "scratch": str(scratch), "log": str(scratch / "registro.txt"),
        }
        server = self._server(uid)
        try:
            returncode, timed_out = server.grade(request, self.timeout_s)
        finally:
            # The sandbox processes have their own session; they all run with this slot's uid.
            if os.geteuid() == 0:
                kill_account_processes(uid)
                # A killed submission process could not remove its sandbox's cgroup.
                remove_group(str(uid))
        if returncode is None and not self.stopping:
            log.warning("El servidor del hueco %s terminó o no respondió con la entrega %s; se arrancará otro.", uid, submission.name)
            with open(scratch / "registro.txt", "a", encoding="utf-8") as log_file:
                log_file.write(f"\nEl servidor de calificación terminó inesperadamente. Su registro:\n{server.log_tail()}\n")
        return returncode, timed_out

    def _finish(self, name: str, folder: Path, scratch: Path, returncode: int, timed_out: bool, seconds: float, report: dict | None) -> dict:
        """Write the submission's files in ``folder`` from what its worker left in ``scratch``; return its state."""
        results_path = scratch / "results.json"
        if timed_out:
            message = f"la calificación superó el tiempo máximo de {self.timeout_s:g} s y se detuvo"
            report = {"status": "timeout", "message": message, "fingerprints": (report or {}).get("fingerprints", {})}
            write_results(results_path, failure_results(f"La calificación superó el tiempo máximo de {self.timeout_s:g} s."))
        elif report is None or not results_path.is_file():
            report = {"status": "error", "message": f"el proceso de calificación terminó con el código {returncode}", "fingerprints": {}}
            if not results_path.is_file():
                write_results(results_path, failure_results(INTERNAL_ERROR))
        results_text = results_path.read_text(encoding="utf-8")
        results = json.loads(results_text)
        log_path = scratch / "registro.txt"
        log_bytes = log_path.read_bytes() if log_path.is_file() else b""
        state = {
            "status": report["status"],
            "message": report.get("message", ""),
            "seconds": round(seconds, 2),
            "score": results.get("score", 0),
            "fingerprints": report.get("fingerprints", {}),
            "probes": report.get("probes", {}),
        }
        # Under the lock: another thread may be reading the finished submissions for the summary.
        # estado.json goes last, because it marks the submission as finished.
        with self.lock:
            write_text_atomic(folder / "results.json", results_text)
            write_bytes_atomic(folder / "registro.txt", log_bytes)
            write_text_atomic(folder / "retroalimentacion.md", feedback_markdown(name, report["status"], results))
            write_text_atomic(folder / "estado.json", json.dumps(state, ensure_ascii=False, indent=1))
        return state

    def stop_all(self) -> None:
        """Kill every server, the submission it is grading and its sandbox processes (Ctrl+C)."""
        self.stopping = True
        for server in list(self.servers.values()):
            server.kill()

    def close(self) -> None:
        """Let every server finish: it exits when its requests end."""
        # All at once, so the servers shut down in parallel.
        for server in self.servers.values():
            server.end_requests()
        for server in self.servers.values():
            server.close()


_TIMED_OUT = object()
# Seconds a server has to report a killed submission's exit before it is replaced.
REAP_SECONDS = 60


class _Server:
    """One slot's ``batch_worker --serve`` process: a request per submission, each graded in a forked process."""

    def __init__(self, command: list[str], environment: dict):
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            command, env=environment, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
            start_new_session=True, text=True, encoding="utf-8",
        )
        self.replies: queue.Queue = queue.Queue()
        threading.Thread(target=self._read_replies, daemon=True).start()
        self.child: int | None = None

    def _read_replies(self) -> None:
        for line in self.process.stdout:
            self.replies.put(json.loads(line))
        self.replies.put(None)

    def alive(self) -> bool:
        return self.process.poll() is None

    def grade(self, request: dict, timeout_s: float) -> tuple[int | None, bool]:
        """Send ``request``; return (exit status of the submission's process or None if the server died, timed out)."""
        deadline = time.monotonic() + timeout_s
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
        except OSError:
            return None, False
        started = self._reply(deadline)
        if started is None or started is _TIMED_OUT:
            # The server died, or hangs before forking: a new one grades the next submission.
            self.kill()
            return None, started is _TIMED_OUT
        self.child = started["pid"]
        try:
            finished = self._reply(deadline)
            if finished is None:
                # The server died; its submission process must not go on writing this row.
                _kill_group_id(self.child)
                return None, False
            if finished is not _TIMED_OUT:
                return finished["returncode"], False
            _kill_group_id(self.child)
            # The server reaps the killed process and replies at once.
            finished = self._reply(time.monotonic() + REAP_SECONDS)
            if not isinstance(finished, dict):
                self.kill()
                return None, True
            return finished["returncode"], True
        finally:
            self.child = None

    def _reply(self, deadline: float):
        """Return the next reply, None if the server ended, or _TIMED_OUT at ``deadline``."""
        try:
            return self.replies.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            return _TIMED_OUT

    def log_tail(self) -> str:
        self.log.seek(0, os.SEEK_END)
        self.log.seek(max(0, self.log.tell() - 4000))
        return self.log.read().decode("utf-8", errors="replace")

    def kill(self) -> None:
        if self.child is not None:
            _kill_group_id(self.child)
        _kill_group_id(self.process.pid)
        self.process.wait()

    def end_requests(self) -> None:
        """Close the server's standard input, which ends its request loop."""
        try:
            self.process.stdin.close()
        except OSError:
            pass

    def close(self) -> None:
        self.end_requests()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.kill()
        self.log.close()


def _kill_group_id(group: int) -> None:
    try:
        os.killpg(group, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _read_report(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def write_grades_table(out_dir: Path) -> tuple[dict, dict]:
    """Rewrite grades.csv from the finished submissions; return their states and results by name."""
    states = output.finished_states(out_dir)
    all_results = {name: output.read_results(out_dir, name) for name in states}
    output.write_grades(out_dir, states, all_results)
    return states, all_results


def write_batch_summary(out_dir: Path) -> int:
    """Rewrite grades.csv, summary.png and duplicados.csv from the finished submissions.

    Returns the number of duplicate groups.
    """
    # Imported here: matplotlib takes about 0.25 s (python -X importtime, 2-core CI machine), and
    # run_batch loads it in the background while the workers grade.
    from .summary_plot import write_summary_plot

    states, all_results = write_grades_table(out_dir)
    maxima = output.question_maxima(all_results)
    totals = [results.get("score", 0) for results in all_results.values()]
    pass_rates = {}
    for question, maximum in maxima.items():
        passed = 0
        for results in all_results.values():
            scores = {test["name"]: test["score"] for test in results.get("tests", [])}
            passed += scores.get(question, 0) >= maximum
        pass_rates[question] = passed / len(all_results) if all_results else 0.0
    write_summary_plot(totals, sum(maxima.values()), pass_rates, Path(out_dir) / output.SUMMARY_PLOT)
    groups = find_duplicates({name: state.get("fingerprints", {}) for name, state in states.items()})
    write_duplicate_report(groups, Path(out_dir) / output.DUPLICATES)
    return len(groups)


def run_batch(
    submissions_dir: Path,
    out_dir: Path,
    part: str | None = None,
    tests_dir: Path | None = None,
    workers: int | None = None,
    force: bool = False,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    probe_seconds: float | None = None,
    sandbox_seconds: float | None = None,
    plan_dir: Path | None = None,
    progress: bool = True,
) -> BatchSummary:
    """Grade every submission of ``submissions_dir`` into ``out_dir``; see the module docstring.

    ``workers`` defaults to one per core. ``probe_seconds`` and ``sandbox_seconds`` shorten the
    per-probe and per-sandbox-run limits (tests use them); None keeps the grader's defaults.
    """
    submissions = find_submissions(submissions_dir)
    part = part or detect_part(submissions)
    if part not in MODULES:
        raise BatchError(f"La parte '{part}' no existe; usa cnn o lstm.")
    tests_dir = Path(tests_dir or default_tests_dir(part))
    if not any(tests_dir.glob("*.py")):
        raise BatchError(f"No hay pruebas de Otter en {tests_dir}. Ejecuta `make student`, que las genera, o indica --tests.")
    if not has_hidden_tests(tests_dir, part):
        raise BatchError(
            f"{tests_dir} no tiene pruebas ocultas de la parte {part}: parece la carpeta del estudiante "
            f"(assignments/{part}/tests), y las notas no contarían las ocultas. Usa build/otter/{part}/autograder/tests, "
            "que genera `make student`, o no indiques --tests."
        )
    workers = workers or os.cpu_count() or 1
    if workers > MAX_WORKERS:
        raise BatchError(f"--workers {workers} supera el máximo de {MAX_WORKERS} procesos en paralelo; indica {MAX_WORKERS} o menos.")
    out_dir = Path(out_dir)
    output.prepare_output(out_dir, part, output.tests_digest(tests_dir), force)

    states = output.finished_states(out_dir)
    pending = [path for path in submissions if force or path.name not in states]
    skipped = len(submissions) - len(pending)
    if skipped:
        print(f"Se omiten {skipped} entregas ya calificadas en {out_dir} (usa --force para recalificarlas).", file=sys.stderr)

    # matplotlib, needed for summary.png at the end, is loaded while the workers grade, not after them.
    threading.Thread(target=importlib.import_module, args=(f"{__package__}.summary_plot",), daemon=True).start()
    with tempfile.TemporaryDirectory(prefix="lote-plan-") as plan_scratch:
        plan = ensure_plan(part, Path(plan_dir or default_plan_dir(part)))
        if probe_seconds is not None:
            plan = _plan_with_timeouts(plan, probe_seconds, Path(plan_scratch) / "plan")
        batch = _Batch(part, tests_dir, plan, out_dir, Path(submissions_dir), workers, timeout_s, sandbox_seconds)
        counts = dict.fromkeys(output.STATUSES, 0)
        bar = tqdm(total=len(pending), unit="entrega", desc="Calificando", disable=not progress, file=sys.stderr)
        executor = ThreadPoolExecutor(max_workers=workers)
        try:
            futures = {executor.submit(batch.grade, path): path for path in pending}
            for future in as_completed(futures):
                state = future.result()
                counts[state["status"]] += 1
                # After each submission only grades.csv is rewritten. Redrawing summary.png each time took
                # about 0.3 s of CPU from the workers (cProfile, 2-core CI machine), so it is drawn at the end.
                with batch.lock:
                    write_grades_table(out_dir)
                bar.set_postfix_str(f"{futures[future].name}: {state['status']}")
                bar.update()
        except BaseException:
            batch.stop_all()
            executor.shutdown(wait=True, cancel_futures=True)
            # An interrupted run still leaves the plot and the duplicate report of what it finished.
            try:
                write_batch_summary(out_dir)
            except Exception:  # noqa: BLE001 - the interruption is the error to report
                log.exception("No se pudo escribir el resumen del lote interrumpido en %s", out_dir)
            raise
        finally:
            bar.close()
        executor.shutdown(wait=True)
        batch.close()

    duplicates = write_batch_summary(out_dir)
    return BatchSummary(part, len(pending), skipped, counts, duplicates, out_dir)
