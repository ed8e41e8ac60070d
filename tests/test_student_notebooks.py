"""Student notebooks under nbclient on the real data, in the short CI training mode.

LECCION14_QUICK=1 makes each notebook train 1 epoch (the CNN on 2,000 images), as the first cell
of each notebook explains. Each run took 20–30 s on the two-core CI machine.
"""

import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from leccion14.student.parts import ASSIGNMENTS_DIR, PARTS, SOLUTIONS_DIR

PASSED_MESSAGE = "Comprobaciones públicas superadas. Tras la entrega, el autocorrector ejecuta además pruebas ocultas"
FIRST_TODO = {
    "cnn": "Falta tu código en preprocess_images() de cnn_cifar.py",
    "lstm": "Falta tu código en scale_series() de lstm_repsol.py",
}
ARTEFACTS = {
    "cnn": ["cnn_history.json", "cnn_model.keras"],
    "lstm": ["lstm_forecasts.csv", "lstm_history.json", "lstm_model.keras"],
}


@pytest.fixture(autouse=True)
def quick_training(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LECCION14_QUICK", "1")
    monkeypatch.setenv("PYTHONUTF8", "1")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")


def _copy_part(part, destination: Path, with_solution: bool) -> Path:
    shutil.copytree(ASSIGNMENTS_DIR / part.name, destination)
    if with_solution:
        shutil.copyfile(SOLUTIONS_DIR / part.module, destination / part.module)
    return destination


def _execute(folder: Path, notebook_name: str) -> nbformat.NotebookNode:
    notebook = nbformat.read(folder / notebook_name, as_version=4)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}})
    client.execute()
    return notebook


def _outputs_text(cell: nbformat.NotebookNode) -> str:
    texts = []
    for output in cell.get("outputs", []):
        texts.append(output.get("text", ""))
        texts.append(output.get("data", {}).get("text/plain", ""))
        texts.append(output.get("data", {}).get("text/html", ""))
    return "\n".join(texts)


@pytest.mark.parametrize("part", PARTS, ids=lambda part: part.name)
def test_reference_notebook_runs_and_passes_checks(part, tmp_path):
    folder = _copy_part(part, tmp_path / part.name, with_solution=True)

    notebook = _execute(folder, part.notebook)

    check_cells = [cell for cell in notebook.cells if cell.cell_type == "code" and cell.source.startswith("grader.check(")]
    assert len(check_cells) == 5
    for cell in check_cells:
        output = _outputs_text(cell)
        assert PASSED_MESSAGE in output, f"{cell.source}:\n{output}"
        assert "failed" not in output, f"{cell.source}:\n{output}"

    for name in ARTEFACTS[part.name]:
        assert (folder / "entrega" / name).is_file(), f"Falta entrega/{name}"

    zips = list(folder.glob(f"{part.notebook.removesuffix('.ipynb')}_*.zip"))
    assert len(zips) == 1
    with zipfile.ZipFile(zips[0]) as archive:
        names = set(archive.namelist())
    assert part.notebook in names
    assert part.module in names
    for name in ARTEFACTS[part.name]:
        assert f"entrega/{name}" in names


@pytest.mark.parametrize("part", PARTS, ids=lambda part: part.name)
def test_stub_notebook_stops_at_first_todo(part, tmp_path):
    folder = _copy_part(part, tmp_path / part.name, with_solution=False)

    with pytest.raises(CellExecutionError) as error:
        _execute(folder, part.notebook)

    assert error.value.ename == "NotImplementedError"
    assert error.value.evalue.startswith(FIRST_TODO[part.name]), error.value.evalue

    assert not (folder / "entrega").exists()
