r"""The symbolic engine: read answers safely, check them fast, say what is wrong.

Public API (a contract for the notebooks and the graders)::

    from course_pkg.symbolic import (
        parse_answer, equivalent, check_derivation, Verdict, AnswerFormatError,
        sigmoid, relu, to_text, to_latex, TIME_LIMIT,
        chain_links, quotient_rule, leaks, exported_answers, evaluate_answer,
    )

* :func:`parse_answer` ``(text, variables=None, *, functions=None, evaluate=True) -> sympy.Expr``:
  reads typed text through an ``ast`` whitelist, never ``eval``; raises
  :class:`AnswerFormatError` (a ``ValueError``) that points at the offending part. See
  :mod:`course_pkg.symbolic.parsing` for what is accepted and for the rule about the name ``e``.
  Variables may be typed as the notebooks write them (``θ3`` for ``theta3``, ``ŷ``/``yhat`` for
  ``y_hat``); derivatives of known functions with a prime or a suffix (``σ′(z)``, ``σ'(z)``,
  ``tanh′(z)``, ``sigmoid_prime(z3)``, ``relu_prime(z)``); ``functions={"g": "relu"}`` gives a
  question its own names (``g(z)``, ``g′(z)``). ``evaluate=False``: the expression as written
  (for echoes only). ``derivatives=()`` (or a list of function names) limits which derivatives
  may be written with a prime: a question asking for tanh′ must not accept ``tanh′(z)``.
  :func:`equivalent`, :func:`check_derivation` and :func:`evaluate_answer` take the same
  ``functions`` and ``derivatives`` keywords.
* :func:`equivalent` ``(answer, expected, variables=None, *, timeout=None, links=None,
  functions=None) -> Verdict``: high-precision evaluation at random points on both sides of every
  kink, then at large and tiny magnitudes, in a worker process killed after :data:`TIME_LIMIT`
  seconds; targeted feedback in :attr:`Verdict.kind` and :attr:`Verdict.message`, which never
  shows the expected answer or most of it (every message passes :func:`leaks`; one that does not
  is replaced by words). ``links`` (e.g. ``chain_links("sin(x^2)", "x")``) names the links of
  the chain, so a missing factor is told by name ("the inner derivative (of the square)").
* :func:`check_derivation` ``(steps, variables=None, titles=None, *, timeout=None, first=None,
  min_steps=None, functions=None, max_steps=MAX_STEPS) -> Verdict`` with
  :attr:`Verdict.failed_step`, :attr:`Verdict.step_status` (``start``, ``follows``, ``failed``,
  ``not_a_step``, ``not_checked``, ``unreadable``) and :attr:`Verdict.step_count`. ``first`` is
  the rule line 0 must apply (:func:`quotient_rule`) or an expression (same value, same
  denominator); a line equal to the previous one up to formatting is not a step; at most
  :data:`MAX_STEPS` lines, :data:`ANSWER_TIME_LIMIT` seconds for the whole derivation.
* :attr:`Verdict.echo` (plain text) and :attr:`Verdict.echo_latex` (unevaluated LaTeX): what the
  learner typed, as typed; the Jupyter rendering shows it before the verdict.
* :func:`leaks` ``(message, expected, *, typed=None, variables=None) -> str | None``: the leak
  rule (:mod:`course_pkg.symbolic.leaks`); :func:`exported_answers` ``(module, answers)``: the
  globals of a module that hold an answer (for "no checker module exports an answer" tests).
* :func:`evaluate_answer` ``(answer, points, variables=None, *, functions=None,
  substitutions=None, timeout=None) -> tuple``: a typed answer's values at given points, for
  numeric twins, under the worker's time limit (``Heaviside(0) = 0``).
* :class:`sigmoid` is a SymPy function (:math:`\sigma`, differentiates to
  :math:`\sigma(1 - \sigma)`); :func:`relu` builds ``Max(0, z)``.
* :data:`KINDS`: every verdict kind (``equivalent``, ``format``, ``constant_factor``, ``sign``,
  ``additive_constant``, ``extra_variable``, ``missing_factor``, ``extra_factor``, ``undefined``,
  ``wrong``, ``timeout``, ``first_step``, ``not_a_step``, ``too_few_steps``,
  ``too_many_steps``, ``function_for_derivative``: σ(z) or g(z) where σ′(z) or g′(z) belongs).

Examples
--------
>>> from course_pkg.symbolic import equivalent
>>> v = equivalent("σ(z)(1 − σ(z))", "exp(-z)/(1 + exp(-z))^2")
>>> v.ok, v.kind
(True, 'equivalent')
>>> equivalent("sigmoid(z)", "sigmoid(z)*(1 - sigmoid(z))").kind
'function_for_derivative'
>>> equivalent("cos(x^2)", "2*x*cos(x^2)", links=chain_links("sin(x^2)", "x")).message
'A factor is missing: the inner derivative (of the square). In the chain rule every link contributes a factor.'
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
