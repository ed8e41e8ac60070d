"""Funciones de sustitución que devuelven lo grabado en lugar de ejecutar código del estudiante.

Para cada función del módulo del estudiante se crea una función con el mismo nombre. Al llamarla
con los argumentos de una sonda (``f(*probe_args(nombre))``), busca la sonda por la huella de los
argumentos y devuelve el valor grabado, o relanza el error grabado con su mismo tipo si es un
tipo estándar. Los modelos de Keras que la función modificó (``compile_*``, ``train_*``) se
actualizan también en el objeto que recibe la llamada: pesos y configuración de compilación.
"""

import builtins
import hashlib
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..probes import PROBES, probe_args
from . import recorder
from .codec import decode
from .models import load_model_safely


class ReplayError(Exception):
    """A recorded call cannot be replayed; the Spanish message names the function and the cause."""


def fingerprint(value: Any) -> str:
    """Return a hash of ``value`` that ignores Keras models, which probes rebuild on every call."""
    digest = hashlib.sha256()

    def feed(item: Any) -> None:
        if isinstance(item, np.ndarray):
            digest.update(f"ndarray{item.dtype.str}{item.shape}".encode())
            # The buffer itself, not tobytes(): a copy would add the array's size to peak memory.
            digest.update(np.ascontiguousarray(item).data)
        elif isinstance(item, (list, tuple)):
            digest.update(f"seq{len(item)}(".encode())
            for element in item:
                feed(element)
            digest.update(b")")
        elif isinstance(item, (bool, int, float, str, type(None), np.generic)):
            digest.update(repr(item).encode())
        else:
            # Models and scalers: the probe name already fixes them, and rebuilding a model gives
            # a new object with the same architecture.
            digest.update(type(item).__name__.encode())

    feed(value)
    return digest.hexdigest()


def _raise_recorded(function: str, result: dict) -> None:
    error = result.get("error") or {}
    class_name, message = error.get("class", "Exception"), error.get("message", "")
    status = result["status"]
    if status == recorder.RAISED:
        error_type = getattr(builtins, error.get("builtin_base", class_name), None)
        if isinstance(error_type, type) and issubclass(error_type, Exception):
            raise error_type(message)
        raise ReplayError(f"{function} lanzó {class_name}: {message}")
    returncode = result.get("returncode")
    if status == recorder.CRASHED and isinstance(returncode, int) and returncode > 0:
        raise ReplayError(
            f"{function} hizo que el proceso terminara con el código {returncode}. Las funciones deben devolver "
            "su resultado: quita las llamadas a sys.exit, os._exit u os.kill."
        )
    reasons = {
        recorder.TIMED_OUT: (
            f"{function} superó el tiempo máximo y se detuvo. Revisa si hay un bucle infinito en ella o en una función a la que llama"
            + (", o si entrena demasiadas épocas." if function.startswith("train_") else ".")
        ),
        recorder.CRASHED: (
            f"{function} no dejó un resultado válido: falta, está incompleto o no es un archivo normal. "
            "¿Borra o cambia archivos de su carpeta de trabajo?"
            if result.get("unreadable")
            else f"{function} hizo que el proceso terminara (memoria agotada o un error grave). Revisa el tamaño de los arreglos que crea."
        ),
        recorder.IMPORT_FAILED: f"No se pudo importar el módulo del estudiante: {class_name}: {message}",
        recorder.MISSING_FUNCTION: f"El módulo no define la función {function}. No cambies el nombre de las funciones de la plantilla.",
        recorder.UNENCODABLE: f"{function} devolvió un valor que no se puede guardar: {class_name}: {message}",
    }
    raise ReplayError(reasons.get(status, f"{function}: resultado grabado desconocido ({status})."))


def _update_model(target: Any, recorded: Any) -> None:
    """Copy weights and compile settings of ``recorded`` into the caller's model ``target``."""
    target_shapes = [weight.shape for weight in target.get_weights()]
    recorded_weights = recorded.get_weights()
    if target_shapes == [weight.shape for weight in recorded_weights]:
        target.set_weights(recorded_weights)
    compile_config = recorded.get_compile_config()
    if compile_config:
        target.compile_from_config(compile_config)


class Replayer:
    """Replay stubs for one recorded module, built from a ``Recording``'s results and folder."""

    def __init__(self, module: str, folder: Path, results: dict[str, dict], fingerprints: dict[str, str] | None = None):
        """``fingerprints`` gives each probe's argument fingerprint (``recording.plan_fingerprints``);
        without it, or for a probe it lacks, the arguments are built again here."""
        self.module = module
        self.folder = Path(folder)
        self.results = results
        self._by_function: dict[str, dict[str, str]] = {}
        fingerprints = fingerprints or {}
        for name in results:
            probe = PROBES[name]
            key = fingerprints.get(name) or fingerprint(tuple(probe_args(name)))
            self._by_function.setdefault(probe.function, {})[key] = name

    def _load(self, path: Path):
        return load_model_safely(path, f"Modelo devuelto por {self.module}")

    def call(self, function: str, arguments: tuple) -> Any:
        """Return the recorded result of ``function(*arguments)``."""
        name = self._by_function.get(function, {}).get(fingerprint(tuple(arguments)))
        if name is None:
            raise ReplayError(
                f"El autocorrector no grabó la llamada {function}(...) con estos argumentos. Las pruebas "
                "solo pueden llamar a las funciones del estudiante con probe_args(...) de leccion14.probes."
            )
        result = self.results[name]
        if result["status"] != recorder.RETURNED:
            _raise_recorded(function, result)
        for position, node in result.get("mutated", {}).items():
            index = int(position)
            if index < len(arguments):
                _update_model(arguments[index], decode(node, self.folder, self._load))
        return decode(result["value"], self.folder, self._load)

    def functions(self) -> dict[str, Callable[..., Any]]:
        """Return one stub per recorded function name, for the Otter test environment."""

        def make_stub(function: str) -> Callable[..., Any]:
            def stub(*arguments, **keyword_arguments):
                if keyword_arguments:
                    raise ReplayError(
                        f"Las pruebas deben llamar a {function} solo con argumentos posicionales de probe_args(...)."
                    )
                return self.call(function, arguments)

            stub.__name__ = function
            return stub

        return {function: make_stub(function) for function in self._by_function}
