"""The misconception report (`python -m course_pkg.grading report ASSIGNMENT`).

Two levels:

* its counting, on outcome dicts and on notebooks written here (no grading): categories, order,
  the CSV's rows, a self-contained HTML page that escapes what it shows, clear errors;
* end to end, on a class with PLANTED mistakes: notebook 01's learners are built from the
  engine's own misconception probes (each probe's ``wrong=`` variant typed into the learner's
  cell: the wrong formula for a typed answer, ``engine.probe_answer``; the wrong lambda's body for
  ``central_difference``),
  graded by ``python -m course_pkg.grading autograde --jobs 2`` on PostgreSQL through the trusted
  grader; the report's counts must equal what was planted, exercise by exercise.
"""

import ast
import builtins
import csv
import inspect
import io
import json
import re
import textwrap

import nbformat
import pytest

from classroom import grade_cells, solution_cells, tail

from course_pkg.checks import engine, specs
from course_pkg.grading import report
from course_pkg.grading.__main__ import main

OK = {"passed": True, "kind": "ok", "message": "All cases pass.", "case": None}
BLANK = {"passed": False, "kind": "not_written", "message": "central_difference is not written yet.", "case": None}


def _fail(kind, case="cubic", message="A message."):
    return {"passed": False, "kind": kind, "message": message, "case": case}


# ------------------------------------------------------------------------------------------------
# counting, CSV, HTML


def test_tally_counts_every_category():
    outcomes = {
        "ann": {"ex1": OK, "ex2": OK},
        "bo": {"ex1": _fail("forward_difference"), "ex2": BLANK},
        "cy": {"ex1": _fail("forward_difference", case="array"), "ex2": _fail("error")},
        "di": {"ex1": BLANK, "ex2": None},
        "ed": {"ex1": _fail("sign")},
    }
    ex1, ex2 = report.tally([("ex1", 2.0), ("ex2", 1.0)], outcomes)
    assert ex1.learners == ex2.learners == 5
    assert ex1.rows() == [("passed", "passed", 1), ("forward_difference", "misconception", 2),
                          ("sign", "misconception", 1), ("not_written", "not_written", 1)]
    assert dict(ex1.cases["forward_difference"]) == {"cubic": 1, "array": 1}
    assert ex2.rows() == [("passed", "passed", 1), ("not_written", "not_written", 1),
                          ("error", "other", 1), ("no_verdict", "no_verdict", 2)]
    assert sum(n for *_, n in ex1.rows()) == sum(n for *_, n in ex2.rows()) == 5


def test_every_kind_is_sorted_into_one_category():
    """Each word of the engine's vocabulary is a misconception, blank, or another failure; every
    misconception the engine lists counts as one, and the runner's plain failures do not."""
    assert set(engine.MISCONCEPTIONS) <= report.named_misconceptions()
    assert not {"error", "shape", "timeout", "wrong", "not_written"} & report.named_misconceptions()
    for kind in engine.KINDS:
        got = report.category({"passed": False, "kind": kind, "message": "", "case": None})
        expected = ("not_written" if kind in ("not_written", "missing")
                    else "misconception" if kind in report.named_misconceptions() else "other")
        assert got == expected, kind


def test_csv_has_one_row_per_exercise_and_outcome():
    tallies = report.tally([("ex1", 2.0)], {"a": {"ex1": OK}, "b": {"ex1": _fail("sign")}, "c": {"ex1": _fail("sign", "array")}})
    rows = list(csv.DictReader(io.StringIO(report.to_csv("01-chain-rule", tallies))))
    assert [(r["exercise"], r["outcome"], r["category"], r["count"], r["learners"]) for r in rows] == [
        ("ex1", "passed", "passed", "1", "3"), ("ex1", "sign", "misconception", "2", "3")]
    assert rows[1]["share"] == "0.667" and rows[1]["cases"] == "array: 1; cubic: 1"
    assert tuple(rows[0]) == report.CSV_COLUMNS


def test_html_is_self_contained_and_escapes_what_it_shows():
    nasty = '<script>alert("x")</script> & <img src="http://example.org/x.png">'
    tallies = report.tally([("ex1", 2.0), ("ex2", 1.0)],
                           {"a": {"ex1": _fail("sign", case=nasty, message=nasty), "ex2": OK}})
    page = report.to_html("01-chain-rule", tallies)
    assert page.count("<svg") == 2, "one bar chart per exercise"
    assert "<script" not in page and "<img" not in page and "&lt;script&gt;" in page
    assert not re.search(r"""<[^>]*\s(src|href)\s*=|@import|url\(""", page), "the page must not fetch anything"
    assert 'data-outcome="sign" data-category="misconception" data-count="1"' in page


def _autograded(tmp_path, learner, cells):
    """A minimal autograded notebook: one grade cell per (grade_id, stored metadata)."""
    nb = nbformat.v4.new_notebook()
    for grade_id, stored in cells:
        cell = nbformat.v4.new_code_cell("checks.check(...)")
        cell.metadata["nbgrader"] = {"grade": True, "grade_id": grade_id, "points": 2, "solution": False, "locked": True}
        if stored is not None:
            cell.metadata["course_pkg"] = stored
        nb.cells.append(cell)
    path = tmp_path / f"{learner}.ipynb"
    nbformat.write(nb, path)
    return path


def test_read_outcomes_takes_the_stored_verdicts_in_notebook_order(tmp_path):
    paths = {
        "ann": _autograded(tmp_path, "ann", [("ex2", {"outcome": OK}), ("ex1", {"outcome": _fail("sign")})]),
        "bo": _autograded(tmp_path, "bo", [("ex2", None), ("ex1", {"outcome": OK})]),
    }
    exercises, outcomes = report.read_outcomes(paths)
    assert exercises == [("ex2", 2.0), ("ex1", 2.0)]
    assert outcomes == {"ann": {"ex2": OK, "ex1": _fail("sign")}, "bo": {"ex2": None, "ex1": OK}}


def test_a_malformed_stored_outcome_is_refused(tmp_path):
    paths = {"ann": _autograded(tmp_path, "ann", [("ex1", {"outcome": "wrong"})])}
    with pytest.raises(report.ReportError, match="a stored outcome must be Outcome.to_dict"):
        report.read_outcomes(paths)


def test_nothing_autograded_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    assert main(["report", "01-chain-rule", "--course-dir", str(tmp_path)]) == 2
    assert "assignment must have autograded notebooks in" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------
# planted mistakes, graded for real

ASSIGNMENT = "01-chain-rule"
PLANTED = ("p0", "p1", "p2", "p3")
#: What a learner who kept the release's stub should get: the report's "left blank" category
#: (kind "not_written", or "missing" for a typed answer whose cell still raises).
LEFT_BLANK = "(blank)"
#: Names a planted central_difference body may use (the rest of the spec module is not there).
FREE_NAMES = {"f", "x", "h"} | set(dir(builtins))


def _lambda_body(wrong):
    """The source of a probe's ``lambda f, x, h=...: BODY``, if BODY uses only f, x and h."""
    if not inspect.isfunction(wrong) or wrong.__name__ != "<lambda>":
        return None
    source = inspect.getsource(inspect.getmodule(wrong))
    found = [node for node in ast.walk(ast.parse(source))
             if isinstance(node, ast.Lambda) and node.lineno == wrong.__code__.co_firstlineno]
    if len(found) != 1 or [a.arg for a in found[0].args.args] != ["f", "x", "h"]:
        return None
    names = {n.id for n in ast.walk(found[0].body) if isinstance(n, ast.Name)}
    return ast.get_source_segment(source, found[0].body) if names <= FREE_NAMES else None


def _plan():
    """{learner: {solution grade_id: source}} and {learner: {test grade_id: expected outcome}}."""
    table = specs(ASSIGNMENT)
    formula = {gid: s for gid, s in table.items() if isinstance(s, engine.Formula)}
    central = {gid: s for gid, s in table.items() if isinstance(s, engine.Function) and s.name == "central_difference"}
    assert formula and central, f"{ASSIGNMENT}'s specs changed: {sorted(table)}"
    # The central_difference variants every central_difference spec names (body -> kind per spec).
    bodies = {}
    for gid, spec in central.items():
        for probe in spec.probes:
            body = _lambda_body(probe.wrong)
            if body is not None:
                bodies.setdefault(body, {}).setdefault(gid, probe.kind)
    usable = [b for b, kinds in bodies.items() if set(kinds) == set(central)]
    assert len(usable) >= 3, f"too few plantable central_difference probes: {bodies}"

    sources, expected = {}, {}
    for i, learner in enumerate(PLANTED):
        sources[learner], expected[learner] = {}, {}
        for gid, spec in formula.items():
            answers = [(p, engine.probe_answer(spec, p)) for p in spec.probes]
            answers = [(p, text) for p, text in answers if isinstance(text, str)]
            probe, text = answers[i % len(answers)]
            sources[learner][spec.name] = f"{spec.name} = {text!r}\n"
            expected[learner][gid] = probe.kind
        if learner == PLANTED[-1]:  # the last one leaves central_difference as released
            for gid in central:
                expected[learner][gid] = LEFT_BLANK
        else:
            body = usable[i % len(usable)]
            sources[learner]["central_difference"] = f"def central_difference(f, x, h=1e-5):\n    return {body}\n"
            for gid in central:
                expected[learner][gid] = bodies[body][gid]
    return sources, expected


def _planted_notebook(source_nb, release_nb, replacements):
    """The solved notebook; solution cells named in ``replacements`` get that code; for a
    learner who left central_difference as released, that cell is the release's stub."""
    stubs = {c.metadata.nbgrader.grade_id: c.source for c in solution_cells(release_nb)}
    for cell in solution_cells(source_nb):
        grade_id = cell.metadata.nbgrader.grade_id
        if grade_id in replacements:
            cell.source = replacements[grade_id]
        elif grade_id == "central_difference" and "central_difference" not in replacements:
            cell.source = stubs[grade_id]
    return source_nb


@pytest.fixture(scope="module")
def planted(make_course):
    course = make_course([ASSIGNMENT])
    sources, expected = _plan()
    release = course.release(ASSIGNMENT)
    answer_cells = {c.metadata.nbgrader.grade_id for c in solution_cells(release)}
    for learner in PLANTED:
        replacements = {}
        for name, code in sources[learner].items():
            (grade_id,) = [g for g in answer_cells if g == name]
            replacements[grade_id] = code
        course.submit(learner, ASSIGNMENT, _planted_notebook(course.source(ASSIGNMENT), release, replacements))
    course.submit("solved", ASSIGNMENT, course.source(ASSIGNMENT))
    course.submit("blank", ASSIGNMENT, release)
    graded = course.run("python", "-m", "course_pkg.grading", "autograde", ASSIGNMENT, "--jobs", "2")
    made = course.run("python", "-m", "course_pkg.grading", "report", ASSIGNMENT)
    exercises = [c.metadata.nbgrader.grade_id for c in grade_cells(course.source(ASSIGNMENT))]
    for gid in exercises:
        expected["solved"] = {**expected.get("solved", {}), gid: "passed"}
        expected["blank"] = {**expected.get("blank", {}), gid: LEFT_BLANK}
    return course, graded, made, expected, exercises


def test_grading_and_report_commands_succeed(planted):
    course, graded, made, *_ = planted
    assert graded.returncode == 0, tail(graded)
    assert made.returncode == 0, tail(made)
    assert made.stdout.split() == [str(course.root / "reports" / f"{ASSIGNMENT}.{ext}") for ext in ("csv", "html")]


def test_every_autograded_cell_holds_a_structured_outcome(planted):
    """The trusted grader stored an Outcome dict in every grade cell of every learner."""
    course, *_ = planted
    for path in sorted((course.root / "autograded").glob(f"*/{ASSIGNMENT}/*.ipynb")):
        for cell in grade_cells(nbformat.read(path, as_version=4)):
            stored = cell.metadata.get("course_pkg", {}).get("outcome")
            assert stored is not None, f"{path}: {cell.metadata.nbgrader.grade_id} has no stored outcome"
            engine.Outcome.from_dict(stored)


def test_counts_match_what_was_planted(planted):
    """For every exercise and outcome, the CSV's count is the number of learners planted with it."""
    course, _, _, expected, exercises = planted
    with open(course.root / "reports" / f"{ASSIGNMENT}.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    got = {}
    for r in rows:
        key = (r["exercise"], LEFT_BLANK if r["category"] == "not_written" else r["outcome"])
        got[key] = got.get(key, 0) + int(r["count"])
    want = {}
    for learner, cells in expected.items():
        for gid, outcome in cells.items():
            want[gid, outcome] = want.get((gid, outcome), 0) + 1
    assert got == want
    assert [r["exercise"] for r in rows] == sorted((r["exercise"] for r in rows), key=exercises.index)
    assert {r["learners"] for r in rows} == {str(len(expected))}
    kinds = {r["outcome"]: r["category"] for r in rows}
    assert all(kinds[k] == "misconception" for learner in PLANTED for k in expected[learner].values()
               if k != LEFT_BLANK)


def test_html_report_shows_the_same_counts(planted):
    course, _, _, expected, exercises = planted
    page = (course.root / "reports" / f"{ASSIGNMENT}.html").read_text()
    assert page.count("<svg") == len(exercises)
    assert not re.search(r"""<[^>]*\s(src|href)\s*=|@import|url\(""", page)
    for gid in exercises:
        section = page.split(f'<section id="{gid}">', 1)[1].split("</section>", 1)[0]
        counts = {}
        for outcome in (cells[gid] for cells in expected.values()):
            counts[outcome] = counts.get(outcome, 0) + 1
        bars = {}
        for outcome, kind, count in re.findall(
                r'data-outcome="([^"]+)" data-category="([^"]+)" data-count="(\d+)"', section):
            key = LEFT_BLANK if kind == "not_written" else outcome
            bars[key] = bars.get(key, 0) + int(count)
        assert bars == counts, gid
