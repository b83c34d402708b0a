"""Trusted grading vs nbgrader's plain autograde, per notebook, on the same submission.

Two throwaway courses are built from this repository: one with ``nbgrader_config.py`` as it is
(trusted grading: :class:`course_pkg.grading.nbgrader.TrustedGrade` replaces nbgrader's
``Execute``), one with nbgrader's default autograde pipeline (the learner's notebook executed in
a kernel, its test cells scored by their own outputs). Every assignment is released, the solved
source notebook is submitted, and each course runs ``nbgrader autograde <assignment> --force``
``--repeats`` times, alternating; the figure is the best time of each (the whole command, so
nbgrader's own start-up is in both). Target: trusted ≤ 1.5× plain.

Run from the repository root::

    python benchmarks/bench_grading.py [--repeats 3] [--assignments 01-chain-rule 02-activations]
"""

import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
TARGET = 1.5
PLAIN = """
# Benchmark only: nbgrader's own autograde pipeline (nbgrader 0.9's defaults: the notebook
# executed in a kernel by Execute).
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput", "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec", "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata"]
c.Autograde.autograde_preprocessors = [
    "nbgrader.preprocessors.Execute", "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor", "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades", "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata"]
"""


def nbgrader(root, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("NBGRADER_EXECUTION", "COURSE_GRADEBOOK_URL")}
    env["PATH"] = os.pathsep.join([str(pathlib.Path(sys.executable).parent), env.get("PATH", "")])
    env.setdefault("COURSE_GRADING_SECRET", "benchmark secret")
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--log-level=ERROR"], cwd=root,
                          env=env, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        raise SystemExit(f"nbgrader {' '.join(args)} failed in {root}:\n{proc.stderr[-3000:]}")
    return time.perf_counter() - started


def course(where, assignments, plain):
    root = pathlib.Path(where)
    shutil.copy(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    if plain:
        with open(root / "nbgrader_config.py", "a") as fh:
            fh.write(PLAIN)
    shutil.copytree(ROOT / "source", root / "source", ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    nbgrader(root, "generate_assignment", "*")
    for assignment in assignments:
        notebook = next((ROOT / "source" / assignment).glob("*.ipynb"))
        dest = root / "submitted" / "solved" / assignment / notebook.name
        dest.parent.mkdir(parents=True)
        nbformat.write(nbformat.read(notebook, as_version=4), dest)
    return root


def score(root, assignment):
    from nbgrader.api import Gradebook

    notebook = next((ROOT / "source" / assignment).glob("*.ipynb")).stem
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        sub = gb.find_submission_notebook(notebook, assignment, "solved")
        return sub.score, sub.max_score


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--assignments", nargs="*", default=sorted(p.name for p in (ROOT / "source").iterdir()
                                                                    if list(p.glob("*.ipynb"))))
    args = parser.parse_args()
    from course_pkg.grading import sandbox

    with tempfile.TemporaryDirectory() as trusted_dir, tempfile.TemporaryDirectory() as plain_dir:
        trusted = course(trusted_dir, args.assignments, plain=False)
        plain = course(plain_dir, args.assignments, plain=True)
        print(f"command: python benchmarks/bench_grading.py --repeats {args.repeats} "
              f"--assignments {' '.join(args.assignments)}")
        print(f"sandbox mode: {sandbox.MODE}; best of {args.repeats} per notebook; the whole "
              "`nbgrader autograde <assignment> --force` command, solved source submitted\n")
        print(f"{'assignment':<20} {'plain (s)':>10} {'trusted (s)':>12} {'ratio':>7}   scores (plain / trusted)")
        worst = 0.0
        for assignment in args.assignments:
            times = {"plain": [], "trusted": []}
            for _ in range(args.repeats):
                for name, root in (("plain", plain), ("trusted", trusted)):
                    times[name].append(nbgrader(root, "autograde", assignment, "--force"))
            best_plain, best_trusted = min(times["plain"]), min(times["trusted"])
            ratio = best_trusted / best_plain
            worst = max(worst, ratio)
            print(f"{assignment:<20} {best_plain:>10.2f} {best_trusted:>12.2f} {ratio:>6.2f}x   "
                  f"{score(plain, assignment)} / {score(trusted, assignment)}")
        print(f"\nworst ratio {worst:.2f}x (target ≤ {TARGET}x): {'met' if worst <= TARGET else 'NOT met'}")


if __name__ == "__main__":
    main()
