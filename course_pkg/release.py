"""The learner's version of the course: ``notebooks/`` regenerated from the instructors' ``source/``.

The repository holds every assignment twice. ``source/<assignment>/`` is the nbgrader source the
instructors edit (solutions between ``### BEGIN SOLUTION`` / ``### END SOLUTION``, hidden tests
between ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``); ``notebooks/<assignment>/`` is what
a learner opens: exactly what ``nbgrader generate_assignment`` makes of the source (solutions
replaced by ``# YOUR CODE HERE`` / ``raise NotImplementedError()``, hidden tests removed, outputs
cleared, cells locked and checksummed). ``nbgrader_config.py`` names ``notebooks`` as nbgrader's
release directory, so both commands write the same files::

    python -m course_pkg.release                  # every assignment of source/
    python -m course_pkg.release 01-chain-rule    # only these

Run it after every change to a notebook of ``source/`` and commit both; ``tests/test_release.py``
fails if the committed learner's version differs from a fresh generation. The command is
idempotent (the generation is deterministic, so an unchanged source rewrites identical bytes) and
does not touch nbgrader's gradebook. It removes a folder of ``notebooks/`` whose assignment no longer
exists in ``source/``.

nbgrader is an instructors' tool (the ``instructor`` and ``test`` extras), not a learner's: it is
imported only when a generation runs, and its absence is reported with the install command.
"""

import argparse
import json
import logging
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

#: The repository root: the folder holding ``nbgrader_config.py``, ``source/`` and ``notebooks/``.
ROOT = Path(__file__).resolve().parents[1]
#: An assignment folder: two digits, a dash, the topic (``01-chain-rule``).
ASSIGNMENT = re.compile(r"^\d\d-[a-z0-9-]+$")
#: What to install when nbgrader is missing.
INSTALL_HINT = 'nbgrader is an instructors\' tool: install the instructor extra (pip install -e ".[instructor]")'


#: nbgrader's region markers: none may reach the learner's version.
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
_REGIONS = {"### BEGIN SOLUTION": "### END SOLUTION", "### BEGIN HIDDEN TESTS": "### END HIDDEN TESTS"}
#: Solution or hidden-test lines shorter than this are too generic to prove a leak (")", "])").
MIN_SECRET_LINE = 4


class NbgraderMissing(RuntimeError):
    """nbgrader is not installed (a learner's install): the learner's version cannot be regenerated."""


class LeakError(ValueError):
    """A generated learner's notebook holds a marker or a line of a solution or hidden test."""


def secret_lines(source):
    r"""The lines of a source notebook's solution and hidden-test regions that appear nowhere else.

    Parameters
    ----------
    source : nbformat.NotebookNode or dict
        The instructors' source notebook (``{"cells": [{"source": str, ...}, ...]}``).

    Returns
    -------
    set of str
        Stripped lines of at least ``MIN_SECRET_LINE`` characters.

    Examples
    --------
    >>> nb = {"cells": [{"source": "def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"}]}
    >>> sorted(secret_lines(nb))
    ['return 2 * x']
    """
    secret, public = set(), set()
    for cell in source["cells"]:
        end = None
        text = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        for line in text.splitlines():
            line = line.strip()
            if end is None and line in _REGIONS:
                end = _REGIONS[line]
            elif end is not None and line == end:
                end = None
            else:
                (secret if end else public).add(line)
    return {s for s in secret - public if len(s) >= MIN_SECRET_LINE}


def leaks(source, learner):
    r"""What the learner's version gives away: markers and secret lines, one string per line found.

    Parameters
    ----------
    source, learner : nbformat.NotebookNode or dict
        The source notebook and its learner's version.

    Returns
    -------
    list of str
        ``"<grade_id or cell N>: <line>"``; empty when nothing leaks.

    Examples
    --------
    >>> source = {"cells": [{"source": "### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION", "metadata": {}}]}
    >>> leaks(source, {"cells": [{"source": "# YOUR CODE HERE", "metadata": {}}]})
    []
    >>> leaks(source, {"cells": [{"source": "answer = 42", "metadata": {}}]})
    ["cell 0: 'answer = 42'"]
    """
    secrets = secret_lines(source)
    found = []
    for index, cell in enumerate(learner["cells"]):
        where = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", f"cell {index}")
        text = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        for line in text.splitlines():
            if any(m in line for m in MARKERS) or line.strip() in secrets:
                found.append(f"{where}: {line.strip()!r}")
    return found


def assignments(root=ROOT):
    """The assignments of the course: the folders of ``source/`` named ``NN-topic``, sorted.

    Parameters
    ----------
    root : path-like, default the repository root
        The course root (it holds ``source/``).

    Returns
    -------
    list of str

    Examples
    --------
    >>> "01-chain-rule" in assignments()
    True
    """
    source = Path(root) / "source"
    return sorted(p.name for p in source.iterdir() if p.is_dir() and ASSIGNMENT.match(p.name))


def _import_nbgrader():
    try:
        from nbgrader.converters import GenerateAssignment
        from nbgrader.coursedir import CourseDirectory
    except ImportError as err:
        raise NbgraderMissing(f"{INSTALL_HINT}; importing it failed: {err}") from None
    return GenerateAssignment, CourseDirectory


def generate(dest, *, root=ROOT, only=None):
    """Generate the learner's version of the course into ``dest``, as ``nbgrader generate_assignment``.

    Runs nbgrader's own ``GenerateAssignment`` converter, configured by the course's
    ``nbgrader_config.py``, with the release directory redirected to ``dest`` and the gradebook left
    alone (``--no-db``). Nothing else is changed: the files written are nbgrader's.

    Parameters
    ----------
    dest : path-like
        An empty or missing folder; ``dest/<assignment>/`` receives each assignment.
    root : path-like, default the repository root
        The course root (``nbgrader_config.py`` and ``source/``).
    only : sequence of str, optional
        Assignments to generate; default every folder of ``source/``.

    Returns
    -------
    list of str
        The assignments generated.

    Raises
    ------
    NbgraderMissing
        If nbgrader is not installed.
    ValueError
        If ``only`` names an assignment that ``source/`` does not hold.
    """
    root, dest = Path(root).resolve(), Path(dest).resolve()
    known = assignments(root)
    names = known if only is None else list(only)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"assignments must be folders of {root / 'source'} ({', '.join(known)}); got {unknown}")
    GenerateAssignment, CourseDirectory = _import_nbgrader()
    from traitlets.config import Config, PyFileConfigLoader

    config = Config()
    config.merge(PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config())
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.release_directory = str(dest)  # absolute: os.path.join keeps it as is
    config.GenerateAssignment.no_database = True
    config.SaveCells.enabled = False
    config.BaseConverter.force = True
    log = logging.getLogger("course_pkg.release.nbgrader")
    log.setLevel(logging.ERROR)  # nbgrader announces every file it writes; errors still show
    for name in names:
        config.CourseDirectory.assignment_id = name
        coursedir = CourseDirectory(config=config, log=log)
        GenerateAssignment(coursedir=coursedir, config=config, log=log).start()
    return names


def _sync(generated, target):
    """Make folder ``target`` hold exactly the files of ``generated`` (hidden ones aside); rewrite only changed files."""
    changed = []
    target.mkdir(parents=True, exist_ok=True)
    wanted = {p.relative_to(generated) for p in generated.rglob("*") if p.is_file()}
    for rel in sorted(wanted):
        new, old = generated / rel, target / rel
        if not old.is_file() or old.read_bytes() != new.read_bytes():
            old.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(new, old)
            changed.append(old)
    for old in sorted(target.rglob("*"), reverse=True):
        rel = old.relative_to(target)
        if any(part.startswith(".") for part in rel.parts):
            continue  # JupyterLab's .ipynb_checkpoints and the like: not nbgrader's, not ours
        if old.is_file() and rel not in wanted:
            old.unlink()
            changed.append(old)
        elif old.is_dir() and not any(old.iterdir()):
            old.rmdir()
    return changed


def _refuse_leaks(root, generated, names):
    """Raise :class:`LeakError` if a generated notebook holds a marker or a secret line."""
    for name in names:
        for learner in sorted((generated / name).glob("*.ipynb")):
            source = root / "source" / name / learner.name
            found = leaks(json.loads(source.read_text()), json.loads(learner.read_text()))
            if found:
                raise LeakError(f"source/{name}/{learner.name} would leak into notebooks/ (check its "
                                f"### BEGIN/END markers): " + "; ".join(found))


def release(*, root=ROOT, only=None):
    """Regenerate ``notebooks/`` from ``source/`` in place; return the files that changed.

    Parameters
    ----------
    root : path-like, default the repository root
    only : sequence of str, optional
        Assignments to regenerate; default all of them (and folders of ``notebooks/`` whose
        assignment left ``source/`` are removed).

    Returns
    -------
    list of pathlib.Path
        The files written or removed (empty when the learner's version was already up to date).

    Raises
    ------
    LeakError
        If a generated notebook would hold a marker or a line of a solution or hidden test (the
        source's markers are malformed); ``notebooks/`` is then left as it was.
    """
    root = Path(root).resolve()
    notebooks = root / "notebooks"
    changed = []
    with tempfile.TemporaryDirectory(prefix="course-release-") as tmp:
        names = generate(tmp, root=root, only=only)
        _refuse_leaks(root, Path(tmp), names)
        for name in names:
            changed += _sync(Path(tmp) / name, notebooks / name)
    if only is None and notebooks.is_dir():
        for folder in sorted(notebooks.iterdir()):
            if folder.is_dir() and ASSIGNMENT.match(folder.name) and folder.name not in names:
                changed += sorted(p for p in folder.rglob("*") if p.is_file())
                shutil.rmtree(folder)
    return changed


def main(argv=None):
    """``python -m course_pkg.release [ASSIGNMENT ...]``: regenerate the learner's version."""
    parser = argparse.ArgumentParser(
        prog="python -m course_pkg.release",
        description="Regenerate notebooks/ (the learner's version) from source/ with nbgrader.",
    )
    parser.add_argument("assignments", nargs="*", help="assignments to regenerate (default: all of source/)")
    args = parser.parse_args(argv)
    try:
        changed = release(only=args.assignments or None)
    except (NbgraderMissing, ValueError) as err:  # LeakError is a ValueError
        print(f"python -m course_pkg.release: {err}", file=sys.stderr)
        return 2
    for path in changed:
        print(f"updated {os.path.relpath(path, ROOT)}")
    print(f"notebooks/ is up to date with source/ ({len(changed)} file(s) changed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
