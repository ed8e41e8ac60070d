"""Stub generator: solution regions become Spanish TODO blocks and NotImplementedError."""

import ast
import inspect
import textwrap

import keras
import pytest

from leccion14 import paths
from leccion14.modules import load_module
from leccion14.student.regions import MasterFormatError, find_regions
from leccion14.student.stubs import GENERATED_HEADER, render_stub, write_stub

MASTER = textwrap.dedent(
    '''\
    """Módulo de ejemplo."""

    LIMIT = 3


    def double(value):
        """Duplica ``value``."""
        checked = int(value)
        # BEGIN TODO
        # TODO: devuelve el doble de `checked`.
        # END TODO
        # BEGIN SOLUTION
        return checked * 2
        # END SOLUTION


    class Counter:
        def step(self):
            if True:
                # BEGIN TODO
                # TODO: suma uno.
                # END TODO
                # BEGIN SOLUTION
                self.count = getattr(self, "count", 0) + 1
                # END SOLUTION
            return self
    '''
)


def test_stub_replaces_solution_with_todo_and_raise():
    stub = render_stub(MASTER, "ejemplo")

    assert "return checked * 2" not in stub
    assert "    # TODO: devuelve el doble de `checked`.\n    raise NotImplementedError(" in stub
    assert "BEGIN SOLUTION" not in stub
    assert "BEGIN TODO" not in stub


def test_stub_keeps_nested_indentation():
    stub = render_stub(MASTER, "ejemplo")

    assert "            # TODO: suma uno.\n            raise NotImplementedError(" in stub
    ast.parse(stub)


def test_stub_keeps_code_outside_regions():
    stub = render_stub(MASTER, "ejemplo")

    assert '    """Duplica ``value``."""\n    checked = int(value)\n' in stub
    assert "LIMIT = 3" in stub
    assert "            return self" not in stub
    assert "        return self\n" in stub


def test_stub_header_follows_module_docstring():
    stub = render_stub(MASTER, "ejemplo")

    assert stub.startswith('"""Módulo de ejemplo."""\n\n' + GENERATED_HEADER)


def test_stub_raises_spanish_message(tmp_path):
    master = tmp_path / "ejemplo_master.py"
    master.write_text(MASTER, encoding="utf-8")
    stub_path = write_stub(master, tmp_path / "ejemplo.py")
    module = load_module(stub_path, name="ejemplo_stub")

    with pytest.raises(NotImplementedError, match=r"Falta tu código en double\(\) de ejemplo_master\.py: completa el bloque TODO"):
        module.double(2)
    with pytest.raises(NotImplementedError, match=r"Falta tu código en step\(\)"):
        module.Counter().step()


def test_regions_name_enclosing_function():
    regions = find_regions(MASTER)

    assert [region.function for region in regions] == ["double", "step"]
    assert regions[0].solution_lines == ("    return checked * 2",)


def test_solution_without_todo_rejected():
    source = "def f():\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION\n"

    with pytest.raises(MasterFormatError, match=r"línea 2: se encontró '# BEGIN SOLUTION' fuera de lugar"):
        find_regions(source)


def test_missing_end_solution_rejected():
    source = "def f():\n    # BEGIN TODO\n    # TODO: x\n    # END TODO\n    # BEGIN SOLUTION\n    return 1\n"

    with pytest.raises(MasterFormatError, match=r"falta '# END SOLUTION'"):
        find_regions(source)


def test_todo_not_followed_by_solution_rejected():
    source = "def f():\n    # BEGIN TODO\n    # TODO: x\n    # END TODO\n    return 1\n"

    with pytest.raises(MasterFormatError, match=r"línea 5: tras '# END TODO' debe ir '# BEGIN SOLUTION'"):
        find_regions(source)


def test_empty_todo_rejected():
    source = "def f():\n    # BEGIN TODO\n    # END TODO\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION\n"

    with pytest.raises(MasterFormatError, match=r"el bloque TODO está vacío"):
        find_regions(source)


def test_mismatched_indentation_rejected():
    source = "def f():\n    # BEGIN TODO\n    # TODO: x\n    # END TODO\n    # BEGIN SOLUTION\n    return 1\n  # END SOLUTION\n"

    with pytest.raises(MasterFormatError, match=r"línea 7: se esperaba '# END SOLUTION' .* \(4 espacios\) .* con 2\."):
        find_regions(source)


@pytest.mark.parametrize(
    ("module_name", "functions"),
    [
        ("cnn_cifar", ["preprocess_images", "encode_labels", "build_conv_base", "build_cnn", "compile_cnn", "train_cnn", "evaluate_cnn"]),
        ("lstm_repsol", ["scale_series", "make_windows", "make_test_windows", "build_lstm", "compile_lstm", "train_lstm", "forecast_euros"]),
    ],
)
def test_master_stubs_raise_for_every_function(tmp_path, module_name, functions):
    master = paths.REPO_ROOT / "solutions" / f"{module_name}.py"
    assert [region.function for region in find_regions(master.read_text(encoding="utf-8"))] == functions

    module = load_module(write_stub(master, tmp_path / f"{module_name}.py"), name=f"stub_{module_name}")
    for name in functions:
        if name == "build_cnn":
            # build_cnn starts from build_conv_base, whose own TODO would raise first.
            module.build_conv_base = lambda: keras.Sequential([keras.Input(shape=(32, 32, 3))])
        function = getattr(module, name)
        arguments = [None] * sum(
            1 for parameter in inspect.signature(function).parameters.values() if parameter.default is inspect.Parameter.empty
        )
        if name == "make_windows":
            arguments = [list(range(200))]
        with pytest.raises(NotImplementedError, match=rf"Falta tu código en {name}\(\) de {module_name}\.py"):
            function(*arguments)
