"""Seconds per notebook: a headless run (nbclient, fresh kernel) and nbgrader's autograde.

For every ``source/*/*.ipynb``:

* **headless run**: ``nbclient`` executes the source notebook top to bottom in a fresh kernel,
  with the notebook's folder as working directory (kernel start-up included);
* **autograde**: in a temporary copy of the course, ``python -m nbgrader autograde ASSIGNMENT``
  grades the solved source notebook submitted by one student (nbgrader's start-up, kernel
  start-up and the run with ``NBGRADER_EXECUTION=autograde`` included; ``generate_assignment``
  is run beforehand and not timed).

Run from the repository root::

    python benchmarks/bench_notebooks.py            # one repetition
    python benchmarks/bench_notebooks.py --repeat 3 # best of three

Nothing is written inside the repository.
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
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[1]
COMMAND = "python benchmarks/bench_notebooks.py"


def headless(path):
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return time.perf_counter() - start


def _nbgrader(root, *args):
    env = {k: v for k, v in os.environ.items() if k != "NBGRADER_EXECUTION"}
    env["PATH"] = os.pathsep.join([str(pathlib.Path(sys.executable).parent), env.get("PATH", "")])
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--log-level=ERROR"],
                          cwd=root, env=env, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{proc.stderr[-2000:]}")


def autograde(path, student):
    assignment = path.parent.name
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        shutil.copy(ROOT / "nbgrader_config.py", root)
        shutil.copytree(path.parent, root / "source" / assignment)
        _nbgrader(root, "generate_assignment", assignment)
        submitted = root / "submitted" / student / assignment
        submitted.mkdir(parents=True)
        shutil.copy(path, submitted / path.name)
        start = time.perf_counter()
        _nbgrader(root, "autograde", assignment, "--student", student)
        return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="repetitions; the best is reported")
    args = parser.parse_args(argv)
    notebooks = sorted(ROOT.glob("source/*/*.ipynb"))
    if not notebooks:
        raise SystemExit(f"no notebooks under {ROOT / 'source'}")
    rows = []
    for path in notebooks:
        run = min(headless(path) for _ in range(args.repeat))
        grade = min(autograde(path, f"bench{i}") for i in range(args.repeat))
        rows.append((str(path.relative_to(ROOT / "source")), run, grade))
    width = max(len(r[0]) for r in rows)
    print(f"{'notebook':<{width}}  {'headless run (s)':>16}  {'nbgrader autograde (s)':>22}")
    for name, run, grade in rows:
        print(f"{name:<{width}}  {run:>16.2f}  {grade:>22.2f}")
    print(f"\nbest of {args.repeat}; machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"command: {COMMAND}{' --repeat ' + str(args.repeat) if args.repeat != 1 else ''}")


if __name__ == "__main__":
    main()
