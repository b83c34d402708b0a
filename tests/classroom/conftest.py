"""Fixtures for grading a whole class: a real PostgreSQL server and temporary nbgrader courses.

* ``postgres`` (session): one throwaway PostgreSQL 15 server on localhost (``classroom.py``),
  stopped and deleted at the end of the session, also when a test failed.
* ``make_course`` (session): ``make_course(["02-activations"])`` copies ``nbgrader_config.py`` and
  those assignments' source into a fresh folder, gives it its own new database on that server
  (``COURSE_GRADEBOOK_URL``), and releases them with ``nbgrader generate_assignment``.
"""

import itertools
import pathlib
import shutil
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from classroom import ROOT, Course, TemporaryPostgres, tail  # noqa: E402


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server on a free localhost port, for the whole session."""
    with TemporaryPostgres() as server:
        yield server


@pytest.fixture(scope="session")
def make_course(postgres, tmp_path_factory):
    """A factory of released nbgrader courses, each with its own database on ``postgres``."""
    numbers = itertools.count(1)

    def make(assignments):
        number = next(numbers)
        root = tmp_path_factory.mktemp(f"course{number}")
        shutil.copy(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
        for assignment in assignments:
            shutil.copytree(ROOT / "source" / assignment, root / "source" / assignment,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        course = Course(root, postgres.create_database(f"course{number}"))
        for assignment in assignments:
            proc = course.nbgrader("generate_assignment", assignment)
            assert proc.returncode == 0, f"generate_assignment {assignment}: {tail(proc)}"
        return course

    return make
