r"""Checkers for notebook 02 (activation functions and their derivatives).

Each ``check_*`` function is called from an nbgrader test cell with the learner's function. It
computes its own inputs (from its own random generator) and the expected values (from
:mod:`course_pkg.activations`, bound when this module is imported), runs the learner's function
with the reference implementations switched off (:class:`~course_pkg.checks._core.forbid_reference`),
and raises :class:`AssertionError` with a specific message, or prints one line on success.

``hidden=True`` runs the stricter variant used in the hidden tests: other seeds, more shapes and
more edge cases.
"""

import warnings

import numpy as np

from course_pkg import activations as _activations
from course_pkg.checks import _core
from course_pkg.checks._core import (
    _abs,
    _all,
    _array,
    _asarray,
    _float64,
    _isfinite,
    _ndarray,
    as_learner_array,
    assert_close,
    assert_untampered,
    call_learner,
    passed,
    rng,
)

__all__ = [
    "check_sigmoid",
    "check_sigmoid_prime",
    "check_relu",
    "check_relu_prime",
    "check_tanh_derivation",
    "check_tanh_derivation_numerically",
    "TANH_DEFINITION",
    "MIN_DERIVATION_STEPS",
    "assert_untampered",
]

# Reference implementations and numpy functions, bound now: later patching changes nothing here.
_SIGMOID = _activations.sigmoid
_SIGMOID_PRIME = _activations.sigmoid_prime
_RELU = _activations.relu
_RELU_PRIME = _activations.relu_prime
_TANH = _activations.tanh
_TANH_PRIME = _activations.tanh_prime
_linspace = np.linspace
_errstate = np.errstate
_bool_ = np.bool_
_generic = np.generic
_np_tanh = np.tanh

#: Every function of course_pkg.activations (public and private): off limits while a learner's runs.
_FORBIDDEN = tuple(
    getattr(_activations, name)
    for name in sorted(vars(_activations))
    if name.lstrip("_") in _activations.__all__ and callable(getattr(_activations, name))
)

#: Inputs where a naive implementation overflows (np.exp(710) is inf) or loses everything.
LARGE_Z = (-1e4, -1000.0, -745.0, -710.0, -100.0, 100.0, 710.0, 745.0, 1000.0, 1e4)
#: Tolerance for "this is the same function": values are compared entry by entry.
VALUE_RTOL = 1e-6
VALUE_ATOL = 1e-9
#: Fewest lines a derivation must have (so that copying the final answer does not pass).
MIN_DERIVATION_STEPS = 3
#: The definition the tanh derivation starts from (shown in the notebook).
TANH_DEFINITION = "(exp(z) - exp(-z))/(exp(z) + exp(-z))"
#: Hidden check of the derivation: points in (-TANH_Z_MAX, TANH_Z_MAX), central-difference step
#: and the tolerances against that measured slope.
TANH_POINTS = 6
TANH_Z_MAX = 3.0
TANH_FD_STEP = 1e-5
TANH_FD_RTOL = 1e-7
TANH_FD_ATOL = 1e-9


# ---------------------------------------------------------------------------------------------
# helpers


#: What numpy says when scalar-only code (math.exp, max(0, z), ``if z > 0``) meets an array.
_SCALAR_ONLY_ERRORS = ("only 0-dimensional arrays", "only length-1 arrays", "only size-1 arrays",
                       "truth value of an array")


def _run(func, z, label):
    """Call ``func(z)`` with the reference switched off; return (result, overflow warnings)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with _errstate(over="warn", invalid="warn", divide="warn", under="ignore"):
            try:
                result = call_learner(func, z, name=label, forbid=_FORBIDDEN)
            except AssertionError as exc:
                if not any(marker in str(exc) for marker in _SCALAR_ONLY_ERRORS):
                    raise
                raise AssertionError(
                    f"{exc}\nYour {label} works on one number but not on an array: math.exp, "
                    "max(0, z) and `if z > 0:` handle a single number only. Use numpy, entry by "
                    "entry: np.exp, np.maximum(z, 0.0), np.where(...) or (z > 0)."
                ) from None
    overflow = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    return result, overflow


def _not_a_scalar(result, shape, label):
    """A plain Python number for an array input: scalar-only code (``if z > 0``, ``max``, ``math``)."""
    if shape and isinstance(result, (int, float)) and not isinstance(result, bool):
        raise AssertionError(
            f"{label}(z) for z of shape {shape} returned the single number {result!r}, but it should "
            f"return an array of shape {shape}. Your {label} works on one number but not on an "
            "array: math.exp, max(0, z) and `if z > 0:` handle a single number only. Use numpy, "
            "entry by entry: np.exp, np.maximum(z, 0.0), np.where(...) or (z > 0)."
        )


def _float_result(result, label, z_text):
    """Reject booleans and integers: an activation returns float64 values."""
    dtype = None
    if isinstance(result, (bool, _bool_)):
        dtype = np.dtype(bool)
    elif isinstance(result, int):
        dtype = np.dtype(int)
    elif isinstance(result, (_ndarray, _generic)):
        dtype = result.dtype
    if dtype is not None and dtype.kind in "biu":
        kind = "booleans" if dtype.kind == "b" else "integers"
        raise AssertionError(
            f"{label}({z_text}) returned {kind} (dtype {dtype}), but an activation returns floats. "
            "Convert with .astype(float), or compute with float operations "
            "(np.maximum(z, 0.0), (z > 0) * 1.0)."
        )


def _check_values(func, z, label, reference, hint=None, float_dtype=False, where=None):
    """Run ``func`` on ``z`` and compare with ``reference(z)``; return the learner's array."""
    z_text = "z" if where is None else where
    expected = _asarray(reference(z), dtype=_float64)
    result, overflow = _run(func, z, label)
    if float_dtype:
        _float_result(result, label, z_text)
    shape = _asarray(z).shape
    _not_a_scalar(result, shape, label)
    got = as_learner_array(result, f"{label}(z) for z of shape {shape}", shape=shape)
    assert_close(
        got, expected, f"{label}(z)", rtol=VALUE_RTOL, atol=VALUE_ATOL,
        where=_short(z) if where is None else where, hint=hint and hint(z, got),
    )
    return got, overflow


def _short(z):
    """Where a function was evaluated, for a message: ``"at z = 0.7"``."""
    z = _asarray(z, dtype=_float64)
    if z.ndim == 0:
        return f"at z = {float(z):g}"
    if z.size <= 6:
        return "at z = [" + ", ".join(f"{v:g}" for v in z.ravel()) + "]"
    return f"on z of shape {z.shape} (values from {z.min():.3g} to {z.max():.3g})"


def _stability(func, label, formula_hint):
    """Fail if ``func`` warns (overflow) or goes non-finite for |z| up to 1e4."""
    z = _array(LARGE_Z, dtype=_float64)
    result, overflow = _run(func, z, label)
    if overflow:
        raise AssertionError(
            f"{label}(z) warned for large |z| ({overflow[0].message}): np.exp overflowed. "
            f"{formula_hint} Note that np.where(cond, a, b) computes both a and b for every "
            "entry, so an overflowing branch warns even when it is not selected; compute each "
            "branch only on the entries that need it (a boolean mask), or use np.exp(-np.abs(z))."
        )
    got = _asarray(result, dtype=_float64) if result is not None else None
    if got is not None and got.shape == z.shape and not _all(_isfinite(got)):
        bad = [f"{v:g}" for v, ok in zip(LARGE_Z, _isfinite(got)) if not ok]
        raise AssertionError(
            f"{label}(z) is NaN or infinite at z = {', '.join(bad)}. {formula_hint}"
        )
    return result


def _shapes(func, label, reference, generator, hidden, float_dtype=False, hint=None):
    """Scalars, vectors, matrices and (hidden) 3-d arrays in; the same shape out."""
    # A vector of weighted inputs first: on many values the hints can tell mistakes apart.
    _check_values(func, _linspace(-6.0, 6.0, 25), label, reference, hint, float_dtype)
    # A Python float in: a number (or a 0-d array) out.
    _check_values(func, 0.7, label, reference, hint, float_dtype)
    shapes = [(4, 3)] + ([(2, 3, 4), (1, 5), (7,)] if hidden else [])
    for shape in shapes:
        z = generator.normal(0.0, 4.0, size=shape)
        _check_values(func, z, label, reference, hint, float_dtype)


# ---------------------------------------------------------------------------------------------
# sigmoid and its derivative


def _sigmoid_hint(z, got):
    z = _asarray(z, dtype=_float64)
    s = _asarray(_SIGMOID(z), dtype=_float64)
    if _close_to(got, 1.0 - s):
        return "It equals 1 − σ(z) = σ(−z): check the sign in the exponent, σ(z) = 1/(1 + e^(−z))."
    if _close_to(got, _asarray(_TANH(z))):
        return "That is tanh(z); the sigmoid is 1/(1 + e^(−z)) and lies between 0 and 1."
    return None


def _sigmoid_prime_hint(z, got):
    z = _asarray(z, dtype=_float64)
    s = _asarray(_SIGMOID(z), dtype=_float64)
    if _close_to(got, s):
        return ("That is σ(z) itself: the derivative is σ(z)(1 − σ(z)), the factor (1 − σ(z)) "
                "is missing.")
    if _close_to(got, 1.0 - s):
        return "That is 1 − σ(z) alone: the derivative is σ(z)(1 − σ(z)), the factor σ(z) is missing."
    if _close_to(got, s * (1.0 + s)):
        return "That looks like σ(z)(1 + σ(z)): the second factor is (1 − σ(z))."
    if _close_to(got, z * (1.0 - z)):
        return ("That is z(1 − z): the formula σ(z)(1 − σ(z)) applies σ first; "
                "call your sigmoid on z, then combine.")
    return None


def _close_to(got, candidate):
    candidate = _asarray(candidate, dtype=_float64)
    return got.shape == candidate.shape and bool(
        _all(_abs(got - candidate) <= VALUE_ATOL + VALUE_RTOL * _abs(candidate))
    )


def check_sigmoid(sigmoid, hidden=False):
    r"""Check a learner's numerically stable sigmoid :math:`\sigma(z) = 1 / (1 + e^{-z})`.

    Parameters
    ----------
    sigmoid : callable
        The learner's function: a scalar or an array of any shape in, the same shape out.
    hidden : bool, default False
        Run the stricter variant (other seed, more shapes, signed zero).

    Raises
    ------
    AssertionError
        With what was expected, what came and the likely mistake.

    Examples
    --------
    >>> def stable(z):
    ...     z = np.asarray(z, dtype=float)
    ...     e = np.exp(-np.abs(z))
    ...     return np.where(z >= 0, 1.0, e) / (1.0 + e)
    >>> check_sigmoid(stable)
    ✔ sigmoid: right values for every shape, and stable for |z| up to 1e4.
    >>> check_sigmoid(lambda z: 1 / (1 + np.exp(-np.asarray(z, dtype=float))))
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    AssertionError: sigmoid(z) warned for large |z| (overflow encountered in exp): np.exp overflowed. ...
    """
    label = "sigmoid"
    _shapes(sigmoid, label, _SIGMOID, rng(2 if not hidden else 20_202), hidden, hint=_sigmoid_hint)
    _check_values(sigmoid, 0.0, label, _SIGMOID, where="at z = 0 (σ(0) = 1/2)")
    if hidden:
        _check_values(sigmoid, _array([-0.0, 1e-12, -1e-12]), label, _SIGMOID)
    formula = ("For z < 0 use the equivalent form e^z / (1 + e^z), where the exponent is never "
               "positive.")
    _stability(sigmoid, label, formula)
    _check_values(sigmoid, _array(LARGE_Z), label, _SIGMOID)
    passed(("hidden cases: " if hidden else "") + "sigmoid: right values for every shape, and stable for |z| up to 1e4.")


def check_sigmoid_prime(sigmoid_prime, hidden=False):
    r"""Check a learner's :math:`\sigma'(z) = \sigma(z)(1 - \sigma(z))`, stable for large :math:`|z|`.

    Parameters
    ----------
    sigmoid_prime : callable
        The learner's function: a scalar or an array of any shape in, the same shape out.
    hidden : bool, default False
        Run the stricter variant.

    Raises
    ------
    AssertionError
        With what was expected, what came and the likely mistake (a missing factor, for instance).

    Examples
    --------
    >>> def wrong(z):
    ...     e = np.exp(-np.abs(np.asarray(z, dtype=float)))
    ...     return np.where(np.asarray(z) >= 0, 1.0, e) / (1.0 + e)
    >>> check_sigmoid_prime(wrong)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    AssertionError: sigmoid_prime(z) on z of shape (25,) (values from -6 to 6) is wrong.
      the largest difference is at index (24,): expected 0.00246651, got 0.997527
    That is σ(z) itself: the derivative is σ(z)(1 − σ(z)), the factor (1 − σ(z)) is missing.
    """
    label = "sigmoid_prime"
    _shapes(sigmoid_prime, label, _SIGMOID_PRIME, rng(3 if not hidden else 30_303), hidden,
            hint=_sigmoid_prime_hint)
    _check_values(sigmoid_prime, 0.0, label, _SIGMOID_PRIME, where="at z = 0 (σ′(0) = 1/4)")
    formula = ("Write it as σ(z)(1 − σ(z)) with a stable σ: the form e^(−z)/(1 + e^(−z))² becomes "
               "inf/inf = NaN for large negative z.")
    _stability(sigmoid_prime, label, formula)
    _check_values(sigmoid_prime, _array(LARGE_Z), label, _SIGMOID_PRIME)
    passed(("hidden cases: " if hidden else "") + "sigmoid_prime: σ(z)(1 − σ(z)) for every shape, and stable for |z| up to 1e4.")


# ---------------------------------------------------------------------------------------------
# ReLU and its derivative


def _relu_hint(z, got):
    z = _asarray(z, dtype=_float64)
    if _close_to(got, (z > 0) * 1.0):
        return "That is ReLU's derivative (0 or 1); ReLU itself is max(0, z)."
    if _close_to(got, _abs(z)):
        return "That is |z|: ReLU sets negative inputs to 0 instead of flipping their sign."
    if _close_to(got, np.minimum(z, 0.0)):
        return "That is min(z, 0): ReLU keeps the positive part, max(0, z)."
    return None


def _relu_prime_hint(z, got):
    z = _asarray(z, dtype=_float64)
    if _close_to(got, np.maximum(z, 0.0)):
        return "That is ReLU itself; its derivative is 1 where z > 0 and 0 elsewhere."
    if _close_to(got, (z < 0) * 1.0):
        return "The comparison points the wrong way: the slope is 1 where z > 0."
    return None


def check_relu(relu, hidden=False):
    r"""Check a learner's :math:`g(z) = \max(0, z)`: float values, any shape, inputs untouched.

    Parameters
    ----------
    relu : callable
    hidden : bool, default False
        Run the stricter variant.

    Raises
    ------
    AssertionError

    Examples
    --------
    >>> check_relu(lambda z: np.maximum(np.asarray(z, dtype=float), 0.0))
    ✔ relu: max(0, z) for every shape, in floats.
    >>> check_relu(lambda z: np.asarray(z) > 0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    AssertionError: relu(z) returned booleans (dtype bool), but an activation returns floats. ...
    """
    label = "relu"
    _shapes(relu, label, _RELU, rng(5 if not hidden else 50_505), hidden, float_dtype=True,
            hint=_relu_hint)
    _check_values(relu, _array([-3.0, 0.0, 3.0]), label, _RELU, float_dtype=True)
    _stability(relu, label, "ReLU needs no exponential at all: max(0, z).")
    _check_values(relu, _array(LARGE_Z), label, _RELU, float_dtype=True)
    passed(("hidden cases: " if hidden else "") + "relu: max(0, z) for every shape, in floats.")


def check_relu_prime(relu_prime, hidden=False):
    r"""Check a learner's ReLU derivative, with the course's convention :math:`g'(0) = 0`.

    Parameters
    ----------
    relu_prime : callable
    hidden : bool, default False
        Run the stricter variant (signed zero, the smallest floats either side of 0).

    Raises
    ------
    AssertionError

    Examples
    --------
    >>> check_relu_prime(lambda z: (np.asarray(z, dtype=float) >= 0) * 1.0)
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    AssertionError: relu_prime(0) returned 1, but the course's convention is g'(0) = 0. ...
    """
    label = "relu_prime"
    zero_cases = [_array([0.0]), 0.0] + ([_array([-0.0]), _array([[0.0, 0.0]])] if hidden else [])
    for z in zero_cases:
        result, _ = _run(relu_prime, z, label)
        _float_result(result, label, "0")
        shape = _asarray(z).shape
        _not_a_scalar(result, shape, label)
        got = as_learner_array(result, f"{label}(z) for z of shape {shape}", shape=shape)
        value = float(got.ravel()[0])
        if value != 0.0:
            if value == 1.0:
                why = ("ReLU has a kink at 0 (slope 0 on the left, 1 on the right). Did you write "
                       "z >= 0? Use z > 0.")
            elif value == 0.5:
                why = ("0.5 is the average of the two one-sided slopes (what a central difference "
                       "sees at the kink), but the convention here is 0.")
            else:
                why = "At the kink the course uses the left slope, 0."
            raise AssertionError(
                f"{label}(0) returned {value:g}, but the course's convention is g'(0) = 0. {why}"
            )
    _shapes(relu_prime, label, _RELU_PRIME, rng(7 if not hidden else 70_707), hidden,
            float_dtype=True, hint=_relu_prime_hint)
    tiny = _array([-5e-324, 5e-324, -1e-300, 1e-300])
    if hidden:
        _check_values(relu_prime, tiny, label, _RELU_PRIME, float_dtype=True)
    _stability(relu_prime, label, "The derivative of ReLU needs no exponential: 1 where z > 0.")
    _check_values(relu_prime, _array(LARGE_Z), label, _RELU_PRIME, float_dtype=True)
    passed(("hidden cases: " if hidden else "") + "relu_prime: 1 where z > 0, 0 elsewhere (g'(0) = 0), for every shape, in floats.")


# ---------------------------------------------------------------------------------------------
# a derivation written by the learner: tanh'(z)


def _functions_in(expr):
    """Names of the functions applied in a SymPy expression (``{"exp", "tanh"}``)."""
    import sympy

    names = {type(f).__name__ for f in expr.atoms(sympy.Function)}
    if any(isinstance(p, sympy.Pow) and p.base == sympy.E for p in expr.atoms(sympy.Pow)):
        names.add("exp")
    return names


def _read_steps(steps):
    """The learner's lines parsed (never executed), or an AssertionError saying what is wrong."""
    from course_pkg import symbolic

    if isinstance(steps, str) or not isinstance(steps, (list, tuple)):
        raise AssertionError(
            f"steps should be a list of strings (one line of the derivation each), "
            f"but it is a {type(steps).__name__}."
        )
    for i, step in enumerate(steps):
        if not isinstance(step, str):
            raise AssertionError(
                f"Step {i} should be a string such as \"1 - tanh(z)**2\", "
                f"but it is a {type(step).__name__}."
            )
    if len(steps) < MIN_DERIVATION_STEPS:
        raise AssertionError(
            f"The derivation has {len(steps)} step{'s' if len(steps) != 1 else ''}; write at "
            f"least {MIN_DERIVATION_STEPS}, from the quotient rule applied to the definition "
            "down to a form in tanh(z)."
        )
    normalised = ["".join(s.split()) for s in steps]
    for i in range(1, len(steps)):
        if normalised[i] in normalised[:i]:
            raise AssertionError(
                f"Step {i} repeats an earlier step; every step should move the expression forward."
            )
    parsed = []
    for i, step in enumerate(steps):
        try:
            parsed.append(symbolic.parse_answer(step, variables=["z"]))
        except symbolic.AnswerFormatError as exc:
            raise AssertionError(f"Step {i} cannot be read: {exc}") from None
    return parsed


def check_tanh_derivation(steps):
    r"""Check a learner's derivation of :math:`\tanh'(z)`, written line by line.

    The derivation must

    1. be a list of at least :data:`MIN_DERIVATION_STEPS` strings, no line repeated;
    2. start from the definition: line 0 is the derivative of
       :math:`\frac{e^z - e^{-z}}{e^z + e^{-z}}` (the quotient rule applied), written with
       ``exp`` only (no ``tanh``, ``cosh``, ``sinh`` or ``sigmoid``);
    3. have every line equal to the line before (:func:`course_pkg.symbolic.check_derivation`);
    4. end at a form without ``exp``, such as ``1 - tanh(z)**2`` (or ``1/cosh(z)**2``).

    The expressions are parsed by :func:`course_pkg.symbolic.parse_answer`, never evaluated as
    Python. The checker differentiates the definition itself.

    Parameters
    ----------
    steps : list of str
        The learner's lines, in the variable ``z``.

    Raises
    ------
    AssertionError
        Naming the first line that fails and why.

    Examples
    --------
    >>> check_tanh_derivation(["1 - tanh(z)**2"])
    Traceback (most recent call last):
    ...
    AssertionError: The derivation has 1 step; write at least 3, from the quotient rule applied to the definition down to a form in tanh(z).
    """
    import sympy

    from course_pkg import symbolic

    parsed = _read_steps(steps)
    z = sympy.Symbol("z")
    # 2. the start: the quotient rule applied to the definition, in exponentials only.
    first_functions = _functions_in(parsed[0]) - {"exp"}
    if first_functions:
        raise AssertionError(
            f"Step 0 uses {', '.join(sorted(first_functions))}; start from the definition "
            f"tanh(z) = {TANH_DEFINITION} and write the quotient rule's result with exp only."
        )
    definition = symbolic.parse_answer(TANH_DEFINITION, variables=["z"])
    expected = sympy.diff(definition, z)
    verdict = symbolic.equivalent(parsed[0], expected, variables=["z"])
    if not verdict.ok:
        raise AssertionError(
            "Step 0 is not the derivative of the definition "
            f"{TANH_DEFINITION}. {verdict.message} The quotient rule: (f/h)' = (f' h − f h') / h², "
            "with f = e^z − e^(−z), h = e^z + e^(−z), f' = h and h' = f."
        )
    # 3. every line follows from the one before.
    chain = symbolic.check_derivation(list(steps), variables=["z"])
    if not chain.ok:
        raise AssertionError(chain.message)
    # 4. the end: no exponentials, written with tanh.
    last = parsed[-1]
    last_functions = _functions_in(last)
    if "exp" in last_functions:
        raise AssertionError(
            f"The last step, {steps[-1]!r}, is right but not finished: end at a form written "
            "with tanh(z) and no exp, such as 1 - tanh(z)**2."
        )
    passed(f"the derivation holds line by line ({len(steps)} lines), from the quotient rule to "
           f"{steps[-1].strip()}.")


def check_tanh_derivation_numerically(steps):
    r"""Hidden test of the tanh derivation: every line is the slope of tanh, measured numerically.

    Independently of the symbolic engine, each line is evaluated at points drawn from the
    checker's own generator and compared with a central difference (step
    :data:`TANH_FD_STEP`) of ``np.tanh``.

    .. math:: \text{line}_i(z) \approx \frac{\tanh(z + h) - \tanh(z - h)}{2h}

    Parameters
    ----------
    steps : list of str
        The learner's lines, in the variable ``z``.

    Raises
    ------
    AssertionError
        Naming the first line and the point where it differs from the measured slope.

    Examples
    --------
    >>> check_tanh_derivation_numerically(["1 - tanh(z)^2", "1/cosh(z)^2", "4/(exp(z) + exp(-z))^2"])
    ✔ hidden cases: every line of the derivation equals the slope of tanh at 6 points.
    >>> check_tanh_derivation_numerically(["1 - tanh(z)^2", "1 - tanh(z)", "1/cosh(z)^2"])
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    AssertionError: Step 1, '1 - tanh(z)', gives ... at z = ..., but the slope of tanh measured by a central difference is ....
    """
    import sympy

    parsed = _read_steps(steps)
    z = sympy.Symbol("z")
    points = rng(2_024).uniform(-TANH_Z_MAX, TANH_Z_MAX, TANH_POINTS)  # (TANH_POINTS,)
    h = TANH_FD_STEP
    for point in points:
        point = float(point)
        slope = float((_np_tanh(point + h) - _np_tanh(point - h)) / (2 * h))
        for i, expr in enumerate(parsed):
            try:
                value = complex(expr.evalf(30, subs={s: point for s in expr.free_symbols if s.name == "z"}))
            except (TypeError, ValueError, ArithmeticError):
                value = complex("nan")
            if not (abs(value.imag) <= TANH_FD_ATOL
                    and abs(value.real - slope) <= TANH_FD_ATOL + TANH_FD_RTOL * abs(slope)):
                shown = f"{value.real:.8g}" if abs(value.imag) <= TANH_FD_ATOL else f"the complex number {value:.6g}"
                raise AssertionError(
                    f"Step {i}, {steps[i]!r}, gives {shown} at z = {point:.4g}, but the "
                    f"slope of tanh measured by a central difference is {slope:.8g}."
                )
    passed(f"hidden cases: every line of the derivation equals the slope of tanh at {TANH_POINTS} points.")


# ---------------------------------------------------------------------------------------------
# Tamper detection: record this module and the course modules it relies on as they are now
# (see :func:`course_pkg.checks._core.assert_untampered`, called by every hidden test).
_core.seal(__name__, references=("course_pkg.symbolic",))
