"""Entregas de muestra: la referencia, las plantillas sin completar y el corpus de entregas erróneas.

Cada entrada del corpus (``tests/corpus/<nombre>.json``) describe una entrega como cambios de
texto sobre el módulo de referencia de ``solutions/`` y una receta para cada artefacto, derivado
de la ejecución de referencia (``make reference``) sin entrenar nada. Así el repositorio solo
guarda texto: los modelos y pronósticos se crean al construir la entrega.

Recetas de artefactos (clave ``artefacts``; lo que no se indica es ``"reference"``):

- ``model``: ``"reference"``; ``"untrained"``, la arquitectura del módulo modificado, compilada y
  con pesos iniciales de semilla 0; ``"transplant"``, esa arquitectura con los pesos de la
  referencia (solo si todas las formas coinciden); ``"missing"``.
- ``history``: ``"reference"``, ``{"epochs": N}`` (las N primeras épocas) o ``"missing"``.
- ``forecasts`` (LSTM): ``"reference"``; ``"scaled"``, en la escala [0, 1] del escalador de
  entrenamiento; ``"shifted"``, cada fecha con el pronóstico del día siguiente; ``"test_only"``,
  solo los 164 últimos días; ``{"rmse": R}``, la referencia más un sesgo constante que da un RMSE
  de R euros; ``"missing"``.
"""

import importlib.util
import json
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import paths
from .submission import PARTS

MODULE_FILES = {"cnn": "cnn_cifar.py", "lstm": "lstm_repsol.py"}
REFERENCE_MODELS = {"cnn": "cnn.keras", "lstm": "lstm.keras"}
REFERENCE_HISTORIES = {"cnn": "cnn_history.json", "lstm": "lstm_history.json"}
CORPUS_DIR = paths.REPO_ROOT / "tests" / "corpus"


@dataclass
class SampleSubmission:
    """One sample submission and what grading it must give."""

    name: str
    part: str
    description: str
    replacements: list[tuple[str, str]] = field(default_factory=list)
    artefacts: dict = field(default_factory=dict)
    stub: bool = False
    # Questions whose score is below the maximum; every other question must get full marks
    # (a stub must get 0 in every question).
    scores: dict[str, float] = field(default_factory=dict)
    total: float | None = None
    message: str = ""


def load_corpus(folder: Path = CORPUS_DIR) -> list[SampleSubmission]:
    """Read every ``*.json`` entry of ``folder``, sorted by name."""
    entries = []
    for path in sorted(Path(folder).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        entries.append(
            SampleSubmission(
                name=path.stem,
                part=data["part"],
                description=data["description"],
                replacements=[tuple(pair) for pair in data.get("replacements", [])],
                artefacts=data.get("artefacts", {}),
                scores=data.get("expected", {}).get("scores", {}),
                total=data.get("expected", {}).get("total"),
                message=data.get("expected", {}).get("message", ""),
            )
        )
    return entries


def standard_samples() -> list[SampleSubmission]:
    """Return the reference and the untouched stubs of each part (their expected totals are set by the caller)."""
    samples = []
    for part in ("cnn", "lstm"):
        samples.append(SampleSubmission(name=f"{part}_referencia", part=part, description="solución de referencia"))
        samples.append(
            SampleSubmission(
                name=f"{part}_plantilla",
                part=part,
                description="plantilla sin completar, sin artefactos",
                stub=True,
                artefacts={"model": "missing", "history": "missing", "forecasts": "missing"},
            )
        )
    return samples


def mutated_source(sample: SampleSubmission) -> str:
    """Return the module source of ``sample``: the stub, or the reference with its replacements applied.

    Raises ValueError when a replacement's text does not occur exactly once in the reference, so
    a change in ``solutions/`` cannot silently turn an entry into the reference.
    """
    module = MODULE_FILES[sample.part]
    if sample.stub:
        return (paths.REPO_ROOT / "assignments" / sample.part / module).read_text(encoding="utf-8")
    source = (paths.REPO_ROOT / "solutions" / module).read_text(encoding="utf-8")
    for old, new in sample.replacements:
        count = source.count(old)
        if count != 1:
            raise ValueError(f"{sample.name}: el texto {old!r} aparece {count} veces en solutions/{module}; debe aparecer una vez.")
        source = source.replace(old, new)
    return source


def _import_source(source: str, name: str):
    with tempfile.TemporaryDirectory(prefix="muestra-") as scratch:
        path = Path(scratch) / f"{name}.py"
        path.write_text(source, encoding="utf-8")
        spec = importlib.util.spec_from_file_location(f"_sample_{name}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return module


def _mutated_model(sample: SampleSubmission, source: str, reference_model: Path, transplant: bool):
    import keras

    module = _import_source(source, sample.name)
    keras.utils.set_random_seed(0)
    if sample.part == "cnn":
        model = module.compile_cnn(module.build_cnn())
    else:
        model = module.compile_lstm(module.build_lstm())
    if transplant:
        weights = keras.saving.load_model(reference_model).get_weights()
        model.set_weights(weights)
    return model


def _write_model(sample: SampleSubmission, source: str, reference: Path, target: Path) -> None:
    recipe = sample.artefacts.get("model", "reference")
    reference_model = reference / REFERENCE_MODELS[sample.part]
    if recipe == "missing":
        return
    if recipe == "reference":
        shutil.copyfile(reference_model, target)
        return
    if recipe not in ("untrained", "transplant"):
        raise ValueError(f"{sample.name}: receta de modelo desconocida {recipe!r}.")
    _mutated_model(sample, source, reference_model, transplant=recipe == "transplant").save(target)


def _write_history(sample: SampleSubmission, reference: Path, target: Path) -> None:
    recipe = sample.artefacts.get("history", "reference")
    if recipe == "missing":
        return
    history = json.loads((reference / REFERENCE_HISTORIES[sample.part]).read_text(encoding="utf-8"))
    if isinstance(recipe, dict):
        history = {key: values[: recipe["epochs"]] for key, values in history.items()}
    target.write_text(json.dumps(history, indent=2), encoding="utf-8")


def _write_forecasts(sample: SampleSubmission, reference: Path, target: Path) -> None:
    import pandas as pd
    from sklearn.preprocessing import MinMaxScaler

    from .outcomes import WINDOW, repsol_split

    recipe = sample.artefacts.get("forecasts", "reference")
    if recipe == "missing":
        return
    frame = pd.read_csv(reference / "lstm_forecasts.csv")[["Date", "forecast"]]
    values = frame["forecast"].to_numpy(dtype="float64")
    train, test = repsol_split()
    if recipe == "scaled":
        scaler = MinMaxScaler().fit(train.to_numpy().reshape(-1, 1))
        frame["forecast"] = scaler.transform(values.reshape(-1, 1)).reshape(-1)
    elif recipe == "shifted":
        # Each date gets the next day's forecast; the last date keeps its own.
        frame["forecast"] = np.concatenate([values[1:], values[-1:]])
    elif recipe == "test_only":
        frame = frame.iloc[WINDOW:]
    elif isinstance(recipe, dict):
        frame["forecast"] = values + _bias_for_rmse(test.to_numpy(), values, recipe["rmse"])
    elif recipe != "reference":
        raise ValueError(f"{sample.name}: receta de pronósticos desconocida {recipe!r}.")
    frame.to_csv(target, index=False)


def _bias_for_rmse(actual: np.ndarray, forecast: np.ndarray, target: float) -> float:
    """Return the constant b ≥ 0 that makes RMSE(actual, forecast + b) equal ``target``.

    RMSE² = mean(e²) + 2·b·mean(e) + b² with e = forecast − actual: a quadratic in b.
    """
    errors = forecast - actual
    mean_error, mean_square = float(errors.mean()), float((errors**2).mean())
    discriminant = mean_error**2 - (mean_square - target**2)
    if discriminant < 0:
        raise ValueError(f"Ningún sesgo constante da un RMSE de {target} €.")
    return -mean_error + float(np.sqrt(discriminant))


def build_submission(sample: SampleSubmission, reference: Path, destination: Path) -> Path:
    """Write the submission folder of ``sample`` (module plus ``entrega/``) into ``destination``."""
    destination = Path(destination)
    entrega = destination / "entrega"
    entrega.mkdir(parents=True)
    source = mutated_source(sample)
    (destination / MODULE_FILES[sample.part]).write_text(source, encoding="utf-8")
    artefacts = PARTS[sample.part].artefacts
    model_file = destination / artefacts[f"{sample.part}_model"]
    history_file = destination / artefacts[f"{sample.part}_history"]
    _write_model(sample, source, Path(reference), model_file)
    _write_history(sample, Path(reference), history_file)
    if sample.part == "lstm":
        _write_forecasts(sample, Path(reference), destination / artefacts["lstm_forecasts"])
    return destination


def score_differences(sample: SampleSubmission, results: dict) -> list[str]:
    """Return a Spanish line per question whose score differs from the expectation of ``sample``."""
    problems = []
    for test in results.get("tests", []):
        expected = 0.0 if sample.stub else sample.scores.get(test["name"], test["max_score"])
        if abs(test["score"] - expected) > 1e-9:
            problems.append(f"{sample.name}: {test['name']} obtuvo {test['score']:g} y se esperaba {expected:g}.")
    if sample.total is not None and abs(results["score"] - sample.total) > 1e-9:
        problems.append(f"{sample.name}: la puntuación total es {results['score']:g} y se esperaba {sample.total:g}.")
    return problems


def feedback_text(results: dict) -> str:
    """Return all visible feedback of a results dict as one string."""
    return "\n".join([results.get("output", "")] + [test.get("output", "") for test in results.get("tests", [])])


if __name__ == "__main__":
    # python -m leccion14.grading.samples NAME DESTINATION: write one corpus entry (for debugging).
    entry = next(sample for sample in load_corpus() if sample.name == sys.argv[1])
    print(build_submission(entry, paths.build_dir() / "reference", Path(sys.argv[2])))
