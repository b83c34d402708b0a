r"""The symbolic engine: read answers safely, check them fast, say what is wrong.

Public API (a contract for the notebooks and the graders)::

    from course_pkg.symbolic import (
        parse_answer, equivalent, check_derivation, Verdict, AnswerFormatError,
        sigmoid, relu, to_text, to_latex, TIME_LIMIT,
    )

* :func:`parse_answer` ``(text, variables=None) -> sympy.Expr``: reads typed text through an
  ``ast`` whitelist, never ``eval``; raises :class:`AnswerFormatError` (a ``ValueError``) that
  points at the offending part. See :mod:`course_pkg.symbolic.parsing` for what is accepted and
  for the rule about the name ``e`` (a variable if declared, else Euler's number).
* :func:`equivalent` ``(answer, expected, variables=None) -> Verdict``: high-precision evaluation
  at random points away from kinks, in a worker process killed after :data:`TIME_LIMIT` seconds;
  targeted feedback in :attr:`Verdict.kind` and :attr:`Verdict.message`.
* :func:`check_derivation` ``(steps, variables=None, titles=None) -> Verdict`` with
  :attr:`Verdict.failed_step`.
* :class:`sigmoid` is a SymPy function (:math:`\sigma`, differentiates to
  :math:`\sigma(1 - \sigma)`); :func:`relu` builds ``Max(0, z)``.

Examples
--------
>>> from course_pkg.symbolic import equivalent
>>> v = equivalent("σ(z)(1 − σ(z))", "exp(-z)/(1 + exp(-z))^2")
>>> v.ok, v.kind
(True, 'equivalent')
>>> equivalent("sigmoid(z)", "sigmoid(z)*(1 - sigmoid(z))").kind
'missing_factor'
"""

from .chain import chain_links
from .equivalence import ANSWER_TIME_LIMIT, MAX_STEPS, QuotientRule, check_derivation, equivalent, quotient_rule
from .leaks import exported_answers, leaks
from .twin import evaluate_answer
from .parsing import ALLOWED_FUNCTIONS, AnswerFormatError, parse_answer, relu, sigmoid
from .verdict import KINDS, Verdict, to_latex, to_text
from .worker import TIME_LIMIT

__all__ = [
    "parse_answer",
    "equivalent",
    "check_derivation",
    "Verdict",
    "AnswerFormatError",
    "sigmoid",
    "relu",
    "to_text",
    "to_latex",
    "KINDS",
    "ALLOWED_FUNCTIONS",
    "TIME_LIMIT",
    "chain_links",
    "leaks",
    "exported_answers",
    "evaluate_answer",
    "quotient_rule",
    "QuotientRule",
    "MAX_STEPS",
    "ANSWER_TIME_LIMIT",
]
