"""The gradebook on a real PostgreSQL server: nbgrader's generate → autograde → feedback → export.

``nbgrader_config.py`` reads the gradebook URL from ``COURSE_GRADEBOOK_URL`` (SQLite in the
course folder when it is unset). The module fixture releases 02-activations into a temporary
course whose gradebook is a fresh database on the session's throwaway PostgreSQL server, submits
three learners (solved, one exercise left undone, the release untouched), and runs nbgrader's own
commands one after another, exactly as the README's instructors' section does.
"""

import csv
import pathlib

import pytest
import sqlalchemy
from traitlets.config.loader import PyFileConfigLoader

from classroom import first_exercise_unsolved, grade_cells, tail

ROOT = pathlib.Path(__file__).resolve().parents[2]
ASSIGNMENT = "02-activations"
TOL = 1e-9


def _config_db_url(monkeypatch, value):
    if value is None:
        monkeypatch.delenv("COURSE_GRADEBOOK_URL", raising=False)
    else:
        monkeypatch.setenv("COURSE_GRADEBOOK_URL", value)
    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    return config.CourseDirectory.db_url


def test_gradebook_url_comes_from_the_environment(monkeypatch):
    """COURSE_GRADEBOOK_URL sets the gradebook; unset or empty, it is SQLite in the course folder."""
    url = "postgresql+psycopg://grader@db.example.org:5432/backprop"
    assert _config_db_url(monkeypatch, url) == url
    assert _config_db_url(monkeypatch, None) == "sqlite:///gradebook.db"
    assert _config_db_url(monkeypatch, "") == "sqlite:///gradebook.db"


@pytest.fixture(scope="module")
def graded(make_course):
    course = make_course([ASSIGNMENT])
    course.submit("solved", ASSIGNMENT, course.source(ASSIGNMENT))
    course.submit("partial", ASSIGNMENT, first_exercise_unsolved(course.source(ASSIGNMENT), course.release(ASSIGNMENT)))
    course.submit("untouched", ASSIGNMENT, course.release(ASSIGNMENT))
    steps = {
        "autograde": course.nbgrader("autograde", ASSIGNMENT),
        "generate_feedback": course.nbgrader("generate_feedback", ASSIGNMENT),
        "export": course.nbgrader("export", "--to", "grades.csv"),
    }
    return course, steps


def test_every_step_succeeds(graded):
    """autograde, generate_feedback and export exit 0 against PostgreSQL."""
    _, steps = graded
    for name, proc in steps.items():
        assert proc.returncode == 0, f"nbgrader {name}: {tail(proc)}"


def test_the_gradebook_lives_in_postgres(graded):
    """No SQLite file appears; PostgreSQL's own tables hold the assignment, learners and grades."""
    course, _ = graded
    assert not (course.root / "gradebook.db").exists(), "nbgrader wrote an SQLite gradebook instead"
    engine = sqlalchemy.create_engine(course.db_url)
    try:
        with engine.connect() as db:
            assert db.execute(sqlalchemy.text("select current_setting('server_version_num')::int")).scalar() >= 150000
            names = set(db.execute(sqlalchemy.text("select id from student")).scalars())
            assignments = set(db.execute(sqlalchemy.text("select name from assignment")).scalars())
            grades = db.execute(sqlalchemy.text(
                "select count(*) from grade join submitted_notebook on grade.notebook_id = submitted_notebook.id"
            )).scalar()
    finally:
        engine.dispose()
    assert names == {"solved", "partial", "untouched"}
    assert assignments == {ASSIGNMENT}
    expected_cells = len(grade_cells(course.source(ASSIGNMENT)))
    assert grades == 3 * expected_cells


def test_scores_are_right(graded):
    """The solved notebook earns every point, the untouched release none, the partial one some."""
    course, _ = graded
    scores = course.scores(ASSIGNMENT)
    points = sum(float(c.metadata.nbgrader.points) for c in grade_cells(course.source(ASSIGNMENT)))
    assert abs(scores["solved"][0] - points) <= TOL and abs(scores["solved"][1] - points) <= TOL, scores["solved"]
    assert scores["untouched"][0] == 0, scores["untouched"]
    assert 0 < scores["partial"][0] < points, scores["partial"]


def test_feedback_is_written_for_each_learner(graded):
    """Each learner's HTML feedback states the score the PostgreSQL gradebook holds."""
    course, _ = graded
    scores = course.scores(ASSIGNMENT)
    for student in ("solved", "partial", "untouched"):
        html = list((course.root / "feedback" / student / ASSIGNMENT).glob("*.html"))
        assert html, f"no feedback for {student}"
        score, max_score, _ = scores[student]
        assert f"Score: {score:.1f} / {max_score:.1f}" in html[0].read_text(), student


def test_export_csv_matches_the_gradebook(graded):
    """`nbgrader export` writes one row per learner and assignment, with the gradebook's scores."""
    course, _ = graded
    with open(course.root / "grades.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    scores = course.scores(ASSIGNMENT)
    assert {r["student_id"] for r in rows} == set(scores)
    for row in rows:
        assert row["assignment"] == ASSIGNMENT
        assert abs(float(row["raw_score"]) - scores[row["student_id"]][0]) <= TOL, row
        assert abs(float(row["max_score"]) - scores[row["student_id"]][1]) <= TOL, row
