"""Sample submissions graded end to end: reference, untouched stubs and the corpus of wrong ones.

The module fixture grades all 22 samples once (about 2 minutes on 2 cores): each distinct module
runs in the sandboxed recorder (3 to 6 s each, with a Keras start), and the artefact-only
entries reuse the reference's recording. Each test then checks one sample.
"""

import json

import pytest

from leccion14.grading.demo import check_sample, grade_samples
from leccion14.grading.samples import CORPUS_DIR, feedback_text, load_corpus, mutated_source, standard_samples

SAMPLES = standard_samples() + load_corpus()


@pytest.fixture(scope="module")
def graded(reference_dir, hidden_tests, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("muestras")
    tests_dirs = {part: hidden_tests(part) for part in ("cnn", "lstm")}
    return {item.sample.name: item for item in grade_samples(SAMPLES, reference_dir, workdir, tests_dirs)}


def test_corpus_size():
    entries = load_corpus()

    assert len(entries) >= 12
    assert {entry.part for entry in entries} == {"cnn", "lstm"}
    for entry in entries:
        assert entry.message, f"{entry.name} no dice qué mensaje debe mostrar."
        assert entry.total is not None, f"{entry.name} no dice su puntuación total."


def test_every_mutation_applies():
    for entry in load_corpus():
        source = mutated_source(entry)
        if entry.replacements:
            assert entry.replacements[0][1] in source, entry.name


def test_missing_replacement_rejected(tmp_path):
    entry = json.loads((CORPUS_DIR / "cnn_filtros_16.json").read_text(encoding="utf-8"))
    entry["replacements"] = [["texto que no está en la solución", "x"]]
    (tmp_path / "roto.json").write_text(json.dumps(entry), encoding="utf-8")
    (broken,) = load_corpus(tmp_path)

    with pytest.raises(ValueError, match="aparece 0 veces en solutions/cnn_cifar.py"):
        mutated_source(broken)


@pytest.mark.parametrize("name", [sample.name for sample in SAMPLES])
def test_sample_scores_as_expected(graded, name):
    item = graded[name]

    assert item.problems == [], "\n".join(item.problems) + "\n\n" + feedback_text(item.results)


def test_reference_full_marks(graded):
    for part in ("cnn", "lstm"):
        results = graded[f"{part}_referencia"].results
        possible = sum(test["max_score"] for test in results["tests"])

        assert results["score"] == possible, results["output"]
        assert possible >= 13


def test_stubs_zero_without_crash(graded):
    for part in ("cnn", "lstm"):
        results = graded[f"{part}_plantilla"].results

        assert results["score"] == 0
        assert len(results["tests"]) == 5, results["output"]
        assert "Falta tu código" in feedback_text(results)


def test_lstm_feedback_reports_mase(graded):
    assert "MASE" in graded["lstm_referencia"].results["output"]


def test_check_sample_names_wrong_score(graded):
    item = graded["cnn_cinco_epocas"]
    results = json.loads(json.dumps(item.results))
    results["tests"][-1]["score"] = 0

    problems = check_sample(item.sample, results)

    assert any("se esperaba" in problem for problem in problems), problems
