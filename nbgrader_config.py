"""nbgrader configuration for the course (run nbgrader from the repository root).

The source notebooks (with solutions and hidden tests) live in ``source/<assignment>/``;
``nbgrader generate_assignment 01-chain-rule`` writes the student version to ``notebooks/``, the
learner's version committed in the repository (``python -m course_pkg.release`` writes the same
files for every assignment without touching the gradebook).
"""

import os

c = get_config()  # noqa: F821 (injected by traitlets)

c.CourseDirectory.course_id = "backprop-course"
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
# The gradebook: SQLite in the course folder for one instructor; for a class graded by several
# processes at once, a PostgreSQL server, e.g.
#   export COURSE_GRADEBOOK_URL="postgresql+psycopg://grader@db.example.org:5432/backprop"
c.CourseDirectory.db_url = os.environ.get("COURSE_GRADEBOOK_URL") or "sqlite:///gradebook.db"

# Assignments are the folders under source/ (01-chain-rule, 02-activations, ...);
# `nbgrader generate_assignment NAME` registers each in the gradebook the first time.
c.GenerateAssignment.create_assignment = True
c.Autograde.create_student = True

# A cell that runs for longer than this is stopped and scored 0 (nbgrader's own Execute, used
# only by `nbgrader validate`; autograde never runs the learner's code in a kernel, see below).
c.ExecutePreprocessor.timeout = 120

# Trusted grading (course_pkg.grading): nbgrader's Execute is replaced by TrustedGrade, which
# runs the learner's code in a bubblewrap sandbox and grades every test cell with the course's
# engine in this process; the rest of nbgrader's pipeline is unchanged. Hidden tests are seeded
# by the secret in COURSE_GRADING_SECRET (see the README's instructors' section).
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "course_pkg.grading.nbgrader.CheckClaims",  # a cell's nbgrader metadata comes from the gradebook
    "nbgrader.preprocessors.DeduplicateIds",
    "course_pkg.grading.nbgrader.CheckClaims",  # again: DeduplicateIds leaves empty metadata behind
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Autograde.autograde_preprocessors = [
    "course_pkg.grading.nbgrader.TrustedGrade",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
# Feedback shows the test cells without their hidden part.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "course_pkg.grading.nbgrader.HideHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
