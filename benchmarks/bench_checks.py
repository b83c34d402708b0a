"""How long the exercise engine's checks take: typed answers, and each notebook's self-checks.

Run:  python benchmarks/bench_checks.py            (from the repository root, venv active)
      python benchmarks/bench_checks.py --repeat 30 --skip-notebooks

1. Typed answers. For every Formula spec of notebooks 01-03 it runs the visible check
   (``engine.run(spec, InProcessLearner(...), hidden=False)``) on the right answer, on a slip a
   probe names (its first probe) and on one no probe names (``"1"``: the symbolic engine's own
   diagnosis), ``--repeat`` times each, after one warm-up check (the
   first check of a session also starts the symbolic worker; that start is printed apart).
   Target: median after the first < 50 ms.
2. Self-checks in a notebook. Every source notebook of 01-03 runs in a fresh kernel (nbclient,
   solutions included, the hidden-test regions cut out, as in the learner's version); the time
   its graded cells took (nbclient's per-cell timing) is what the self-checks add to the run.
   Target: < 1 s per notebook.
"""

import argparse
import pathlib
import re
import statistics
import sys
import time
from datetime import datetime

ROOT = pathlib.Path(__file__).resolve().parents[1]
COMMAND = "python benchmarks/bench_checks.py"
ASSIGNMENTS = ("01-chain-rule", "02-activations", "03-scalar-network")
#: What a typed check must stay under (median after the first), and what a notebook's self-checks may add.
TYPED_TARGET_MS = 50.0
NOTEBOOK_TARGET_S = 1.0
_HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", re.S)


def _typed(repeat):
    from course_pkg import checks
    from course_pkg.checks import engine
    from course_pkg.checks.learner import InProcessLearner
    from course_pkg.symbolic import worker

    worker.shutdown()
    rows = []
    first = None
    for assignment in ASSIGNMENTS:
        for spec in checks.specs(assignment).values():
            if not isinstance(spec, engine.Formula):
                continue
            for label, answer in (("right", engine.expected_text(spec)),
                                  ("named slip", engine.probe_answer(spec, spec.probes[0])),
                                  ("unnamed slip", "1")):
                learner = InProcessLearner({spec.name: answer})
                start = time.perf_counter()
                outcome = engine.run(spec, learner, hidden=False)
                if first is None:
                    first = time.perf_counter() - start
                assert outcome.passed == (label == "right"), outcome
                times = []
                for _ in range(repeat):
                    start = time.perf_counter()
                    engine.run(spec, learner, hidden=False)
                    times.append(time.perf_counter() - start)
                rows.append((f"{spec.id} ({label})", statistics.median(times) * 1e3, max(times) * 1e3))
    return first, rows


def _notebooks():
    import nbformat
    from nbclient import NotebookClient

    rows = []
    for assignment in ASSIGNMENTS:
        path = next((ROOT / "source" / assignment).glob("*.ipynb"))
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.source = _HIDDEN.sub("", cell.source)
        start = time.perf_counter()
        NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
        total = time.perf_counter() - start
        checks = 0.0
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade"):
                timing = cell.metadata.get("execution", {})
                began, ended = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
                if began and ended:
                    checks += (_stamp(ended) - _stamp(began)).total_seconds()
        rows.append((assignment, total, checks))
    return rows


def _stamp(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="timed checks per answer (default 20)")
    parser.add_argument("--skip-notebooks", action="store_true", help="only the typed-answer checks")
    args = parser.parse_args(argv)

    first, rows = _typed(args.repeat)
    width = max(len(r[0]) for r in rows)
    print(f"first typed check of the session (starts the symbolic worker): {first * 1e3:.0f} ms")
    print(f"{'typed answer':<{width}}  {'median (ms)':>11}  {'worst (ms)':>10}")
    for name, median, worst in rows:
        print(f"{name:<{width}}  {median:>11.1f}  {worst:>10.1f}")
    overall = statistics.median(r[1] for r in rows)
    print(f"median of the medians: {overall:.1f} ms (target < {TYPED_TARGET_MS:g} ms); "
          f"slowest median {max(r[1] for r in rows):.1f} ms")

    if not args.skip_notebooks:
        print(f"\n{'notebook':<20}  {'headless run (s)':>16}  {'self-checks (s)':>15}")
        for name, total, checks in _notebooks():
            print(f"{name:<20}  {total:>16.2f}  {checks:>15.2f}")
        print(f"(self-checks: the graded cells' own time, hidden tests cut out; target < {NOTEBOOK_TARGET_S:g} s)")
    extra = " ".join(argv if argv is not None else sys.argv[1:])
    print(f"\ncommand: {COMMAND}{' ' + extra if extra else ''}")


if __name__ == "__main__":
    main()
