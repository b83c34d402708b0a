"""Graded-exercise checkers, one module per notebook, called from nbgrader test cells.

``course_pkg.checks.chain_rule`` (notebook 01), ``course_pkg.checks.activations`` (02),
``course_pkg.checks.scalar_network`` (03). Each check raises :class:`AssertionError` with a
specific message on failure and prints one short line on success; see
:mod:`course_pkg.checks._core`.
"""
