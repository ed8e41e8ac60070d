"""Keras cargado una sola vez: el grabador aislado nace por ``fork`` de un proceso que ya lo importó.

Importar Keras sobre JAX cuesta unos 2,5 s por proceso en la máquina de CI de 2 núcleos. Antes,
el grabador aislado y el paso confiable lo importaban cada uno. Ahora el paso confiable lo importa
antes de grabar, y el grabador es un ``fork`` de ese proceso que se confina (``sandbox_launch``)
y ejecuta el grabador sin volver a importar nada.

``fork`` solo es seguro si se cumplen tres condiciones, que ``fork_is_safe`` comprueba:

- JAX no ha iniciado su backend, que arranca hilos (importar Keras no lo inicia; la primera
  operación sí). Los hilos de OpenBLAS, que numpy arranca al importarse, sí existen: OpenBLAS los
  detiene antes de cada ``fork`` con sus propios manejadores y el hijo los vuelve a crear;
- TensorFlow, que también arranca hilos, no está cargado;
- el entorno inicial del proceso (``/proc/self/environ``, que el hijo hereda en su memoria) solo
  tiene variables sin secretos (``is_allowed_variable``). ``grade`` se vuelve a ejecutar con un
  entorno limpio (``reexec_with_clean_environment``) y el lote da un entorno limpio a cada proceso.

Si falta alguna, el sandbox arranca un intérprete nuevo con ``execv``, como siempre.
"""

import ctypes
import gc
import io
import os
import sys
from pathlib import Path

from .backend import GRADING_BACKEND, HIDDEN_MODULE, loaded_backend

# Variables without secrets that grading processes keep: configuration, locale, paths.
# TF_ is no prefix here: Terraform keeps tokens in TF_TOKEN_* and TF_VAR_*.
_ALLOWED_NAMES = {
    "PATH", "HOME", "LANG", "TZ", "TMPDIR", "TERM", "USER", "LOGNAME", "VIRTUAL_ENV", "PWD", "SHLVL", "_", "LD_LIBRARY_PATH",
    "TF_CPP_MIN_LOG_LEVEL", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS",
}
_ALLOWED_PREFIXES = ("LECCION14_", "KERAS_", "JAX_", "XLA_", "OMP_", "OPENBLAS_", "MKL_", "PYTHON", "LC_", "MPL")
# Set in the environment of a re-executed process, so it never re-executes again.
_REEXECUTED = "LECCION14_REEXECUTED"
# Modules that every student module imports: loaded here, they cost nothing in the forked recorder.
_PRELOADED_MODULES = ("numpy", "pandas", "sklearn.preprocessing", "keras", "leccion14.grading.codec")


def is_allowed_variable(name: str) -> bool:
    """Return whether the variable ``name`` may reach a grading process (no tokens, keys or proxies)."""
    return name in _ALLOWED_NAMES or name.startswith(_ALLOWED_PREFIXES)


def clean_environment(environment: dict[str, str]) -> dict[str, str]:
    """Return ``environment`` without the variables that ``is_allowed_variable`` rejects."""
    return {name: value for name, value in environment.items() if is_allowed_variable(name)}


def initial_environment_names() -> list[str]:
    """Return the names in this process's initial environment, the one a fork copies in memory."""
    try:
        block = Path("/proc/self/environ").read_bytes()
    except OSError:
        return ["<sin /proc>"]
    return [entry.split(b"=", 1)[0].decode("utf-8", "replace") for entry in block.split(b"\0") if entry]


def reexec_with_clean_environment() -> None:
    """Start this same command again with ``clean_environment`` if the initial environment has other variables.

    Costs one interpreter start (tens of milliseconds) before anything heavy is imported. Does
    nothing outside Linux, where the sandbox never forks, or in a process already re-executed.
    """
    if sys.platform != "linux" or os.environ.get(_REEXECUTED) or _environment_is_clean():
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], {**clean_environment(dict(os.environ)), _REEXECUTED: "1"})


def preload() -> bool:
    """Import Keras and the usual student imports if the sandbox can then fork from this process; return whether it can."""
    if loaded_backend() not in (None, GRADING_BACKEND) or os.environ.get("KERAS_BACKEND") != GRADING_BACKEND:
        return False
    # Without a fork, importing Keras here would put two copies in memory while the recorder runs.
    if not _process_allows_fork():
        return False
    import importlib

    for name in _PRELOADED_MODULES:
        importlib.import_module(name)
    return fork_is_safe()


def fork_is_safe() -> bool:
    """Return whether a sandbox may start as a fork of this process (see the module's docstring)."""
    if loaded_backend() != GRADING_BACKEND or not _process_allows_fork():
        return False
    bridge = sys.modules.get("jax._src.xla_bridge")
    # NOTE: JAX keeps its started backends in a private dict. If a release renames it, the
    # check fails closed and the sandbox starts a new interpreter instead.
    backends = getattr(bridge, "_backends", None)
    return bridge is None or (isinstance(backends, dict) and not backends)


def _process_allows_fork() -> bool:
    """Return whether this process meets the conditions that do not depend on Keras being loaded."""
    if sys.platform != "linux" or sys.modules.get(HIDDEN_MODULE, None) is not None:
        return False
    return _can_watch_processes() and _environment_is_clean()


def _environment_is_clean() -> bool:
    return all(is_allowed_variable(name) for name in initial_environment_names())


def _can_watch_processes() -> bool:
    """Return whether pidfd_open works (Linux 5.3 and a seccomp profile that allows it): the parent waits on one."""
    try:
        os.close(os.pidfd_open(os.getpid()))
    except (AttributeError, OSError):
        return False
    return True


def fork_with_frozen_heap() -> int:
    """Flush the standard streams and fork with the heap frozen; return what ``os.fork`` returns.

    Frozen objects are left alone by the child's garbage collector, which would otherwise write
    to (and so copy) every page of the shared heap that it scans. They stay frozen in the parent
    too, because unfreezing would let its own collector copy the same pages.
    """
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()
    gc.freeze()
    return os.fork()


def redirect_standard_streams(stdin: int, stdout: int, stderr: int, errors: str = "strict") -> None:
    """Make the descriptors the child's 0, 1 and 2, close every other one and rebuild ``sys.std*`` on them.

    Called in a forked child, so that none of the parent's files, pipes or sockets stays open there.
    """
    os.dup2(stdin, 0)
    os.dup2(stdout, 1)
    os.dup2(stderr, 2)
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
    sys.stdout = sys.__stdout__ = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", errors=errors, line_buffering=True)
    sys.stderr = sys.__stderr__ = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", errors=errors, line_buffering=True)


def set_process_option(option: int, value: int) -> None:
    """Call Linux's ``prctl(option, value)`` on this process; raise OSError if it fails."""
    if ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option}, {value}) falló")
