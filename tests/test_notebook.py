"""course_pkg.notebook: in a real kernel, an unwritten exercise fails with one clear line.

Every learner's notebook (``notebooks/*/*.ipynb``, found by glob) is run top to bottom with
nbclient, as "Run All" does: it must stop at its first exercise, with one line that names the
exercise and says what to do. Then, in one kernel per notebook, every stub of the notebook is run
on its own: each one names its exercise. A ``NotImplementedError`` raised by a library keeps its
traceback.
"""

import inspect
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from course_pkg.notebook import not_written_message

ROOT = Path(__file__).resolve().parents[1]
LEARNER = sorted(ROOT.glob("notebooks/*/*.ipynb"))
SOURCES = sorted(ROOT.glob("source/*/*.ipynb"))
#: Seconds a cell may take.
CELL_TIMEOUT = 120
ONE_LINE = re.compile(r"^✘ `(\w+)` is not written yet: replace `raise NotImplementedError\(\)` with your code$")

each_learner_notebook = pytest.mark.parametrize("path", LEARNER, ids=[p.parent.name for p in LEARNER])


def _nbgrader(cell, key):
    return cell.metadata.get("nbgrader", {}).get(key)


def _errors(cell):
    return [o for o in cell.get("outputs", []) if o.output_type == "error"]


def _stub_names(cell):
    """What a solution cell defines: its functions, else the variable its comment names."""
    functions = re.findall(r"^def (\w+)\(", cell.source, re.M)
    if functions:
        return functions
    return re.findall(r"^#\s*(?:Set\s+)?(\w+)\s*=", cell.source, re.M)[:1]


def test_learner_notebooks_are_found():
    assert LEARNER and len(LEARNER) == len(SOURCES)


@each_learner_notebook
def test_run_all_stops_at_the_first_exercise_with_one_line(path):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    with pytest.raises(CellExecutionError):
        client.execute()
    failed = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and _errors(c)]
    assert len(failed) == 1, f"errors in cells {failed}"
    index = failed[0]
    first_solution = next(i for i, c in enumerate(nb.cells) if _nbgrader(c, "solution"))
    first_test = next(i for i, c in enumerate(nb.cells) if i > first_solution and _nbgrader(c, "grade"))
    assert first_solution <= index <= first_test, (
        f"Run All stopped at cell {index}, not at the first exercise (cells {first_solution}-{first_test})"
    )
    error = _errors(nb.cells[index])[0]
    assert len(error.traceback) == 1, "\n".join(error.traceback)
    match = ONE_LINE.match(error.traceback[0])
    assert match, error.traceback[0]
    assert match.group(1) in _stub_names(nb.cells[first_solution])
    stderr = [o.text for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stderr"]
    assert not stderr, stderr


def _call_stub(name):
    """Kernel code that calls function ``name`` with as many Nones as it has required parameters."""
    return (f"import inspect as _inspect\n"
            f"{name}(*[None] * sum(p.default is p.empty for p in _inspect.signature({name}).parameters.values()))")


@pytest.fixture(scope="module", params=LEARNER, ids=[p.parent.name for p in LEARNER])
def kernel(request):
    """One kernel for a learner's notebook, with its setup cell run; yields (notebook, run(source))."""
    path = request.param
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    with client.setup_kernel():
        def run(source):
            cell = nbformat.v4.new_code_cell(source)
            client.execute_cell(cell, 0)
            return cell

        setup = next(c for c in nb.cells if _nbgrader(c, "grade_id") == "setup")
        assert not _errors(run(setup.source)), "the setup cell failed"
        yield nb, run


def test_every_stub_names_its_exercise(kernel):
    nb, run = kernel
    stubs = [c for c in nb.cells if _nbgrader(c, "solution")]
    for stub in stubs:
        cell = run(stub.source)
        names = _stub_names(stub)
        assert names, f"cannot tell what {_nbgrader(stub, 'grade_id')} defines"
        if re.search(r"^def ", stub.source, re.M):
            cell = run(_call_stub(names[0]))
        error = _errors(cell)
        assert error and error[0].traceback == ["✘ " + not_written_message(names[0])], (
            _nbgrader(stub, "grade_id"), error and error[0].traceback
        )
        assert error[0].ename == "NotImplementedError" and error[0].evalue == not_written_message(names[0])


def test_a_stub_without_a_name_still_gets_one_line(kernel):
    _, run = kernel
    error = _errors(run("# YOUR CODE HERE\nraise NotImplementedError()"))
    assert error[0].traceback == ["✘ " + not_written_message(None)]


def test_a_library_not_implemented_error_keeps_its_traceback(kernel):
    _, run = kernel
    cell = run("import types\n"
               "library = types.ModuleType('library')\n"
               "exec('def feature():\\n    raise NotImplementedError(\"not in this version\")', library.__dict__)\n"
               "library.feature()")
    error = _errors(cell)[0]
    assert len(error.traceback) > 1 and error.evalue == "not in this version"
    assert "is not written yet" not in "".join(error.traceback)


def test_a_self_check_run_before_its_exercise_says_so_in_one_line(kernel):
    """Every self-check of a fresh learner's notebook, run right after its stub: one line, no traceback."""
    nb, run = kernel
    for index, cell in enumerate(nb.cells):
        if _nbgrader(cell, "solution"):
            run(cell.source)
        elif _nbgrader(cell, "grade"):
            error = _errors(run(cell.source))
            assert error and len(error[0].traceback) == 1, (_nbgrader(cell, "grade_id"), error and error[0].traceback)
            assert "not written yet" in error[0].traceback[0] or "not defined" in error[0].traceback[0], error[0].traceback


def test_a_missing_name_in_a_cell_is_one_line_and_in_a_function_a_traceback(kernel):
    _, run = kernel
    error = _errors(run("print(never_defined_anywhere)"))[0]
    assert error.ename == "NameError"
    assert error.traceback == ["✘ `never_defined_anywhere` is not defined: run the cell that defines it (and keep its name)."]
    error = _errors(run("def uses_a_typo():\n    return tpyo\n\nuses_a_typo()"))[0]
    assert error.ename == "NameError" and len(error.traceback) > 1


def test_other_errors_are_untouched(kernel):
    _, run = kernel
    error = _errors(run("1 / 0"))[0]
    assert error.ename == "ZeroDivisionError" and len(error.traceback) > 1


@pytest.mark.parametrize("path", SOURCES, ids=[p.parent.name for p in SOURCES])
def test_every_setup_cell_installs_the_handler(path):
    nb = nbformat.read(path, as_version=4)
    setup = next(c for c in nb.cells if _nbgrader(c, "grade_id") == "setup")
    assert "from course_pkg.notebook import setup_kernel" in setup.source
    assert re.search(r"^setup_kernel\(\)", setup.source, re.M), setup.source


def test_setup_kernel_is_a_no_op_outside_ipython():
    from course_pkg.notebook import setup_kernel

    assert inspect.isfunction(setup_kernel) and setup_kernel() is False
