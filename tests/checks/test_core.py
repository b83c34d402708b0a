"""Tamper detection in course_pkg.checks._core: assert_untampered() passes on an honest run (also
after checks whose tripwire fired) and names what a learner's code replaced.

forbid_reference is covered by its doctest and by the engine's and every spec module's tests.
"""

import subprocess
import sys
import types

import numpy as np
import pytest

import course_pkg
import course_pkg.activations
import course_pkg.gradcheck
import course_pkg.network
import course_pkg.paths
import course_pkg.symbolic
from course_pkg.checks import _core
from course_pkg.checks import activations, chain_rule, engine, learner, scalar_network

CHECKER_MODULES = (activations, chain_rule, scalar_network)
#: The first words of the failure message, whatever was replaced.
MESSAGE = "The course's checkers or reference implementations were changed in this notebook ("
#: Seconds a fresh interpreter may take to import the checkers (SymPy included).
SUBPROCESS_TIMEOUT = 120


def noop_check(*args, **kwargs):
    print("✔")


def untampered_fails_naming(what):
    with pytest.raises(AssertionError) as info:
        _core.assert_untampered()
    message = str(info.value)
    assert message.startswith(MESSAGE), message
    assert what in message, f"the message does not name {what!r}:\n{message}"
    assert message.endswith(
        "the test cannot trust them. Restart the kernel and run the notebook without changing course_pkg."
    ), message
    return message


# ------------------------------------------------------------------------------ honest runs pass


def test_a_clean_import_is_untampered_in_a_fresh_interpreter():
    """Importing the checkers (one, or all three in any order) seals nothing that then differs."""
    code = (
        "import course_pkg.checks.scalar_network as s\n"
        "s.assert_untampered()\n"
        "import course_pkg.checks.chain_rule as c, course_pkg.checks.activations as a\n"
        "a.assert_untampered(); c.assert_untampered(); s.assert_untampered()\n"
        "print('ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=SUBPROCESS_TIMEOUT)
    assert proc.returncode == 0 and proc.stdout == "ok\n", proc.stderr
    assert proc.stderr == ""


def test_every_checker_module_re_exports_the_one_check():
    for module in CHECKER_MODULES:
        assert module.assert_untampered is _core.assert_untampered, module.__name__
        assert "assert_untampered" in getattr(module, "__all__", ["assert_untampered"]), module.__name__
    _core.assert_untampered()


def test_untampered_after_passing_and_failing_checks(capsys):
    def stable_sigmoid(z):
        z = np.asarray(z, dtype=float)
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1.0, e) / (1.0 + e)

    activations.check("test_sigmoid", stable_sigmoid)
    activations.check("test_sigmoid", stable_sigmoid, hidden=True)
    with pytest.raises(AssertionError, match="booleans"):
        activations.check("test_relu", lambda z: np.asarray(z) > 0)
    chain_rule.check("test_central_difference_formula", lambda f, x, h=1e-5: (f(x + h) - f(x - h)) / (2 * h))
    assert capsys.readouterr().out.count("✔") == 3
    _core.assert_untampered()


def test_untampered_after_the_tripwire_fired():
    """forbid_reference swaps code objects while a learner's function runs and puts them back."""
    with pytest.raises(AssertionError, match="reference implementation sigmoid"):
        activations.check("test_sigmoid", lambda z: course_pkg.activations.sigmoid(z))
    with pytest.raises(AssertionError, match="reference implementation _central"):
        chain_rule.check("test_central_difference_formula", lambda f, x, h=1e-5: chain_rule._central(f, x, h))
    with pytest.raises(AssertionError, match="reference implementation"):
        scalar_network.check("test_backward",
            lambda x, y, t, b: {k: float(v) for k, v in course_pkg.paths.path_gradients(x, y, t, b).items()})

    def swallows_the_tripwire(z):
        try:
            return course_pkg.activations.sigmoid(z)
        except AssertionError:
            z = np.asarray(z, dtype=float)
            e = np.exp(-np.abs(z))
            return np.where(z >= 0, 1.0, e) / (1.0 + e)

    with pytest.raises(AssertionError, match="reference implementation sigmoid"):
        activations.check("test_sigmoid", swallows_the_tripwire)
    _core.assert_untampered()


# ---------------------------------------------------------------------- tampering is named


def test_a_replaced_checker_function_is_named(monkeypatch, capsys):
    monkeypatch.setattr(activations, "check", noop_check)
    activations.check("test_sigmoid", None)  # the visible check is fooled ...
    assert capsys.readouterr().out == "✔\n"
    untampered_fails_naming("(course_pkg.checks.activations.check was replaced)")  # ... the hidden one is not
    monkeypatch.undo()
    _core.assert_untampered()


def test_a_replaced_checker_code_is_named(monkeypatch):
    monkeypatch.setattr(engine.run, "__code__", noop_check.__code__)
    untampered_fails_naming("the code of course_pkg.checks.engine.run was replaced")
    monkeypatch.undo()
    _core.assert_untampered()


@pytest.mark.parametrize("function", [
    course_pkg.activations.sigmoid,
    course_pkg.network.gradients,
    course_pkg.gradcheck.numerical_gradient,
    course_pkg.paths.path_gradients,
    course_pkg.symbolic.parse_answer,
    course_pkg.symbolic.equivalent,
], ids=lambda f: f"{f.__module__}.{f.__name__}")
def test_a_replaced_reference_code_is_named(monkeypatch, function):
    def impostor(*args, **kwargs):
        return 0.0

    monkeypatch.setattr(function, "__code__", impostor.__code__)
    untampered_fails_naming(f"the code of {function.__module__}.{function.__name__} was replaced")
    monkeypatch.undo()
    _core.assert_untampered()


def test_a_reference_replaced_in_its_package_is_named(monkeypatch):
    monkeypatch.setattr(course_pkg.symbolic, "equivalent", noop_check)
    untampered_fails_naming("course_pkg.symbolic.equivalent was replaced")


@pytest.mark.parametrize("module, helper", [
    (_core, "forbid_reference"), (_core, "module_functions"), (engine, "run"), (engine, "_run_function"),
    (engine, "_matching_probe"), (engine, "_no_leak"), (engine, "Tolerance"), (engine, "KINDS"),
    (learner, "InProcessLearner"), (learner, "call_plain"), (learner, "to_plain"), (learner, "NAMED"),
])
def test_a_replaced_helper_of_the_engine_is_named(monkeypatch, module, helper):
    monkeypatch.setattr(module, helper, noop_check)
    untampered_fails_naming(f"{module.__name__}.{helper} was replaced")
    monkeypatch.undo()
    _core.assert_untampered()


def test_a_helper_replaced_where_a_checker_imported_it_is_named(monkeypatch):
    monkeypatch.setattr(scalar_network, "Tolerance", lambda *args, **kwargs: None)
    untampered_fails_naming("course_pkg.checks.scalar_network.Tolerance was replaced")


def test_a_replaced_spec_or_probe_list_is_named(monkeypatch):
    monkeypatch.setattr(scalar_network, "SPECS", ())
    monkeypatch.setattr(activations, "RELU_PRIME", None)
    message = untampered_fails_naming("course_pkg.checks.scalar_network.SPECS was replaced")
    assert "course_pkg.checks.activations.RELU_PRIME was replaced" in message


def test_a_replaced_method_of_the_tripwire_is_named(monkeypatch):
    monkeypatch.setattr(_core.forbid_reference, "__enter__", lambda self: self)
    untampered_fails_naming("course_pkg.checks._core.forbid_reference.__enter__ was replaced")


def test_changed_default_arguments_are_named(monkeypatch):
    monkeypatch.setattr(learner.call_plain, "__kwdefaults__", {"name": "x"})
    untampered_fails_naming("the default arguments of course_pkg.checks.learner.call_plain were changed")


def test_a_loosened_tolerance_is_named(monkeypatch):
    monkeypatch.setattr(activations, "_VALUES", activations.Tolerance("anything", rtol=1e300))
    untampered_fails_naming("course_pkg.checks.activations._VALUES was replaced")


def test_a_deleted_checker_is_named(monkeypatch):
    monkeypatch.delattr(activations, "check")
    untampered_fails_naming("course_pkg.checks.activations.check was deleted")


def test_a_patched_numpy_function_is_named(monkeypatch):
    """The reference implementations call np.exp at run time: patching it would move the target."""
    monkeypatch.setattr(np, "exp", lambda z: np.zeros_like(z))
    untampered_fails_naming("numpy.exp was replaced")


def test_a_module_replaced_in_sys_modules_is_named(monkeypatch):
    monkeypatch.setitem(sys.modules, "course_pkg.activations", types.ModuleType("course_pkg.activations"))
    untampered_fails_naming("sys.modules['course_pkg.activations'] was replaced")


def test_a_module_replaced_in_its_package_is_named(monkeypatch):
    monkeypatch.setattr(course_pkg.checks, "activations", types.SimpleNamespace(check=noop_check))
    untampered_fails_naming("course_pkg.checks.activations was replaced")


def test_the_patcher_of_every_check_is_caught_and_counted(monkeypatch):
    """A learner who replaces every check function and engine function: three are named, the rest counted."""
    replaced = 0
    for module in CHECKER_MODULES + (engine,):
        for name in dir(module):
            if name == "check" or name.startswith(("check_", "_run")):
                monkeypatch.setattr(module, name, noop_check)
                replaced += 1
    message = untampered_fails_naming("was replaced")
    assert message.count("was replaced") == 3, message
    assert f"and {replaced - 3} more)" in message, message
    monkeypatch.undo()
    _core.assert_untampered()


def test_sealing_again_does_not_launder_a_patch(monkeypatch):
    monkeypatch.setattr(activations, "check", noop_check)
    monkeypatch.setattr(course_pkg.activations.sigmoid, "__code__", noop_check.__code__)
    _core.seal(activations.__name__, references=("course_pkg.activations", "course_pkg.symbolic"))
    message = untampered_fails_naming("course_pkg.checks.activations.check was replaced")
    assert "the code of course_pkg.activations.sigmoid was replaced" in message
    monkeypatch.undo()
    _core.assert_untampered()


def test_the_registry_is_not_a_module_attribute():
    """Out of reach of an accidental assignment: no module-level name of _core holds a record."""
    for name, value in vars(_core).items():
        if isinstance(value, (list, dict, set)) and not name.startswith("__"):
            assert not any(isinstance(v, types.ModuleType) for v in
                           (value.values() if isinstance(value, dict) else value)), name
