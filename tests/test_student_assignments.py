"""Generated handout in assignments/: up to date, free of solutions and of hidden tests."""

import json
import shutil
from pathlib import Path

import keras
import nbformat
import pandas as pd
import pytest
from otter.test_files import ExceptionTestFile

from leccion14.modules import load_module, load_solution
from leccion14.student.assign import build_all, compare_generated
from leccion14.student.leaks import find_leaks
from leccion14.student.parts import ASSIGNMENTS_DIR, PARTS, SOLUTIONS_DIR

PUBLIC_TESTS = {
    "cnn": ["cnn_base_convolucional", "cnn_cabeza_densa", "cnn_compilacion", "cnn_entrenamiento", "cnn_preprocesado"],
    "lstm": ["lstm_escalado", "lstm_modelo", "lstm_pronostico", "lstm_ventanas", "lstm_ventanas_prueba"],
}
MASTERS = [SOLUTIONS_DIR / part.notebook for part in PARTS] + [SOLUTIONS_DIR / part.module for part in PARTS]


@pytest.fixture(scope="session")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh `make student` output: assignments/ and Otter's full output side by side."""
    root = tmp_path_factory.mktemp("regenerated")
    build_all(SOLUTIONS_DIR, root / "assignments", root / "otter")
    return root


def test_committed_assignments_are_fresh(regenerated):
    problems = compare_generated(regenerated / "assignments", ASSIGNMENTS_DIR)

    assert problems == [], "assignments/ está desactualizado; ejecuta `make student`:\n" + "\n".join(problems)


def test_stale_file_named(regenerated, tmp_path):
    committed = tmp_path / "assignments"
    shutil.copytree(regenerated / "assignments", committed)
    stub = committed / "lstm" / "lstm_repsol.py"
    stub.write_text(stub.read_text(encoding="utf-8") + "\n# editado a mano\n", encoding="utf-8")
    (committed / "cnn" / "tests" / "cnn_compilacion.py").unlink()
    (committed / "cnn" / "tests" / "sobrante.py").write_text("", encoding="utf-8")

    problems = compare_generated(regenerated / "assignments", committed)

    assert problems == [
        f"falta {committed / 'cnn' / 'tests' / 'cnn_compilacion.py'}",
        f"sobra {committed / 'cnn' / 'tests' / 'sobrante.py'}: los maestros ya no lo generan",
        f"{stub} está desactualizado: no coincide con lo que generan los maestros",
    ]


def test_notebook_run_outputs_not_reported(regenerated, tmp_path):
    committed = tmp_path / "assignments"
    shutil.copytree(regenerated / "assignments", committed)
    (committed / "cnn" / "entrega").mkdir()
    (committed / "cnn" / "entrega" / "cnn_model.keras").write_bytes(b"modelo")
    (committed / "cnn" / "leccion14_cnn_2026_01_01T00_00_00_000000.zip").write_bytes(b"zip")
    (committed / "cnn" / ".OTTER_LOG").write_bytes(b"log")

    assert compare_generated(regenerated / "assignments", committed) == []


def test_regeneration_is_byte_stable(regenerated, tmp_path):
    build_all(SOLUTIONS_DIR, tmp_path / "assignments", tmp_path / "otter")

    assert compare_generated(tmp_path / "assignments", regenerated / "assignments") == []


def test_no_solution_statement_in_assignments():
    leaks = find_leaks(MASTERS, ASSIGNMENTS_DIR)

    assert leaks == [], "\n".join(f"{leak.generated}: «{leak.statement}» (de {leak.master})" for leak in leaks)


def test_leak_check_finds_planted_solution(tmp_path):
    planted = tmp_path / "assignments"
    shutil.copytree(ASSIGNMENTS_DIR, planted)
    stub = planted / "cnn" / "cnn_cifar.py"
    stub.write_text(stub.read_text(encoding="utf-8") + '\n\ndef leaked(model):\n    model.add(keras.layers.Flatten())\n', encoding="utf-8")

    leaks = find_leaks(MASTERS, planted)

    assert [(leak.statement, leak.generated) for leak in leaks] == [("model.add(keras.layers.Flatten())", stub)]


@pytest.mark.parametrize("part", PARTS, ids=lambda part: part.name)
def test_public_test_files(part):
    tests_dir = ASSIGNMENTS_DIR / part.name / "tests"

    assert sorted(path.stem for path in tests_dir.glob("*.py")) == PUBLIC_TESTS[part.name]
    for path in tests_dir.glob("*.py"):
        assert "hidden=True" not in path.read_text(encoding="utf-8"), f"{path} contiene pruebas ocultas"


@pytest.mark.parametrize("part", PARTS, ids=lambda part: part.name)
def test_hidden_tests_stay_in_build(regenerated, part):
    hidden_dir = regenerated / "otter" / part.name / "autograder" / "tests"

    assert sorted(path.stem for path in hidden_dir.glob("*.py")) == PUBLIC_TESTS[part.name]
    assert any("hidden=True" in path.read_text(encoding="utf-8") for path in hidden_dir.glob("*.py"))


@pytest.mark.parametrize("part", PARTS, ids=lambda part: part.name)
def test_notebook_committed_without_outputs(part):
    notebook = nbformat.read(ASSIGNMENTS_DIR / part.name / part.notebook, as_version=4)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]

    assert all(cell.outputs == [] for cell in code_cells)
    assert all(cell.execution_count is None for cell in code_cells)
    assert not any("ASSIGNMENT CONFIG" in cell.source or "BEGIN TESTS" in cell.source for cell in notebook.cells)


@pytest.mark.parametrize("part", PARTS, ids=lambda part: part.name)
def test_notebook_states_quick_variable_first(part):
    notebook = nbformat.read(ASSIGNMENTS_DIR / part.name / part.notebook, as_version=4)

    assert notebook.cells[0].cell_type == "markdown"
    assert "LECCION14_QUICK" in notebook.cells[0].source


def _function_environment(module_name: str) -> dict:
    module = load_solution(module_name)
    return {name: getattr(module, name) for name in dir(module) if not name.startswith("_")}


def _run_test_file(path: Path, environment: dict) -> ExceptionTestFile:
    test_file = ExceptionTestFile.from_file(str(path))
    test_file.run(environment)
    return test_file


def _reference_artefacts(part: str, reference_dir: Path) -> dict:
    """Artefacts of `make reference`, under the names the notebooks give them."""
    if part == "cnn":
        return {
            "cnn_model": keras.saving.load_model(reference_dir / "cnn.keras"),
            "cnn_history": json.loads((reference_dir / "cnn_history.json").read_text(encoding="utf-8")),
        }
    forecasts = pd.read_csv(reference_dir / "lstm_forecasts.csv", index_col="Date", parse_dates=True)
    return {
        "lstm_model": keras.saving.load_model(reference_dir / "lstm.keras"),
        "lstm_history": json.loads((reference_dir / "lstm_history.json").read_text(encoding="utf-8")),
        "lstm_forecasts": forecasts["forecast"],
    }


@pytest.mark.parametrize("part", PARTS, ids=lambda part: part.name)
def test_all_tests_pass_for_reference_run(regenerated, part, reference_dir):
    environment = _function_environment(part.module.removesuffix(".py")) | _reference_artefacts(part.name, reference_dir)

    for path in sorted((regenerated / "otter" / part.name / "autograder" / "tests").glob("*.py")):
        result = _run_test_file(path, environment)
        failures = [tcr.message for tcr in result.test_case_results if not tcr.passed]
        assert failures == [], f"{path.name}:\n" + "\n".join(failures)


STUB_FAILURES = {
    "cnn_preprocesado": "NotImplementedError: Falta tu código en preprocess_images() de cnn_cifar.py",
    "cnn_base_convolucional": "NotImplementedError: Falta tu código en build_conv_base() de cnn_cifar.py",
    "cnn_cabeza_densa": "NotImplementedError: Falta tu código en build_conv_base() de cnn_cifar.py",
    "cnn_compilacion": "NotImplementedError: Falta tu código en compile_cnn() de cnn_cifar.py",
    "cnn_entrenamiento": "AssertionError: No existe la variable cnn_model",
    "lstm_escalado": "NotImplementedError: Falta tu código en scale_series() de lstm_repsol.py",
    "lstm_ventanas": "NotImplementedError: Falta tu código en make_windows() de lstm_repsol.py",
    "lstm_ventanas_prueba": "NotImplementedError: Falta tu código en make_test_windows() de lstm_repsol.py",
    "lstm_modelo": "NotImplementedError: Falta tu código en build_lstm() de lstm_repsol.py",
    "lstm_pronostico": "AssertionError: No existe la variable lstm_forecasts",
}


@pytest.mark.parametrize("part", PARTS, ids=lambda part: part.name)
def test_public_checks_fail_in_spanish_for_stub(part):
    stub = load_module(ASSIGNMENTS_DIR / part.name / part.module, name=f"stub_{part.name}")
    # Only the module functions: the notebook artefacts (cnn_model, lstm_forecasts…) do not exist yet.
    environment = {name: getattr(stub, name) for name in dir(stub) if not name.startswith("_")}

    for path in sorted((ASSIGNMENTS_DIR / part.name / "tests").glob("*.py")):
        result = _run_test_file(path, environment)
        assert not result.passed_all, f"{path.name} pasa con el módulo sin completar"
        last_line = result.test_case_results[0].message.splitlines()[-1]
        assert last_line.startswith(STUB_FAILURES[path.stem]), f"{path.name}: {last_line}"
