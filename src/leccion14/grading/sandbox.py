"""Ejecución de un comando no confiable: otro usuario, límites de recursos, sin red ni secretos."""

import json
import logging
import os
import pwd
import select
import shutil
import signal
import site
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from .backend import GRADING_BACKEND, JAX_PLATFORMS
from .cgroups import create_group

# Unprivileged account that runs student code when the grader runs as root (Gradescope, Docker).
SANDBOX_USER = "nobody"
# A uid with no account, set by batch grading once per worker slot. RLIMIT_NPROC counts processes
# per real uid, so a fork bomb in one slot cannot use up the process limit of other slots. Every
# process left with that uid after a run belongs to the sandbox and is killed.
SANDBOX_UID_VARIABLE = "LECCION14_SANDBOX_UID"
# Extra folders (os.pathsep-separated) that the sandbox must not see, such as the batch's output.
HIDDEN_PATHS_VARIABLE = "LECCION14_SANDBOX_HIDE"
# Bytes of standard output and error kept per run: the tail only, whatever the student prints.
OUTPUT_TAIL_BYTES = 20_000
log = logging.getLogger(__name__)
# Variables copied from the grader's environment; everything else (tokens, keys, proxies) is dropped.
# The thread counts let batch grading split the cores between its workers.
_KEPT_VARIABLES = ("PATH", "LANG", "LC_ALL", "TZ", "OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits of one untrusted process.

    Keras on JAX maps about 1.9 GB of address space while training a small LSTM, against about
    560 MiB resident, so ``memory_bytes`` (RLIMIT_AS) must stay well above that. ``processes``
    counts threads too, because Linux applies RLIMIT_NPROC to threads, and JAX starts a thread
    pool per core.
    """

    cpu_seconds: int = 120
    memory_bytes: int = 4 * 1024**3
    processes: int = 512
    file_bytes: int = 256 * 1024**2
    wall_seconds: float = 180.0


@dataclass
class SandboxResult:
    """Outcome of one sandboxed command."""

    returncode: int | None
    timed_out: bool
    wall_seconds: float
    stdout: str
    stderr: str
    isolation: list[str] = field(default_factory=list)
    # Bytes written to standard output and error; only the last OUTPUT_TAIL_BYTES of each are kept.
    output_bytes: int = 0
    # Whether the command ran as a fork of the grader (``run_python_sandboxed``) instead of a new interpreter.
    forked: bool = False


def _sandbox_account(uid: int | None = None) -> tuple[int, int] | None:
    """Return (uid, gid) of the sandbox when running as root, else None (already unprivileged).

    The uid is ``uid`` when given, else SANDBOX_UID_VARIABLE when set (batch grading), else
    SANDBOX_USER's.
    """
    if os.geteuid() != 0:
        return None
    if uid is not None:
        return uid, uid
    dedicated = os.environ.get(SANDBOX_UID_VARIABLE)
    if dedicated:
        try:
            uid = int(dedicated)
        except ValueError:
            raise RuntimeError(f"{SANDBOX_UID_VARIABLE}='{dedicated}' no es un uid; indica un entero positivo sin cuenta en /etc/passwd.") from None
        if uid <= 0:
            raise RuntimeError(f"{SANDBOX_UID_VARIABLE}={uid} no es válido; indica un uid positivo sin cuenta en /etc/passwd.")
        return uid, uid
    account = pwd.getpwnam(SANDBOX_USER)
    return account.pw_uid, account.pw_gid


def _is_dedicated_uid(uid: int) -> bool:
    """Return whether ``uid`` has no account, so all its processes belong to sandboxes."""
    try:
        pwd.getpwuid(uid)
    except KeyError:
        return True
    return False


def hidden_paths() -> list[Path]:
    """Return the existing folders that sandboxes must not read: hidden tests, solutions, results.

    The defaults are the repository's build/ (Otter's hidden tests, reference models, plans),
    dist/ (the Gradescope zips, which contain the hidden tests), solutions/, tests/ and .git/;
    HIDDEN_PATHS_VARIABLE adds more. Missing folders are skipped.
    """
    from .. import paths

    candidates = [paths.build_dir(), *(paths.REPO_ROOT / name for name in ("dist", "solutions", "tests", ".git"))]
    extra = os.environ.get(HIDDEN_PATHS_VARIABLE, "")
    candidates += [Path(item) for item in extra.split(os.pathsep) if item]
    existing = sorted({path.resolve() for path in candidates if path.is_dir()})
    # A folder inside another hidden one is already covered, and no longer exists once it is.
    return [path for path in existing if not any(path != other and path.is_relative_to(other) for other in existing)]


def _can_unshare_network() -> bool:
    return os.geteuid() == 0 and sys.platform == "linux"


def launch_settings(limits: SandboxLimits, account: tuple[int, int] | None, isolate: bool, hidden: list[Path], procs_files: list[Path]) -> dict:
    """Return the settings that ``sandbox_launch`` applies before it runs the untrusted command.

    A new network namespace has only a loopback device, which is down. A new mount namespace
    lets the child cover the ``hidden`` folders without affecting the host.
    """
    settings = {
        "procs_files": [str(path) for path in procs_files],
        "limits": {
            "RLIMIT_CPU": limits.cpu_seconds,
            "RLIMIT_AS": limits.memory_bytes,
            "RLIMIT_FSIZE": limits.file_bytes,
            "RLIMIT_NPROC": limits.processes,
            "RLIMIT_CORE": 0,
        },
        "isolate": isolate,
        "hidden": [str(path) for path in hidden],
        "account": list(account) if account is not None else None,
    }
    return settings


def _readable_by_others(path: Path) -> bool:
    """Return whether users other than the owner can reach ``path`` (every parent has o+x)."""
    path = Path(path).resolve()
    for folder in path.parents:
        if not folder.stat().st_mode & 0o001:
            return False
    return bool(path.stat().st_mode & 0o004)


def python_command(module: str, arguments: list[str]) -> list[str]:
    """Return the argv that runs ``python -m module arguments`` with the grader's packages.

    The grader's own interpreter is used when the sandbox account can read it. A Python built
    under a private home (pyenv in /root) cannot be, so a system ``pythonX.Y`` of the same minor
    version runs instead, with the grader's site-packages added by ``site.addsitedir``.
    """
    # -I ignores PYTHON* variables and the user site and keeps the cwd out of sys.path.
    if _sandbox_account() is None or _readable_by_others(Path(sys.base_prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "os.py"):
        return [sys.executable, "-I", "-m", module, *arguments]

    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    system_python = Path(f"/usr/bin/python{version}")
    if not system_python.exists():
        raise RuntimeError(
            f"El usuario {SANDBOX_USER} no puede ejecutar {sys.executable} y no existe {system_python}. "
            f"Instala el autocorrector con un Python {version} fuera de carpetas privadas."
        )
    site_packages = [path for path in site.getsitepackages() if Path(path).is_dir()]
    # NOTE: the system interpreter's patch version may differ from the grader's; extension
    # modules share the ABI within a minor version, which is what makes this work.
    bootstrap = (
        "import runpy, site, sys\n"
        f"for folder in {site_packages!r}: site.addsitedir(folder)\n"
        f"sys.argv = [{module!r}, *sys.argv[1:]]\n"
        f"runpy.run_module({module!r}, run_name='__main__', alter_sys=True)\n"
    )
    # -S skips the system site-packages, so only the grader's packages are importable.
    return [str(system_python), "-I", "-S", "-c", bootstrap, *arguments]


def prepare_workdir(workdir: Path, uid: int | None = None) -> None:
    """Give the sandbox account (or ``uid``) ownership of ``workdir`` so the untrusted process can write there."""
    account = _sandbox_account(uid)
    workdir.chmod(0o700)
    if account is None:
        return
    for path in [workdir, *workdir.rglob("*")]:
        os.chown(path, *account, follow_symlinks=False)


class _TailReader(threading.Thread):
    """Drain a pipe, keeping only its last OUTPUT_TAIL_BYTES bytes and counting the rest."""

    def __init__(self, stream):
        super().__init__(daemon=True)
        self.stream = stream
        self.tail = bytearray()
        self.total_bytes = 0

    def run(self) -> None:
        with self.stream:
            while chunk := self.stream.read1(65536):
                self.total_bytes += len(chunk)
                self.tail += chunk
                del self.tail[:-OUTPUT_TAIL_BYTES]

    def text(self) -> str:
        return bytes(self.tail).decode("utf-8", errors="replace")


def _account_processes(uid: int) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["uids"]):
        uids = process.info["uids"]
        if uids is None or uids.real != uid:
            continue
        try:
            # A zombie is already dead; it stays listed until its parent reaps it.
            if process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except psutil.Error:
            pass
    return found


def _kill_all_as(uid: int) -> None:
    """Send SIGKILL to every process of ``uid`` with kill(-1) run as that uid.

    Linux delivers kill(-1) to all of the caller's processes under the task-list lock, and a
    fork that races with it is cancelled, so even a fork bomb is killed in one call.
    """
    kill = shutil.which("kill")
    if kill is None:
        return
    subprocess.run([kill, "-s", "KILL", "--", "-1"], user=uid, group=uid, extra_groups=[], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def kill_account_processes(uid: int, timeout_s: float = 30.0) -> int:
    """Kill every process whose real uid is ``uid``; return how many were found.

    kill(-1) as that uid does the work. The loop after it stops, then kills, whatever is still
    listed (on machines without a ``kill`` program), and waits for killed processes to finish
    exiting: hundreds of forked TensorFlow processes take seconds to free their memory.
    """
    found = len(_account_processes(uid))
    if found:
        _kill_all_as(uid)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        processes = _account_processes(uid)
        if not processes:
            return found
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            for process in processes:
                try:
                    process.send_signal(sig)
                except psutil.Error:
                    pass
        time.sleep(0.2)
    # The processes have been sent SIGKILL and cannot run student code any more, so grading goes on.
    log.warning("Quedan %s procesos del uid %s %g s después de SIGKILL", len(_account_processes(uid)), uid, timeout_s)
    return found


def _end_leftovers(process: subprocess.Popen, account: tuple[int, int] | None) -> None:
    """Kill what the sandbox left running: its process group, and its uid when dedicated."""
    try:
        # The child called setsid(), so its pid is also its process group id.
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if process.returncode is None:
        # A child stopped before its setsid() has no group of its own yet.
        try:
            os.kill(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    if account is not None and _is_dedicated_uid(account[0]):
        kill_account_processes(account[0])
    # NOTE: with the shared SANDBOX_USER account, a process that left the group with setsid()
    # survives the run. Batch grading sets a dedicated uid, so there none can.


def _prepare(workdir: Path, limits: SandboxLimits, uid: int | None) -> tuple[dict, dict, list[str], tuple[int, int] | None, object]:
    """Return (launch settings, environment, isolation gaps, account, cgroup or None) of one run."""
    account = _sandbox_account(uid)
    isolate_network = _can_unshare_network()
    # A folder that contains the working folder or the interpreter cannot be covered.
    needed = [workdir.resolve(), Path(sys.prefix).resolve(), Path(__file__).resolve()]
    hidden = [path for path in (hidden_paths() if isolate_network else []) if not any(item.is_relative_to(path) for item in needed)]
    isolation = []
    if account is None:
        isolation.append("sin cambio de usuario: el autocorrector no se ejecuta como root")
    if not isolate_network:
        # NOTE: without root there is no network or mount namespace, so the student code keeps
        # the network and can read every file that other users can read.
        isolation.append("sin aislamiento de red ni de archivos: hacen falta permisos de root para unshare")

    # A cgroup per dedicated uid (batch slots): fair CPU share and a process cap per sandbox.
    group = None
    if account is not None and _is_dedicated_uid(account[0]):
        group = create_group(str(account[0]), limits.processes)
        if group is None:
            isolation.append("sin grupo de control (cgroup): un sandbox con muchos procesos puede quitar CPU a otro")

    environment = sandbox_environment(workdir)
    settings = launch_settings(limits, account, isolate_network, hidden, group.procs_files() if group else [])
    return settings, environment, isolation, account, group


def sandbox_environment(workdir: Path) -> dict:
    """Return the environment of a sandboxed run in ``workdir``: _KEPT_VARIABLES and the grader's Keras settings."""
    environment = {name: os.environ[name] for name in _KEPT_VARIABLES if name in os.environ}
    environment.update(
        HOME=str(workdir),
        PYTHONUTF8="1",
        PYTHONDONTWRITEBYTECODE="1",
        TF_CPP_MIN_LOG_LEVEL="3",
        KERAS_BACKEND=GRADING_BACKEND,
        JAX_PLATFORMS=JAX_PLATFORMS,
        KERAS_HOME=str(workdir / ".keras"),
        MPLCONFIGDIR=str(workdir / ".matplotlib"),
        MPLBACKEND="Agg",
    )
    return environment


def run_sandboxed(argv: list[str], workdir: Path, limits: SandboxLimits = SandboxLimits(), uid: int | None = None) -> SandboxResult:
    """Run ``argv`` in ``workdir`` as an unprivileged user, without network, within ``limits``.

    The environment contains only PATH, the locale, HOME=workdir, the grader's Keras backend and
    settings without secrets (thread counts, quiet logs, UTF-8). The folders of ``hidden_paths()``
    are covered by empty ones. When the command ends or times out, its process group is killed,
    and with a dedicated uid every process of that uid.
    ``uid`` overrides the account of ``_sandbox_account``; it must be the one ``prepare_workdir`` used.
    ``isolation`` lists the protections that could not be applied on this machine (not root,
    no namespaces).
    """
    workdir = Path(workdir)
    settings, environment, isolation, account, group = _prepare(workdir, limits, uid)
    # The launcher confines itself and then execs argv, so no Python runs between fork and exec here.
    launcher = [sys.executable, "-I", "-m", "leccion14.grading.sandbox_launch", json.dumps(settings)]
    start = time.perf_counter()
    process = subprocess.Popen(
        [*launcher, *argv],
        cwd=workdir,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    return _supervise(process, limits, account, group, isolation, start)


def run_python_sandboxed(module: str, arguments: list[str], workdir: Path, limits: SandboxLimits = SandboxLimits(), uid: int | None = None) -> SandboxResult:
    """Run ``python -m module arguments`` like ``run_sandboxed``, as a fork of this process when that is safe.

    The fork inherits the modules this process already imported (``preload``), which saves a
    Keras import per run. It gets the same confinement, environment and limits as the exec path.
    """
    from .preload import fork_is_safe

    workdir = Path(workdir)
    if not fork_is_safe():
        return run_sandboxed(python_command(module, arguments), workdir, limits, uid)
    settings, environment, isolation, account, group = _prepare(workdir, limits, uid)
    reveal = interpreter_folders_to_reveal(workdir) if settings["isolate"] and account is not None else []
    if reveal is None:
        if group is not None:
            group.remove()
        return run_sandboxed(python_command(module, arguments), workdir, limits, uid)
    settings["reveal"] = [str(folder) for folder in reveal]
    # The tmpfs over a private parent already hides everything in it outside the revealed
    # folders, and a hidden folder there no longer exists to be covered.
    settings["hidden"] = [
        hidden for hidden in settings["hidden"]
        if not any(Path(hidden).is_relative_to(folder.parent) and not Path(hidden).is_relative_to(folder) for folder in reveal)
    ]
    start = time.perf_counter()
    process = _ForkedPython(module, arguments, workdir, environment, settings)
    result = _supervise(process, limits, account, group, isolation, start)
    result.forked = True
    return result


def interpreter_folders_to_reveal(workdir: Path) -> list[Path] | None:
    """Return the folders a forked sandbox must see inside private parents, or None if it cannot.

    A forked sandbox keeps importing from the grader's interpreter and packages. Where one of
    them sits in a folder that others cannot enter (pyenv under a 0700 /root), the launcher covers
    that folder with an empty tmpfs and binds back only the child folder that leads to them. That
    is impossible when the working folder is inside the covered folder too.
    """
    reveal = set()
    for target in (Path(sys.base_prefix), Path(sys.prefix), Path(__file__).parents[2]):
        target = target.resolve()
        for parent in reversed(target.parents):
            if parent != target and not parent.stat().st_mode & 0o001:
                reveal.add(parent / target.relative_to(parent).parts[0])
                break
    for folder in reveal:
        if workdir.resolve().is_relative_to(folder.parent):
            return None
    return sorted(reveal)


class _ForkedPython:
    """A forked child that confines itself (``sandbox_launch.confine``) and runs a module as ``__main__``.

    Offers the part of ``subprocess.Popen`` that ``_supervise`` uses: pid, stdout, stderr, wait, returncode.
    """

    def __init__(self, module: str, arguments: list[str], workdir: Path, environment: dict, settings: dict):
        self.returncode = None
        from .preload import fork_with_frozen_heap

        stdout_read, stdout_write = os.pipe()
        stderr_read, stderr_write = os.pipe()
        try:
            self.pid = fork_with_frozen_heap()
        except OSError:
            for descriptor in (stdout_read, stdout_write, stderr_read, stderr_write):
                os.close(descriptor)
            raise
        if self.pid == 0:
            _run_forked_child(module, arguments, workdir, environment, settings, stdout_write, stderr_write)
        os.close(stdout_write)
        os.close(stderr_write)
        self.stdout = open(stdout_read, "rb")
        self.stderr = open(stderr_read, "rb")
        # fork_is_safe() checked that pidfd_open works here.
        self._pidfd = os.pidfd_open(self.pid)

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            ready, _, _ = select.select([self._pidfd], [], [], timeout)
            if not ready:
                raise subprocess.TimeoutExpired(f"fork de {self.pid}", timeout)
            _, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
            os.close(self._pidfd)
        return self.returncode


_PR_SET_DUMPABLE = 4


def _run_forked_child(module: str, arguments: list[str], workdir: Path, environment: dict, settings: dict, stdout: int, stderr: int) -> None:
    """Body of the forked child; it never returns."""
    # Bound now: the student's code may replace os._exit.
    exit_now = os._exit
    import runpy
    import tempfile
    import traceback

    from .preload import redirect_standard_streams, set_process_option
    from .sandbox_launch import SETUP_FAILED, confine

    try:
        # The grader's files, pipes and sockets stay out of the sandbox's reach.
        redirect_standard_streams(os.open(os.devnull, os.O_RDONLY), stdout, stderr, errors="backslashreplace")
        logging.root.handlers.clear()
        # Like -I: neither '' nor the grader's current or script folder stays on the module path.
        script = Path(sys.argv[0]).resolve().parent if sys.argv and sys.argv[0] not in ("", "-c") else None
        grader_folders = {Path.cwd(), script}
        sys.path[:] = [entry for entry in sys.path if entry and Path(entry).resolve() not in grader_folders]
        os.chdir(workdir)
        os.environ.clear()
        os.environ.update(environment)
        # State computed from the grader's environment: tempfile cached the grader's TMPDIR.
        tempfile.tempdir = None
        confine(settings)
        # setuid() made this process non-dumpable, which hides /proc/self from itself. execve in
        # the other path resets that flag, so here it is set back to give both paths the same /proc.
        set_process_option(_PR_SET_DUMPABLE, 1)
    except BaseException as error:  # noqa: BLE001 - the untrusted code must not start half-confined
        os.write(2, f"sandbox_launch: no se pudo preparar el sandbox: {error}\n".encode())
        exit_now(SETUP_FAILED)
    try:
        # The grader may turn SIGTERM into an exception; the sandbox gets the default again.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        sys.argv = [module, *arguments]
        # A fresh copy runs as __main__; the grader's own copy stays untouched (and runpy quiet).
        sys.modules.pop(module, None)
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as exit_:
        # Like the interpreter: None is success, an int is the status, anything else is printed
        # and means failure.
        code = 1
        if exit_.code is None:
            code = 0
        elif isinstance(exit_.code, int):
            code = exit_.code & 0xFF
        else:
            print(exit_.code, file=sys.stderr)
    except BaseException:  # noqa: BLE001 - reported like an uncaught exception of python -m
        traceback.print_exc()
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:  # noqa: BLE001 - the untrusted code may have closed it
                pass
        exit_now(code)


def _supervise(process, limits: SandboxLimits, account: tuple[int, int] | None, group, isolation: list[str], start: float) -> SandboxResult:
    """Drain the output of ``process``, stop it at the wall-clock limit and clean up after it."""
    # Pipes drained by threads that keep only the tail: a print loop costs CPU time, bounded by
    # the timeouts, but neither grader memory nor disk.
    readers = [_TailReader(process.stdout), _TailReader(process.stderr)]
    for reader in readers:
        reader.start()
    timed_out = False
    try:
        process.wait(timeout=limits.wall_seconds)
    except subprocess.TimeoutExpired:
        timed_out = True
    except BaseException:
        # Interrupted (Ctrl+C, or a background recording stopped): the sandbox must not outlive it.
        _end_leftovers(process, account)
        process.wait()
        raise
    _end_leftovers(process, account)
    process.wait()
    if group is not None:
        group.remove()
    wall_seconds = time.perf_counter() - start
    for reader in readers:
        # A writer that escaped the kill keeps the pipe open; its output is then left unread.
        reader.join(timeout=5)

    return SandboxResult(
        returncode=process.returncode,
        timed_out=timed_out,
        wall_seconds=wall_seconds,
        stdout=readers[0].text(),
        stderr=readers[1].text(),
        isolation=isolation,
        output_bytes=readers[0].total_bytes + readers[1].total_bytes,
    )
