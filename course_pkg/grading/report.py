"""The misconception report: what a class got wrong, exercise by exercise, from the trusted grades.

The trusted grader stores each graded cell's structured verdict in the autograded notebook, as
``cell.metadata["course_pkg"]["outcome"]`` (``engine.Outcome.to_dict()``: ``passed``, ``kind``,
``message``, ``case``). This module reads those dicts, never the message text, and counts, for
every exercise (graded cell, in notebook order), how many learners

* passed it (``passed`` true);
* hit each named misconception (a ``kind`` of ``engine.MISCONCEPTIONS``, a symbolic diagnosis
  such as ``missing_factor``, or a kind one of the assignment's probes names: see
  ``named_misconceptions``);
* left it blank (``kind`` ``"not_written"``: the stub kept; or ``"missing"``: the name never
  defined, as when a typed-answer cell still raises ``NotImplementedError``);
* failed it another way (any other kind: ``error``, ``shape``, ``timeout``, ...);
* have no stored verdict (a notebook graded by a pipeline without the trusted grader).

``write_report(assignment)`` writes ``reports/ASSIGNMENT.csv`` (one row per exercise and outcome)
and ``reports/ASSIGNMENT.html``: one self-contained page (inline CSS and SVG bar charts, no
script, no external asset) with a chart per exercise. The command:
``python -m course_pkg.grading report ASSIGNMENT``.
"""

from __future__ import annotations

import collections
import csv
import dataclasses
import html
import io
import json
import os
import pathlib

__all__ = ["ExerciseTally", "ReportError", "read_outcomes", "tally", "to_csv", "to_html", "write_report"]

#: The order and colour of the outcome categories in the charts.
CATEGORIES = {
    "passed": "#2e7d32",
    "misconception": "#c62828",
    "not_written": "#9e9e9e",
    "other": "#ef6c00",
    "no_verdict": "#5c6bc0",
}
#: The CSV's columns.
CSV_COLUMNS = ("assignment", "exercise", "points", "outcome", "category", "learners", "count", "share", "cases")


class ReportError(Exception):
    """The report cannot be written (no such assignment, nothing autograded)."""


#: Failing kinds that mean the learner left the exercise blank (stub kept, or name never defined).
BLANK_KINDS = frozenset({"not_written", "missing"})


def named_misconceptions(assignment=None):
    """The kinds that name a misconception: the engine's ``MISCONCEPTIONS``, the symbolic
    checker's diagnoses (``sign``, ``missing_factor``, ...) and every kind a probe of the
    assignment's specs names; the runner's other kinds (``error``, ``shape``, ...) are not.

    >>> {"forward_difference", "sign", "missing_factor"} <= named_misconceptions("01-chain-rule")
    True
    >>> "error" in named_misconceptions()
    False
    """
    from course_pkg import symbolic
    from course_pkg.checks import engine, specs

    kinds = set(engine.MISCONCEPTIONS)
    kinds |= set(symbolic.KINDS) - set(engine.RUNNER_KINDS) - {"equivalent", "undefined"}
    if assignment is not None:
        try:
            table = specs(assignment)
        except ValueError:  # no spec module: the engine's vocabulary alone
            table = {}
        kinds |= {probe.kind for spec in table.values() for probe in getattr(spec, "probes", ())}
    return frozenset(kinds)


def _misconceptions():
    return named_misconceptions()


def category(outcome, misconceptions=None):
    """The category of one stored outcome dict (or None when the cell holds no verdict).

    Examples
    --------
    >>> category({"passed": True, "kind": "ok", "message": "", "case": None})
    'passed'
    >>> category({"passed": False, "kind": "forward_difference", "message": "...", "case": "cubic"})
    'misconception'
    >>> category({"passed": False, "kind": "not_written", "message": "...", "case": None})
    'not_written'
    >>> category({"passed": False, "kind": "missing", "message": "...", "case": None})
    'not_written'
    >>> category({"passed": False, "kind": "error", "message": "...", "case": "array"})
    'other'
    >>> category(None)
    'no_verdict'
    """
    if outcome is None:
        return "no_verdict"
    if outcome["passed"]:
        return "passed"
    if outcome["kind"] in BLANK_KINDS:
        return "not_written"
    if outcome["kind"] in (_misconceptions() if misconceptions is None else misconceptions):
        return "misconception"
    return "other"


@dataclasses.dataclass
class ExerciseTally:
    """The counts of one exercise: ``outcomes`` maps an outcome (``"passed"``, a kind, or
    ``"no_verdict"``) to how many learners had it; ``cases`` maps a failing kind to a Counter of
    the case classes it failed on; ``examples`` maps a kind to one message a learner read."""

    exercise: str
    points: float
    learners: int
    outcomes: collections.Counter
    categories: dict
    cases: dict
    examples: dict

    @property
    def passed(self):
        return self.outcomes.get("passed", 0)

    @property
    def not_written(self):
        return self.outcomes.get("not_written", 0)

    def rows(self):
        """(outcome, category, count) in chart order: passed, misconceptions, blank, other, none."""
        order = list(CATEGORIES)
        return sorted(((o, self.categories[o], n) for o, n in self.outcomes.items()),
                      key=lambda row: (order.index(row[1]), -row[2], row[0]))


def _outcome_of(cell):
    stored = cell.get("metadata", {}).get("course_pkg", {}).get("outcome")
    if stored is None:
        return None
    if not isinstance(stored, dict) or not {"passed", "kind"} <= set(stored):
        raise ReportError(f"a stored outcome must be Outcome.to_dict(); got {stored!r}")
    return stored


def read_outcomes(paths):
    """Read the graded cells of autograded notebooks.

    Parameters
    ----------
    paths : mapping of str to path
        Learner -> their autograded notebook.

    Returns
    -------
    exercises : list of (grade_id, points)
        The graded cells, in notebook order (the first notebook's order, then any new ones).
    outcomes : dict of str to dict of str to (dict or None)
        Learner -> grade_id -> the stored outcome dict (None when the cell holds none).
    """
    exercises, seen, outcomes = [], set(), {}
    for learner, path in sorted(paths.items()):
        with open(path, encoding="utf-8") as fh:
            nb = json.load(fh)
        cells = {}
        for cell in nb.get("cells", []):
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if not meta.get("grade") or "grade_id" not in meta:
                continue
            grade_id = meta["grade_id"]
            if grade_id not in seen:
                seen.add(grade_id)
                exercises.append((grade_id, float(meta.get("points", 0))))
            cells[grade_id] = _outcome_of(cell)
        outcomes[learner] = cells
    return exercises, outcomes


def tally(exercises, outcomes, misconceptions=None):
    """Count the outcomes of every exercise over the learners.

    Parameters
    ----------
    exercises : list of (grade_id, points)
    outcomes : dict of str to dict of str to (dict or None)
        Learner -> grade_id -> stored outcome dict; a learner without an entry for an exercise
        counts as ``"no_verdict"`` for it.
    misconceptions : set of str, optional
        The named misconceptions (default: ``engine.MISCONCEPTIONS``).

    Returns
    -------
    list of ExerciseTally, in the order of ``exercises``

    Examples
    --------
    >>> ok = {"passed": True, "kind": "ok", "message": "", "case": None}
    >>> fwd = {"passed": False, "kind": "forward_difference", "message": "Forward.", "case": "cubic"}
    >>> blank = {"passed": False, "kind": "not_written", "message": "Not yet.", "case": None}
    >>> (t,) = tally([("test_cd", 2.0)], {"ann": {"test_cd": ok}, "bo": {"test_cd": fwd},
    ...                                  "cy": {"test_cd": fwd}, "di": {"test_cd": blank}})
    >>> t.learners, t.passed, t.outcomes["forward_difference"], t.not_written
    (4, 1, 2, 1)
    >>> t.rows()
    [('passed', 'passed', 1), ('forward_difference', 'misconception', 2), ('not_written', 'not_written', 1)]
    >>> dict(t.cases["forward_difference"])
    {'cubic': 2}
    """
    misconceptions = _misconceptions() if misconceptions is None else misconceptions
    tallies = []
    for grade_id, points in exercises:
        counts, categories = collections.Counter(), {}
        cases, examples = collections.defaultdict(collections.Counter), {}
        for learner in sorted(outcomes):
            outcome = outcomes[learner].get(grade_id)
            kind = category(outcome, misconceptions)
            name = kind if kind in ("passed", "no_verdict") else outcome["kind"]
            counts[name] += 1
            categories[name] = kind
            if kind not in ("passed", "no_verdict"):
                if outcome.get("case"):
                    cases[name][outcome["case"]] += 1
                examples.setdefault(name, outcome.get("message", ""))
        tallies.append(ExerciseTally(grade_id, points, len(outcomes), counts, categories, dict(cases), examples))
    return tallies


def to_csv(assignment, tallies):
    """The report as CSV text: one row per exercise and outcome (``CSV_COLUMNS``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for t in tallies:
        for outcome, kind, count in t.rows():
            share = count / t.learners if t.learners else 0.0
            cases = "; ".join(f"{c}: {n}" for c, n in sorted(t.cases.get(outcome, {}).items(), key=lambda x: (-x[1], x[0])))
            writer.writerow([assignment, t.exercise, f"{t.points:g}", outcome, kind, t.learners, count,
                             f"{share:.3f}", cases])
    return out.getvalue()


_BAR_HEIGHT, _BAR_GAP, _LABEL_WIDTH, _CHART_WIDTH = 22, 6, 230, 360


def _svg_chart(t):
    """A horizontal bar chart of one exercise's outcomes, as an inline SVG element."""
    rows = t.rows()
    height = len(rows) * (_BAR_HEIGHT + _BAR_GAP) + _BAR_GAP
    width = _LABEL_WIDTH + _CHART_WIDTH + 70
    title = f"{t.exercise}: outcomes of {t.learners} learners"
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(title)}">',
             f"<title>{html.escape(title)}</title>"]
    for i, (outcome, kind, count) in enumerate(rows):
        y = _BAR_GAP + i * (_BAR_HEIGHT + _BAR_GAP)
        length = 0 if not t.learners else round(_CHART_WIDTH * count / t.learners, 1)
        label = outcome.replace("_", " ")
        parts.append(
            f'<text x="{_LABEL_WIDTH - 8}" y="{y + _BAR_HEIGHT * 0.7:.1f}" text-anchor="end">{html.escape(label)}</text>'
            f'<rect class="bar {kind}" x="{_LABEL_WIDTH}" y="{y}" width="{length}" height="{_BAR_HEIGHT}" '
            f'fill="{CATEGORIES[kind]}" data-outcome="{html.escape(outcome)}" data-category="{kind}" '
            f'data-count="{count}"/>'
            f'<text x="{_LABEL_WIDTH + length + 6}" y="{y + _BAR_HEIGHT * 0.7:.1f}">{count}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def to_html(assignment, tallies):
    """The report as one self-contained HTML page (inline CSS and SVG, nothing fetched)."""
    learners = max((t.learners for t in tallies), default=0)
    legend = "".join(
        f'<span class="key"><span class="swatch" style="background:{colour}"></span>{name.replace("_", " ")}</span>'
        for name, colour in CATEGORIES.items()
    )
    sections = []
    for t in tallies:
        explained = []
        for outcome, kind, count in t.rows():
            if kind in ("passed", "no_verdict"):
                continue
            cases = ", ".join(f"{html.escape(c)} ({n})" for c, n in sorted(t.cases.get(outcome, {}).items(), key=lambda x: (-x[1], x[0])))
            example = html.escape(t.examples.get(outcome, ""))
            explained.append(
                f"<tr><td>{html.escape(outcome.replace('_', ' '))}</td><td>{count}</td>"
                f"<td>{cases or '—'}</td><td class=\"message\">{example}</td></tr>"
            )
        table = ("<table><thead><tr><th>outcome</th><th>learners</th><th>failing case classes</th>"
                 "<th>what one learner read</th></tr></thead><tbody>" + "".join(explained) + "</tbody></table>"
                 if explained else "<p>Nobody failed this exercise.</p>")
        sections.append(
            f'<section id="{html.escape(t.exercise)}"><h2>{html.escape(t.exercise)} '
            f'<small>({t.points:g} points)</small></h2>'
            f"<p>{t.passed} of {t.learners} passed, {t.not_written} left it blank.</p>"
            f"{_svg_chart(t)}{table}</section>"
        )
    style = (
        "body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;color:#222}"
        "h2 small{font-weight:normal;color:#666}svg{display:block;margin:.5rem 0;font-size:13px}"
        "table{border-collapse:collapse;margin-bottom:2rem}td,th{border-bottom:1px solid #ddd;padding:.3rem .6rem;"
        "text-align:left;vertical-align:top}td.message{white-space:pre-wrap;font-size:.9em;color:#444}"
        ".key{margin-right:1rem}.swatch{display:inline-block;width:.9em;height:.9em;margin-right:.3em;"
        "vertical-align:middle}"
    )
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>Misconceptions: {html.escape(assignment)}</title><style>{style}</style></head><body>"
        f"<h1>What the class got wrong: {html.escape(assignment)}</h1>"
        f"<p>{learners} autograded learners, {len(tallies)} exercises. Each bar counts the learners "
        "whose stored verdict for the exercise had that outcome: passed, a named misconception, left "
        "blank, another failure, or no stored verdict.</p>"
        f"<p>{legend}</p>{''.join(sections)}</body></html>\n"
    )


def _coursedir(course_dir):
    from course_pkg.grading.parallel import _nbgrader_app

    here = os.getcwd()
    os.chdir(course_dir)
    try:
        return _nbgrader_app(course_dir).coursedir
    finally:
        os.chdir(here)


def autograded_notebooks(assignment, course_dir="."):
    """{learner: autograded notebook path} of an assignment (one notebook per assignment)."""
    import glob
    import re

    course_dir = pathlib.Path(course_dir).resolve()
    if not (course_dir / "nbgrader_config.py").is_file():
        raise ReportError(f"course_dir must hold nbgrader_config.py; got {str(course_dir)!r}, which does not")
    coursedir = _coursedir(course_dir)
    folder = coursedir.format_path(coursedir.autograded_directory, "*", assignment)
    regexp = coursedir.format_path(coursedir.autograded_directory, "(?P<student_id>[^/]+)",
                                   re.escape(assignment), escape=True)
    paths = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.ipynb"))):
        match = re.fullmatch(regexp, os.path.dirname(path))
        if not match:
            continue
        learner = match.group("student_id")
        if learner in paths:
            raise ReportError(f"assignment {assignment!r} must have one notebook per learner; "
                              f"got several for {learner!r}")
        paths[learner] = path
    if not paths:
        raise ReportError(f"assignment must have autograded notebooks in {folder}; got none "
                          f"(run `python -m course_pkg.grading autograde {assignment}` first)")
    return paths


def write_report(assignment, *, course_dir=".", output=None):
    """Write ``ASSIGNMENT.csv`` and ``ASSIGNMENT.html`` into ``output`` (default ``reports/``).

    Returns
    -------
    list of pathlib.Path
        The two files written.
    """
    paths = autograded_notebooks(assignment, course_dir)
    exercises, outcomes = read_outcomes(paths)
    tallies = tally(exercises, outcomes, named_misconceptions(assignment))
    folder = (pathlib.Path(output) if output else pathlib.Path(course_dir) / "reports").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, html_path = folder / f"{assignment}.csv", folder / f"{assignment}.html"
    csv_path.write_text(to_csv(assignment, tallies), encoding="utf-8")
    html_path.write_text(to_html(assignment, tallies), encoding="utf-8")
    return [csv_path, html_path]
