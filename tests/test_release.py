"""The learner's version (``notebooks/``) is nbgrader's release of ``source/``, committed, never stale.

The drift test regenerates every assignment with ``course_pkg.release.generate`` (nbgrader's own
``GenerateAssignment``) into a temporary folder and compares it with the committed ``notebooks/``:
the generation is deterministic, so nothing is ignored but the JSON layout of a notebook file.
Assignments are found by glob, so a new folder of ``source/`` is covered at once.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course_pkg import release

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(ROOT.glob("source/*/*.ipynb"))
ASSIGNMENTS = sorted({p.parent.name for p in SOURCES})
FIX = "run `python -m course_pkg.release` and commit notebooks/"



def _files(folder):
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")
            if p.is_file() and ".ipynb_checkpoints" not in p.parts}


def _same(path_a, path_b):
    if path_a.suffix == ".ipynb":  # the notebook's content, not how its JSON is laid out
        return json.loads(path_a.read_text()) == json.loads(path_b.read_text())
    return path_a.read_bytes() == path_b.read_bytes()


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    dest = tmp_path_factory.mktemp("release")
    release.generate(dest)
    return dest


def test_every_assignment_of_source_is_found():
    assert ASSIGNMENTS, f"no notebooks under {ROOT / 'source'}"
    assert release.assignments() == ASSIGNMENTS


def test_committed_learner_version_matches_a_fresh_generation(fresh):
    """notebooks/ holds exactly what nbgrader generates from source/, file for file."""
    committed, generated = ROOT / "notebooks", fresh
    assert committed.is_dir(), f"notebooks/ is missing: {FIX}"
    want, have = _files(generated), _files(committed)
    assert want == have, (
        f"notebooks/ is out of date with source/ (missing: {sorted(want - have)}, "
        f"extra: {sorted(have - want)}): {FIX}"
    )
    stale = [name for name in sorted(want) if not _same(generated / name, committed / name)]
    assert not stale, f"notebooks/{stale} differ from a fresh generation from source/: {FIX}"


def test_release_matches_the_nbgrader_command_line(tmp_path):
    """`python -m course_pkg.release` writes byte for byte what `nbgrader generate_assignment` writes."""
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    shutil.copytree(ROOT / "source", tmp_path / "source", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    env_path = str(Path(sys.executable).parent)
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENTS[0], "--log-level=WARN"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={"PATH": env_path + ":/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    cli = tmp_path / "notebooks" / ASSIGNMENTS[0]  # nbgrader_config.py: release_directory = "notebooks"
    ours = tmp_path / "ours"
    release.generate(ours, root=tmp_path, only=[ASSIGNMENTS[0]])
    assert _files(cli) == _files(ours / ASSIGNMENTS[0])
    for name in _files(cli):
        assert (cli / name).read_bytes() == (ours / ASSIGNMENTS[0] / name).read_bytes(), name


@pytest.mark.parametrize("source", SOURCES, ids=[p.parent.name for p in SOURCES])
def test_learner_version_holds_no_solution_and_no_hidden_test(source):
    """No marker and none of the source's solution or hidden-test lines reach notebooks/."""
    learner = ROOT / "notebooks" / source.relative_to(ROOT / "source")
    assert learner.is_file(), f"{learner.relative_to(ROOT)} is missing: {FIX}"
    source_nb = nbformat.read(source, as_version=4)
    assert release.secret_lines(source_nb), f"{source.relative_to(ROOT)} has no solution or hidden-test lines to protect"
    found = release.leaks(source_nb, nbformat.read(learner, as_version=4))
    assert not found, f"{learner.relative_to(ROOT)} leaks:\n" + "\n".join(found)


def test_a_release_that_would_leak_is_refused(tmp_path, monkeypatch):
    """If the generation ever kept a solution line (say, nbgrader misread a marker), nothing is written."""
    root = _course_copy(tmp_path)
    rel = SOURCES[0].relative_to(ROOT / "source")
    source_nb = nbformat.read(root / "source" / rel, as_version=4)
    secret = sorted(release.secret_lines(source_nb))[0]
    real_generate = release.generate

    def leaky_generate(dest, *, root, only):
        names = real_generate(dest, root=root, only=only)
        out = Path(dest) / rel
        nb = nbformat.read(out, as_version=4)
        nb.cells[-1].source += "\n" + secret
        nbformat.write(nb, out)
        return names

    monkeypatch.setattr(release, "generate", leaky_generate)
    learner = root / "notebooks" / rel
    before = learner.read_bytes()
    with pytest.raises(release.LeakError, match="would leak into notebooks/") as caught:
        release.release(root=root, only=[ASSIGNMENTS[0]])
    assert repr(secret) in str(caught.value) and learner.read_bytes() == before


@pytest.mark.parametrize("source", SOURCES, ids=[p.parent.name for p in SOURCES])
def test_learner_version_has_a_stub_in_every_solution_cell_and_no_output(source):
    learner = nbformat.read(ROOT / "notebooks" / source.relative_to(ROOT / "source"), as_version=4)
    solutions = [c for c in learner.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert solutions
    for cell in solutions:
        assert "# YOUR CODE HERE" in cell.source and "raise NotImplementedError()" in cell.source, cell.source
    dirty = [i for i, c in enumerate(learner.cells)
             if c.cell_type == "code" and (c.outputs or c.execution_count is not None)]
    assert not dirty, f"outputs in cells {dirty}"


def _course_copy(tmp_path):
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    for folder in ("source", "notebooks"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return tmp_path


def test_release_is_idempotent_and_removes_what_left_source(tmp_path):
    root = _course_copy(tmp_path)
    first = release.release(root=root)
    assert release.release(root=root) == [], "a second run changed files: the generation is not deterministic"
    orphan = root / "notebooks" / "99-gone" / "gone.ipynb"
    orphan.parent.mkdir()
    orphan.write_text("{}")
    stale = root / "notebooks" / ASSIGNMENTS[0] / "left-over.txt"
    stale.write_text("not in source")
    checkpoint = root / "notebooks" / ASSIGNMENTS[0] / ".ipynb_checkpoints" / "x-checkpoint.ipynb"
    checkpoint.parent.mkdir(exist_ok=True)
    checkpoint.write_text("{}")  # JupyterLab's, a learner's: left alone
    changed = release.release(root=root)
    assert set(changed) == {orphan, stale} and not orphan.parent.exists() and not stale.exists()
    assert checkpoint.is_file()
    assert all(p.is_file() for p in first)


def test_release_of_one_assignment_and_of_an_unknown_one(tmp_path):
    root = _course_copy(tmp_path)
    learner = root / "notebooks" / SOURCES[0].relative_to(ROOT / "source")
    learner.write_text(learner.read_text().replace("YOUR CODE HERE", "edited by hand"))
    assert release.release(root=root, only=[ASSIGNMENTS[0]]) == [learner]
    with pytest.raises(ValueError, match=r"assignments must be folders of .*source.*; got \['nope'\]"):
        release.release(root=root, only=["nope"])


def test_without_nbgrader_the_command_says_to_install_the_instructor_extra():
    """A learner's install has no nbgrader: the command fails with one line naming the extra."""
    code = ("import sys; sys.modules['nbgrader'] = None; "
            "from course_pkg.release import main; sys.exit(main([]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert 'install the instructor extra (pip install -e ".[instructor]")' in proc.stderr
    assert "Traceback" not in proc.stderr


def test_nbgrader_releases_into_notebooks():
    """One source of truth: `nbgrader generate_assignment` writes the learner's version itself."""
    text = (ROOT / "nbgrader_config.py").read_text()
    assert 'c.CourseDirectory.source_directory = "source"' in text
    assert 'c.CourseDirectory.release_directory = "notebooks"' in text
