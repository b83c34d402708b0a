"""Trusted grading: official scores computed where the learner's code cannot reach.

The in-notebook checks (:mod:`course_pkg.checks`) give instant feedback, but they run in the
learner's kernel, where the learner's code can replace anything. The score recorded in the
gradebook is computed here instead:

* :mod:`course_pkg.grading.sandbox` starts the learner's code in a separate process under
  bubblewrap (read-only system, no network, own pid namespace, unprivileged, rlimits);
* :mod:`course_pkg.grading.worker` runs inside it: it executes the notebook's code cells and
  answers plain-data questions (:mod:`course_pkg.grading.protocol`: JSON and ``.npy``, never
  pickle);
* :class:`course_pkg.grading.learner.SandboxLearner` is the trusted side of that conversation:
  it implements the engine's ``Learner`` protocol, so every spec of :mod:`course_pkg.checks`
  runs, with its references, only in the trusted process;
* :class:`course_pkg.grading.nbgrader.TrustedGrade` is the nbgrader preprocessor that replaces
  nbgrader's ``Execute`` in ``Autograde.autograde_preprocessors`` and writes each grade cell's
  outcome, so ``nbgrader autograde``, ``generate_feedback``, the formgrader and ``export`` show
  the trusted scores.

Hidden-test inputs are drawn from :func:`seed_for`, keyed by the per-course secret in the
environment variable ``COURSE_GRADING_SECRET``.

>>> seed_for("01-chain-rule", "test_central_difference_hidden", secret="s3cret") == \\
...     seed_for("01-chain-rule", "test_central_difference_hidden", secret="s3cret")
True
>>> seed_for("01-chain-rule", "a", secret="x") != seed_for("01-chain-rule", "a", secret="y")
True
"""

import hashlib
import hmac
import logging
import os

log = logging.getLogger(__name__)

#: The environment variable that holds the course's grading secret.
SECRET_ENV = "COURSE_GRADING_SECRET"
#: Used when the variable is unset: fine for development, never for a real course.
DEVELOPMENT_SECRET = "development-secret-do-not-use-for-a-real-course"


def secret():
    """The course's grading secret (``$COURSE_GRADING_SECRET``), or the development default."""
    value = os.environ.get(SECRET_ENV, "")
    if value:
        return value
    if not getattr(secret, "_warned", False):
        secret._warned = True
        log.warning("%s is not set: hidden tests use the DEVELOPMENT secret, which anyone who "
                    "reads course_pkg knows. Set it (e.g. `export %s=$(openssl rand -hex 32)`) "
                    "before grading a real class.", SECRET_ENV, SECRET_ENV)
    return DEVELOPMENT_SECRET


def using_development_secret():
    return not os.environ.get(SECRET_ENV, "")


def seed_for(assignment, grade_id, *, secret=None):
    """The seed of one grade cell's hidden tests: HMAC-SHA256(secret, assignment/grade_id).

    Parameters
    ----------
    assignment, grade_id : str
        The nbgrader assignment (``"02-activations"``) and the grade cell's ``grade_id``.
    secret : str, optional
        Defaults to :func:`secret` (``$COURSE_GRADING_SECRET``).

    Returns
    -------
    int
        A 63-bit seed: the same for every learner and every re-grade, unknowable without the
        secret.
    """
    key = (secret if secret is not None else globals()["secret"]()).encode("utf-8")
    digest = hmac.new(key, f"{assignment}/{grade_id}".encode("utf-8"), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") >> 1
