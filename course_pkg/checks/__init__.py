"""Graded exercises as data: one spec module per notebook, one runner (:mod:`.engine`).

Every graded exercise is a spec whose ``id`` is the nbgrader ``grade_id`` of its test cell. The
spec module of assignment ``NN-some-topic`` is ``course_pkg.checks.some_topic``
(``03-scalar-network`` -> :mod:`course_pkg.checks.scalar_network`); it holds ``ASSIGNMENT``,
``SPECS`` and the notebook's ``check(grade_id, *objects, hidden=False)``.

* :func:`specs` ``(assignment) -> {grade_id: spec}``; :func:`spec_for` ``(assignment, grade_id)``;
* :func:`course_pkg.checks.engine.run` ``(spec, learner, *, hidden, seed=None) -> Outcome``;
* :mod:`course_pkg.checks.learner`: the :class:`~course_pkg.checks.learner.Learner` protocol.

Nothing heavy is imported until a spec module is asked for.
"""

import re as _re
from importlib import import_module as _import_module

__all__ = ["specs", "spec_for", "module_name"]

_ASSIGNMENT = _re.compile(r"^\d\d-[a-z0-9]+(?:-[a-z0-9]+)*$")


def module_name(assignment):
    """The spec module of an assignment folder name.

    >>> module_name("03-scalar-network")
    'course_pkg.checks.scalar_network'
    """
    if not isinstance(assignment, str) or not _ASSIGNMENT.match(assignment):
        raise ValueError(
            f"assignment must be a folder name such as '03-scalar-network'; got {assignment!r}")
    return f"{__name__}.{assignment[3:].replace('-', '_')}"


def specs(assignment):
    """Every graded exercise of ``assignment``: ``{grade_id: spec}``.

    """
    try:
        module = _import_module(module_name(assignment))
    except ModuleNotFoundError:
        raise ValueError(f"assignment {assignment!r} has no spec module {module_name(assignment)}") from None
    if getattr(module, "ASSIGNMENT", None) != assignment or not hasattr(module, "SPECS"):
        raise ValueError(f"assignment {assignment!r}: {module.__name__} is not a spec module "
                         "(it needs ASSIGNMENT and SPECS)")
    return {spec.id: spec for spec in module.SPECS}


def spec_for(assignment, grade_id):
    """The spec of one graded cell.
    """
    table = specs(assignment)
    if grade_id not in table:
        raise ValueError(f"grade_id of {assignment} must be one of {sorted(table)}; got {grade_id!r}")
    return table[grade_id]
