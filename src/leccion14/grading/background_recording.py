"""Grabación en un proceso hijo confiable, mientras el paso confiable prepara lo suyo.

El hijo nace por ``fork`` del autocorrector con Keras cargado y JAX sin arrancar (véase
``preload``) y ejecuta ``record_module``, que a su vez crea el grabador aislado por ``fork`` suyo,
también cuando lo relanza tras un fallo. Al terminar, el hijo devuelve la ``Recording`` como JSON
por una tubería. Mientras tanto, el autocorrector ya puede arrancar JAX, cargar los artefactos y
leer las pruebas: en la máquina de CI de 2 núcleos, las dos mitades corren a la vez.

El hijo no ejecuta código del estudiante ni lee sus artefactos. Solo copia el plan y el módulo en
la carpeta de grabación y lee los resultados, como hacía antes el propio autocorrector.

Las dos mitades a la vez ocupan más memoria. Sin cachés de compilación, una entrega de la LSTM
llegó a 725 MiB (PSS del árbol de procesos), y grabando primero, dentro de un cgroup de 768 MB, a
554 MiB (docs/autocorrector.md; en mediciones anteriores, con más módulos cargados, 784 y 629 MiB).
Por eso solo se graba en segundo plano con ``MIN_FREE_MEMORY`` libres
(``memory.available_memory``) y si ``BACKGROUND_SWITCH`` no lo apaga (``0``, ``false``, ``no`` u
``off``). El paquete de Gradescope lo pone a ``0``, porque allí el límite de memoria puede no verse
desde dentro.
"""

import json
import os
import shutil
import signal
import traceback
from pathlib import Path

from .memory import available_memory
from .preload import fork_is_safe, fork_with_frozen_heap, set_process_option
from .recording import Recording, new_recording_folder, record_module
from .sandbox import SandboxLimits

_PR_SET_PDEATHSIG = 1
# Free memory needed to record in the background: more than twice the largest peak measured (784 MiB).
MIN_FREE_MEMORY = 2 * 1024**3
# Environment variable that turns recording in the background off with one of SWITCHED_OFF.
BACKGROUND_SWITCH = "LECCION14_BACKGROUND_RECORDING"
SWITCHED_OFF = frozenset({"0", "false", "no", "off"})


class ChildStopped(Exception):
    """Raised in the child by SIGTERM, so that ``record_module`` stops its sandbox and cleans up."""


def background_allowed() -> bool:
    """Return whether this process may record in the background: not switched off, and enough free memory."""
    if os.environ.get(BACKGROUND_SWITCH, "").strip().lower() in SWITCHED_OFF:
        return False
    free = available_memory()
    return free is not None and free >= MIN_FREE_MEMORY


class BackgroundRecording:
    """``record_module`` running in a forked child of this process; ``result()`` waits for it."""

    def __init__(self, pid: int, pipe: int, folder: Path):
        self.pid = pid
        self.folder = folder
        self._pipe = pipe

    @classmethod
    def start(cls, module: str, module_file: Path, plan_folder: Path, limits: SandboxLimits) -> "BackgroundRecording | None":
        """Fork the child that records ``module_file``; return None when ``background_allowed`` or ``preload`` forbid it, or the fork fails."""
        if not background_allowed() or not fork_is_safe():
            return None
        # Created here, so that result() and discard() can delete it even if the child was killed.
        folder = new_recording_folder(module)
        parent = os.getpid()
        try:
            read_end, write_end = os.pipe()
        except OSError:
            shutil.rmtree(folder.parent, ignore_errors=True)
            return None
        try:
            pid = fork_with_frozen_heap()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            shutil.rmtree(folder.parent, ignore_errors=True)
            return None
        if pid == 0:
            os.close(read_end)
            _run_child(write_end, parent, module, Path(module_file), Path(plan_folder), folder, limits)
        os.close(write_end)
        return cls(pid, read_end, folder)

    def result(self) -> Recording:
        """Wait for the child and return its Recording; raise RuntimeError, with the folder deleted, if it failed.

        If this process is interrupted while waiting (Ctrl+C, SIGTERM), it stops the child, which
        stops its sandbox, deletes the folder and re-raises.
        """
        try:
            with open(self._pipe, "rb") as pipe:
                payload = pipe.read()
        except BaseException:
            self._stop_child()
            shutil.rmtree(self.folder.parent, ignore_errors=True)
            raise
        _, status = os.waitpid(self.pid, 0)
        try:
            message = json.loads(payload)
        except ValueError:
            message = {"error": f"terminó sin resultado (código {os.waitstatus_to_exitcode(status)})."}
        if "error" in message:
            shutil.rmtree(self.folder.parent, ignore_errors=True)
            raise RuntimeError(f"El proceso que graba la entrega falló: {message['error']}")
        fields = message["recording"]
        return Recording(**{**fields, "folder": self.folder, "scratch": self.folder.parent})

    def discard(self) -> None:
        """Stop the child, wait for it and delete its folder; for a grading that failed before using the recording."""
        os.close(self._pipe)
        self._stop_child()
        shutil.rmtree(self.folder.parent, ignore_errors=True)

    def _stop_child(self) -> None:
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)


def _stop(signum, frame):
    raise ChildStopped()


def _run_child(pipe: int, parent: int, module: str, module_file: Path, plan_folder: Path, folder: Path, limits: SandboxLimits) -> None:
    """Body of the forked child; it never returns."""
    code = 1
    try:
        # Without its parent, nothing would read the recording, so the child stops too.
        set_process_option(_PR_SET_PDEATHSIG, signal.SIGKILL)
        signal.signal(signal.SIGTERM, _stop)
        if os.getppid() != parent:
            raise RuntimeError("el autocorrector terminó antes de empezar la grabación")
        recording = record_module(module, module_file, plan_folder, folder=folder, limits=limits)
        fields = {
            "module": recording.module,
            "results": recording.results,
            "isolation": recording.isolation,
            "log_tail": recording.log_tail,
            "forked": recording.forked,
        }
        payload = {"recording": fields}
        code = 0
    except BaseException:  # noqa: BLE001 - the parent reports it like an error of its own
        payload = {"error": traceback.format_exc()}
    try:
        with open(pipe, "w", encoding="utf-8") as stream:
            json.dump(payload, stream)
    finally:
        os._exit(code)
