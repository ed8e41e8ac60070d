"""Caché de compilación de JAX para el grabador aislado, llenada por la solución de referencia.

En el grabador, la mayor parte del tiempo de las sondas de una entrega correcta es JAX compilando
programas pequeños. Son los inicializadores de las capas de ``build_lstm`` y ``build_cnn`` y los
pasos de entrenamiento y de predicción de los modelos de las sondas. Esos programas son los mismos
para todas las entregas que construyen la arquitectura de la lección, así que el paso confiable
los compila una sola vez.
Para ello ejecuta el grabador sobre la solución de referencia en un proceso propio, sin sandbox
y con la caché persistente de JAX activada, y guarda la caché junto al plan de sondas.

Cada grabación recibe una copia propia en su carpeta del sandbox. El estudiante puede cambiar
esa copia, pero solo afecta a su propio proceso. Con root, el original del plan queda tapado en
el sandbox; sin root no hay aislamiento de archivos (véase ``sandbox``).

La caché contiene código máquina para el procesador en que se compiló, porque XLA usa las
extensiones de la CPU anfitriona. Por eso su carpeta lleva la huella de esa CPU y solo se usa en
una máquina con la misma huella, y el paquete de Gradescope no la incluye.
"""

import functools
import hashlib
import logging
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..checksums import sha256_of

log = logging.getLogger(__name__)

# Folder name of the cache inside a recording folder, where the recorder looks for it.
RECORDING_CACHE = "jax-cache"
# Prefix of the cache folders inside a plan folder; the host fingerprint follows it.
PLAN_CACHE_PREFIX = "jax-cache-"
# File in a cache folder with the SHA-256 of the reference that filled it.
REFERENCE_STAMP = "reference.sha256"
# Seconds the warm-up recording of the reference may take; the CNN one trains an epoch.
WARM_UP_TIMEOUT_S = 600


# /proc/cpuinfo lines that name the CPU and its instruction set extensions, on x86 and on ARM.
_CPU_LINES = ("vendor_id", "model name", "flags", "CPU implementer", "CPU architecture", "CPU variant", "CPU part", "Features")


@functools.lru_cache(maxsize=1)
def host_fingerprint() -> str | None:
    """Return a short hash of this machine's CPU and instruction set extensions and of the JAX and Python versions.

    XLA compiles for the host CPU's extensions, so a program cached on another CPU could use
    instructions that this one lacks. Returns None where /proc/cpuinfo lists no extensions
    (macOS, or an unreadable /proc): there the recorder compiles everything itself.
    """
    from importlib.metadata import version

    try:
        lines = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    cpu = sorted({line for line in lines if line.startswith(_CPU_LINES)})
    if not any(line.startswith(("flags", "Features")) for line in cpu):
        return None
    identity = "\n".join([*cpu, platform.machine(), version("jax"), version("jaxlib"), version("keras"), sys.version])
    return hashlib.sha256(identity.encode()).hexdigest()[:16]


def plan_cache_dir(plan_dir: Path) -> Path | None:
    """Return the cache folder of ``plan_dir`` for this machine (it may not exist), or None if the CPU is unknown."""
    fingerprint = host_fingerprint()
    return Path(plan_dir) / f"{PLAN_CACHE_PREFIX}{fingerprint}" if fingerprint else None


def is_current(cache: Path, reference_file: Path) -> bool:
    """Return whether ``cache`` was filled from this version of ``reference_file``."""
    try:
        return (cache / REFERENCE_STAMP).read_text(encoding="utf-8") == sha256_of(Path(reference_file))
    except OSError:
        return False


def ignore_caches(folder: str, names: list[str]) -> set[str]:
    """Skip every plan cache when copying a plan folder (``shutil.copytree`` ``ignore`` callable)."""
    return {name for name in names if name.startswith(PLAN_CACHE_PREFIX)}


def copy_to_recording(plan_dir: Path, folder: Path) -> bool:
    """Copy this machine's plan cache into a recording folder; return whether there was one."""
    source = plan_cache_dir(plan_dir)
    if source is None or not source.is_dir():
        return False
    try:
        shutil.copytree(source, Path(folder) / RECORDING_CACHE)
    except OSError as error:
        # Another grader may be replacing a stale cache; this recording compiles everything.
        log.warning("No se pudo copiar la caché de compilación %s: %s. El grabador compilará sus programas.", source, error)
        shutil.rmtree(Path(folder) / RECORDING_CACHE, ignore_errors=True)
        return False
    return True


def use_in_recorder(folder: Path) -> bool:
    """Point JAX's persistent cache at ``folder/jax-cache`` if it exists, and turn it off otherwise.

    Call it in the recorder before the student's module is imported. JAX reads the setting at its
    first compilation in the process; a fork of the grader has compiled nothing yet.
    """
    from .backend import GRADING_BACKEND, loaded_backend

    if loaded_backend() not in (None, GRADING_BACKEND):
        return False
    import jax

    cache = Path(folder) / RECORDING_CACHE
    if not cache.is_dir():
        jax.config.update("jax_enable_compilation_cache", False)
        return False
    jax.config.update("jax_enable_compilation_cache", True)
    jax.config.update("jax_compilation_cache_dir", str(cache))
    # The defaults skip programs that compile in under a second, which is all of these.
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    # By default JAX adds a GPU autotuning folder inside the cache to the compile options, which
    # puts the folder's path into every cache key: each recording folder would miss.
    jax.config.update("jax_persistent_cache_enable_xla_caches", "none")
    return True


def warm(module: str, plan_dir: Path, reference_file: Path) -> bool:
    """Record ``reference_file`` with the plan of ``plan_dir`` to fill this machine's cache; return whether it worked.

    The recorder runs in its own process, because programs that this process has compiled would
    be taken from memory and never reach the cache. It gets the sandbox's environment, like an
    exec'd recorder. A forked recorder keeps the grader's JAX settings instead, and
    ``tests/test_grading_preload.py`` checks that it still finds every program.
    """
    from .sandbox import sandbox_environment

    plan_dir = Path(plan_dir)
    target = plan_cache_dir(plan_dir)
    if target is None:
        return False
    try:
        staging = Path(tempfile.mkdtemp(prefix="calentamiento-", dir=plan_dir.parent))
    except OSError as error:
        log.warning(
            "La caché de compilación del grabador no se pudo llenar porque no se puede escribir en %s (%s). "
            "Da permiso de escritura en esa carpeta; mientras tanto, cada entrega compila sus programas.",
            plan_dir.parent, error.strerror or error,
        )
        return False
    try:
        shutil.copytree(plan_dir, staging, dirs_exist_ok=True, ignore=ignore_caches)
        shutil.copyfile(reference_file, staging / f"{module}.py")
        (staging / RECORDING_CACHE).mkdir()
        completed = subprocess.run(
            [sys.executable, "-m", "leccion14.grading.recorder", str(staging)],
            env=sandbox_environment(staging), cwd=staging, capture_output=True, text=True,
            timeout=WARM_UP_TIMEOUT_S,
        )
        failed = _failed_probes(staging / "results")
        if completed.returncode != 0 or failed:
            log.warning(
                "La caché de compilación del grabador no se pudo llenar con %s (código %s; sondas fallidas: %s). "
                "Cada entrega compilará sus programas: unos segundos más, con la misma nota. Salida de error:\n%s",
                reference_file, completed.returncode, ", ".join(failed) or "ninguna", completed.stderr[-2000:],
            )
            return False
        (staging / RECORDING_CACHE / REFERENCE_STAMP).write_text(sha256_of(Path(reference_file)), encoding="utf-8")
        try:
            (staging / RECORDING_CACHE).rename(target)
        except OSError:
            # Another grading process filled it first; recordings may be copying that one now.
            if not target.is_dir():
                raise
    except (OSError, subprocess.TimeoutExpired) as error:
        log.warning("La caché de compilación del grabador no se pudo llenar con %s: %s. Cada entrega compilará sus programas.", reference_file, error)
        return False
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return True


def _failed_probes(results: Path) -> list[str]:
    """Return the probes of a warm-up recording that neither returned nor raised a Python exception."""
    import json

    from .recorder import RAISED, RETURNED

    files = sorted(results.glob("*.json"))
    if not files:
        return ["no se grabó ninguna sonda"]
    failed = []
    for path in files:
        result = json.loads(path.read_text(encoding="utf-8"))
        if result["status"] not in (RETURNED, RAISED):
            failed.append(f"{result['name']} ({result['status']})")
    return failed


def ensure_filled(module: str, plan_dir: Path, reference_file: Path) -> None:
    """Fill this machine's cache of ``plan_dir`` from ``reference_file`` unless a current one exists.

    A failed warm-up leaves a ``.failed`` marker, so later submissions do not try again; grading
    works without the cache, only slower.
    """
    cache = plan_cache_dir(plan_dir)
    if cache is None:
        return
    failed = cache.with_name(cache.name + ".failed")
    if failed.exists():
        log.info("Sin caché de compilación para el grabador: un llenado anterior falló. Borra %s para volver a intentarlo.", failed)
        return
    if cache.is_dir() and is_current(cache, reference_file):
        return
    # A cache filled by an older reference would only miss, so it is filled again.
    shutil.rmtree(cache, ignore_errors=True)
    log.info("Llenando la caché de compilación del grabador con %s (solo la primera vez en esta máquina)…", reference_file)
    try:
        filled = warm(module, plan_dir, reference_file)
    except Exception:  # noqa: BLE001 - grading works without the cache
        log.exception("La caché de compilación del grabador no se pudo llenar con %s.", reference_file)
        filled = False
    if filled:
        return
    try:
        failed.touch()
    except OSError as error:
        log.warning("No se pudo crear la marca %s (%s); el llenado se repetirá en la próxima calificación.", failed, error.strerror or error)
        return
    log.warning(
        "Sin caché de compilación para el grabador: cada entrega compilará sus programas (unos segundos más, la misma nota). "
        "Borra %s para volver a intentarlo.",
        failed,
    )
