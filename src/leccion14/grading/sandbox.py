"""Ejecución de un comando no confiable: otro usuario, límites de recursos, sin red ni secretos."""

import ctypes
import os
import pwd
import resource
import site
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

# Unprivileged account that runs student code when the grader runs as root (Gradescope, Docker).
SANDBOX_USER = "nobody"
# CLONE_NEWNET from <sched.h>: a new network namespace has only a loopback device, and it is down.
_CLONE_NEWNET = 0x40000000
# Variables copied from the grader's environment; everything else (tokens, keys, proxies) is dropped.
_KEPT_VARIABLES = ("PATH", "LANG", "LC_ALL", "TZ")


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits of one untrusted process.

    TensorFlow maps about 1.3 GB of address space just to import, so ``memory_bytes`` (RLIMIT_AS)
    must stay well above that; ``processes`` counts threads too, because Linux applies
    RLIMIT_NPROC to threads, and TensorFlow starts one pool per core.
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


def _sandbox_account() -> tuple[int, int] | None:
    """Return (uid, gid) of SANDBOX_USER when running as root, else None (already unprivileged)."""
    if os.geteuid() != 0:
        return None
    account = pwd.getpwnam(SANDBOX_USER)
    return account.pw_uid, account.pw_gid


def _can_unshare_network() -> bool:
    return os.geteuid() == 0 and sys.platform == "linux"


def _child_setup(limits: SandboxLimits, account: tuple[int, int] | None, isolate_network: bool):
    """Build the function that runs in the child between fork and exec, as root when available."""
    libc = ctypes.CDLL(None, use_errno=True) if isolate_network else None

    def setup() -> None:
        os.setsid()
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if libc is not None and libc.unshare(_CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET) falló")
        # The uid changes last: unshare needs root, and subprocess's own user= switch would run
        # before this function.
        if account is not None:
            uid, gid = account
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)

    return setup


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


def prepare_workdir(workdir: Path) -> None:
    """Give the sandbox account ownership of ``workdir`` so the untrusted process can write there."""
    account = _sandbox_account()
    workdir.chmod(0o700)
    if account is None:
        return
    for path in [workdir, *workdir.rglob("*")]:
        os.chown(path, *account, follow_symlinks=False)


def run_sandboxed(argv: list[str], workdir: Path, limits: SandboxLimits = SandboxLimits()) -> SandboxResult:
    """Run ``argv`` in ``workdir`` as an unprivileged user, without network, within ``limits``.

    The environment contains only PATH, the locale, HOME=workdir and the quiet-TensorFlow
    settings. On timeout the whole process group is killed. ``isolation`` lists the protections
    that could not be applied on this machine (not root, no network namespaces).
    """
    workdir = Path(workdir)
    account = _sandbox_account()
    isolate_network = _can_unshare_network()
    isolation = []
    if account is None:
        isolation.append("sin cambio de usuario: el autocorrector no se ejecuta como root")
    if not isolate_network:
        # NOTE: without root there is no network namespace, so the student code keeps the network.
        isolation.append("sin aislamiento de red: hacen falta permisos de root para unshare")

    environment = {name: os.environ[name] for name in _KEPT_VARIABLES if name in os.environ}
    environment.update(
        HOME=str(workdir),
        PYTHONUTF8="1",
        PYTHONDONTWRITEBYTECODE="1",
        TF_CPP_MIN_LOG_LEVEL="3",
        KERAS_HOME=str(workdir / ".keras"),
        MPLCONFIGDIR=str(workdir / ".matplotlib"),
        MPLBACKEND="Agg",
    )

    # Output goes to unnamed files, not pipes, so a student print loop costs disk (capped by
    # RLIMIT_FSIZE) instead of grader memory; only the tail is kept.
    with tempfile.TemporaryFile() as stdout_file, tempfile.TemporaryFile() as stderr_file:
        start = time.perf_counter()
        process = subprocess.Popen(
            argv,
            cwd=workdir,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=stdout_file,
            stderr=stderr_file,
            preexec_fn=_child_setup(limits, account, isolate_network),
        )
        timed_out = False
        try:
            process.wait(timeout=limits.wall_seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
            # The child called setsid(), so its pid is also its process group id.
            os.killpg(process.pid, 9)
            process.wait()
        wall_seconds = time.perf_counter() - start
        stdout, stderr = _tail(stdout_file), _tail(stderr_file)

    return SandboxResult(
        returncode=process.returncode,
        timed_out=timed_out,
        wall_seconds=wall_seconds,
        stdout=stdout,
        stderr=stderr,
        isolation=isolation,
    )


def _tail(handle, size: int = 20_000) -> str:
    handle.seek(0, os.SEEK_END)
    handle.seek(max(0, handle.tell() - size))
    return handle.read().decode("utf-8", errors="replace")
