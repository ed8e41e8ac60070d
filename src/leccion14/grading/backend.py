"""Keras backend of the grader: JAX, with TensorFlow hidden, so grading never loads TensorFlow.

Keras 3 saves backend-neutral ``.keras`` files, so a model trained with TensorFlow in the
student's notebook loads and predicts the same under JAX. Importing Keras on JAX takes about
360 MiB of resident memory in the course's environment, and importing TensorFlow 2.21 alone about
650 MiB, which is what keeps one submission inside Gradescope's 768 MB box.

Keras 3.15 still imports TensorFlow whenever it is installed, whatever the backend: to check
for ``tf.TensorShape`` while serializing and to seed it in ``set_random_seed``. The course's
own environment has TensorFlow for training, so grading processes mark it as missing
(``sys.modules["tensorflow"] = None``, which makes ``import tensorflow`` raise ImportError).
A grading run on this machine then loads what the Gradescope package, which does not install
TensorFlow, loads.

The backend is fixed at Keras' first import, so ``use_grading_backend`` must run before
anything imports Keras. It also keeps matplotlib out of Keras' own import
(``KerasPlotsWithoutMatplotlib``) and loads ``scipy.stats`` on first use (``DeferredScipyStats``),
which shortens every grading process's start.
"""

import importlib.abc
import importlib.machinery
import importlib.util
import logging
import os
import sys
from pathlib import Path

GRADING_BACKEND = "jax"
# JAX otherwise probes for TPU and GPU plugins at start-up and logs the failed TPU probe.
JAX_PLATFORMS = "cpu"
HIDDEN_MODULE = "tensorflow"
log = logging.getLogger(__name__)


def loaded_backend() -> str | None:
    """Return the backend of the Keras loaded in this process, or None if Keras was never imported."""
    keras = sys.modules.get("keras")
    return keras.backend.backend() if keras is not None else None


class KerasPlotsWithoutMatplotlib(importlib.abc.MetaPathFinder):
    """Refuse matplotlib to ``keras.src.visualization`` only; every other importer gets it as usual.

    Keras imports ``matplotlib.pyplot`` for its image-gallery helpers when matplotlib is installed
    and sets it to None otherwise. Grading never plots, and that import took 0.66 s of the 3.5 s
    that importing Keras, pandas and scikit-learn took (``python -X importtime``, 2-core CI machine).
    A student module that imports matplotlib still gets it, at its own cost, but Keras' own
    ``keras.visualization`` helpers raise ImportError in the sandbox too.
    """

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] != "matplotlib":
            return None
        frame = sys._getframe(1)
        while frame is not None:
            importer = frame.f_globals.get("__name__")
            if isinstance(importer, str) and importer.startswith("keras.src.visualization"):
                raise ModuleNotFoundError("el autocorrector no carga matplotlib para Keras", name=name)
            frame = frame.f_back
        return None


class DeferredScipyStats(importlib.abc.MetaPathFinder):
    """Import ``scipy.stats`` as a module that loads itself on first attribute access.

    scikit-learn imports ``scipy.stats`` while ``sklearn.preprocessing`` loads (in
    ``sklearn.utils.fixes`` and ``sklearn.preprocessing._data``), and only its functions use it;
    ``MinMaxScaler`` never does. That import took 0.3-0.5 s of the 0.7-0.8 s that
    ``sklearn.preprocessing`` took in a grading process (2-core CI machine, 2026-12-05). Uses the
    standard library's ``importlib.util.LazyLoader``.
    """

    NAMES = frozenset({"scipy.stats"})

    def find_spec(self, name, path=None, target=None):
        if name not in self.NAMES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path, target)
        if spec is None or spec.loader is None:
            return spec
        # NOTE: Python 3.11's LazyLoader is not thread-safe on the first access; grading processes
        # touch scipy.stats, if ever, from their main thread only.
        spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


def use_grading_backend() -> str:
    """Select ``GRADING_BACKEND`` and hide TensorFlow unless Keras is already loaded; return the backend in use.

    A process that imported Keras earlier (the test suite, a notebook) keeps its backend because
    Keras cannot switch. Grading still works there, with that backend's memory use.
    """
    backend = loaded_backend()
    if backend is not None:
        if backend != GRADING_BACKEND:
            log.debug("Keras ya está cargado con %s; la calificación sigue con ese backend.", backend)
        return backend
    os.environ["KERAS_BACKEND"] = GRADING_BACKEND
    os.environ.setdefault("JAX_PLATFORMS", JAX_PLATFORMS)
    if HIDDEN_MODULE not in sys.modules:
        sys.modules[HIDDEN_MODULE] = None
    for finder_type in (KerasPlotsWithoutMatplotlib, DeferredScipyStats):
        if not any(isinstance(finder, finder_type) for finder in sys.meta_path):
            sys.meta_path.insert(0, finder_type())
    return GRADING_BACKEND


def enable_compilation_cache(folder: Path) -> bool:
    """Keep JAX's compiled programs in ``folder`` for later grading processes; return whether it is on.

    Every submission compiles the same prediction and evaluation programs, so a batch reuses them
    (about 3 s of CPU per LSTM submission on the 2-core CI machine). Cached entries are machine
    code that this process runs, so the cache is used only when the sandbox runs the student's
    code under another uid (the grader is root) and the folder is private to the grader.
    Call it in the trusted step only, never in the sandbox.
    """
    if os.geteuid() != 0:
        return False
    import keras

    if keras.backend.backend() != GRADING_BACKEND:
        return False
    import jax

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    jax.config.update("jax_compilation_cache_dir", str(folder))
    # The defaults skip programs that compile in under a second, which is all of ours.
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return True
