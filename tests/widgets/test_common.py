"""course_pkg.widgets._common: figures outside pyplot, PNG rendering, label numbers."""

import pytest

from course_pkg.widgets import _common


def test_figures_are_not_registered_with_pyplot():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    fig, axes = _common.new_figure(4, 2, ncols=2)
    assert plt.get_fignums() == before and len(axes) == 2


def test_png_bytes():
    fig, ax = _common.new_figure(2, 2)
    ax.plot([0, 1], [0, 1])
    assert _common.to_png(fig).startswith(b"\x89PNG")


@pytest.mark.parametrize("args, message", [((0, 2), "positive"), ((2, 2, 0), "ncols")])
def test_new_figure_validates(args, message):
    with pytest.raises(ValueError, match=message):
        _common.new_figure(*args)


def test_to_png_rejects_non_figures():
    with pytest.raises(TypeError, match="matplotlib Figure"):
        _common.to_png("figure")


def test_fmt_uses_a_real_minus_sign():
    assert _common.fmt(-1.5) == "−1.5"
