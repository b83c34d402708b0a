"""course_pkg.widgets: lazy import, and show() that stays idle while nbgrader grades."""

import subprocess
import sys

import pytest

from course_pkg import widgets


def test_importing_the_package_loads_no_heavy_library():
    code = (
        "import sys, course_pkg.widgets\n"
        "heavy = [m for m in ('ipywidgets', 'matplotlib', 'IPython', 'sympy') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_submodules_load_on_attribute_access():
    assert widgets.chain_rule.NudgeExplorer.__name__ == "NudgeExplorer"
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        widgets.nonexistent


@pytest.mark.parametrize("value, expected", [("autograde", True), ("validate", True), ("", False)])
def test_grading_reads_nbgrader_execution(value, expected):
    assert widgets.grading({"NBGRADER_EXECUTION": value}) is expected


def test_show_does_nothing_while_nbgrader_grades(monkeypatch, capsys):
    calls = []
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert widgets.show(lambda: calls.append("built")) is None
    assert calls == [] and capsys.readouterr().out == ""


def test_show_builds_and_displays_the_view(monkeypatch, capsys):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)

    class Built:
        view = "the view"

    assert widgets.show(Built) is None
    assert capsys.readouterr().out.strip() == "the view"


def test_show_rejects_what_cannot_build():
    with pytest.raises(TypeError, match="build should be a callable"):
        widgets.show("NudgeExplorer")


def test_every_widget_module_on_disk_is_reachable_as_an_attribute():
    from pathlib import Path

    on_disk = {p.stem for p in Path(widgets.__file__).parent.glob("*.py") if not p.stem.startswith("_")}
    assert {"chain_rule", "activations", "scalar_network"} <= on_disk
    assert set(widgets._SUBMODULES) == on_disk and on_disk <= set(dir(widgets))
    for name in on_disk:
        assert getattr(widgets, name).__name__ == f"course_pkg.widgets.{name}"
