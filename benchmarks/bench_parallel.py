"""Parallel autograding: 16 generated submissions graded with 1 and with 2 worker processes.

A throwaway PostgreSQL server (``tests/classroom/classroom.py``'s ``TemporaryPostgres``) holds
the gradebook of a temporary copy of the course; ``nbgrader generate_assignment`` releases one
assignment (not timed); 16 learners are generated from its source and release: learner ``i`` has
its first ``i % (k + 1)`` exercises left as released (``k`` exercises in the notebook), so the
class has full, partial and empty submissions. Then, alternating, the whole class is graded with
``python -m course_pkg.grading autograde ASSIGNMENT --jobs 1`` and ``--jobs 2`` (wall time of the
whole command: start-up, registering the learners, grading, summary), ``--repeat`` times each,
best time kept. The speed-up is best(1 worker) / best(2 workers); the scores of every run must be
identical (the script fails otherwise). The load average is printed before and after: the
machine is shared, so quote the figure with it.

Run from the repository root::

    python benchmarks/bench_parallel.py                    # 02-activations, best of 1
    python benchmarks/bench_parallel.py --repeat 2 --assignment 01-chain-rule

Target: speed-up >= 1.7 on a 2-core machine (the limit is 2). Nothing is written inside the
repository.
"""

import argparse
import importlib.util
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
COMMAND = "python benchmarks/bench_parallel.py"
LEARNERS = 16


def _classroom():
    path = ROOT / "tests" / "classroom" / "classroom.py"
    spec = importlib.util.spec_from_file_location("classroom", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _load():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _generate(course, assignment, count):
    source, release = course.source(assignment), course.release(assignment)
    stubs = {c.metadata.nbgrader.grade_id: c.source for c in release.cells
             if c.metadata.get("nbgrader", {}).get("solution")}
    exercises = [c.metadata.nbgrader.grade_id for c in source.cells
                 if c.metadata.get("nbgrader", {}).get("solution")]
    for i in range(count):
        nb = nbformat.from_dict(source)
        unsolved = set(exercises[: i % (len(exercises) + 1)])
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in unsolved:
                cell.source = stubs[grade_id]
        course.submit(f"learner{i:02d}", assignment, nb)


def _grade(course, assignment, jobs):
    start = time.perf_counter()
    proc = course.run("python", "-m", "course_pkg.grading", "autograde", assignment,
                      "--jobs", str(jobs), "--quiet", timeout=3600)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"grading with {jobs} worker(s) failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return seconds, course.scores(assignment)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="02-activations")
    parser.add_argument("--repeat", type=int, default=1, help="runs per worker count (best kept)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error(f"--repeat must be a positive integer; got {args.repeat}")

    classroom = _classroom()
    print(f"command: {COMMAND} --assignment {args.assignment} --repeat {args.repeat}")
    print(f"cpus: {os.cpu_count()}, load average before: {_load()}")
    with classroom.TemporaryPostgres() as pg, tempfile.TemporaryDirectory(prefix="bench-parallel-") as tmp:
        root = pathlib.Path(tmp)
        shutil.copy(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
        shutil.copytree(ROOT / "source" / args.assignment, root / "source" / args.assignment,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        course = classroom.Course(root, pg.url)
        proc = course.nbgrader("generate_assignment", args.assignment)
        if proc.returncode != 0:
            sys.exit(f"generate_assignment failed:\n{proc.stderr[-3000:]}")
        _generate(course, args.assignment, LEARNERS)

        times = {1: [], 2: []}
        reference = None
        for _ in range(args.repeat):
            for jobs in (1, 2):
                seconds, scores = _grade(course, args.assignment, jobs)
                times[jobs].append(seconds)
                if reference is None:
                    reference = scores
                elif scores != reference:
                    sys.exit(f"scores differ between runs (jobs={jobs}): the grading is not reproducible")
                print(f"  {LEARNERS} submissions, --jobs {jobs}: {seconds:6.1f} s")
    best1, best2 = min(times[1]), min(times[2])
    totals = sorted({round(s[0], 6) for s in reference.values()})
    print(f"scores: {len(reference)} learners, identical in every run; distinct totals {totals}")
    print(f"load average after: {_load()}")
    print(f"best: 1 worker {best1:.1f} s ({best1 / LEARNERS:.2f} s per submission), "
          f"2 workers {best2:.1f} s; speed-up {best1 / best2:.2f}x (target >= 1.7x)")


if __name__ == "__main__":
    main()
