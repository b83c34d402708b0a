"""Latency of course_pkg.symbolic.equivalent over the answer corpus, beside naive SymPy.

Run:  /work/venv/bin/python benchmarks/bench_symbolic.py   (from the repository root)

For every corpus case it times `equivalent(answer, expected)` (the worker is warmed up first,
as in a notebook after the first check) and, on the same pairs, the naive baseline
`simplify(answer - expected) == 0` (answers read by our safe parser, not sympify), run in its own killable
process with a time limit so it cannot hang. Hostile cases that do not parse are skipped for the
baseline (sympify would eval them). It prints the median and worst latencies, the wrong verdicts
and timeouts of each, and the command.
"""

import importlib.util
import multiprocessing
import pathlib
import statistics
import sys
import time

import sympy

from course_pkg.symbolic import AnswerFormatError, equivalent
from course_pkg.symbolic.equivalence import _prepare_expected
from course_pkg.symbolic.parsing import _parse

ROOT = pathlib.Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("symbolic_corpus", ROOT / "tests" / "data" / "symbolic_corpus.py")
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)

#: Time limit of one naive check, in seconds.
NAIVE_LIMIT = 10.0


def _naive(answer, expected, conn):
    start = time.perf_counter()
    verdict = sympy.simplify(answer - expected) == 0
    conn.send((verdict, time.perf_counter() - start))


def naive_check(answer, expected):
    """(verdict or None on timeout, seconds) for simplify(a - b) == 0 in a killable process."""
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_naive, args=(answer, expected, child), daemon=True)
    proc.start()
    if parent.poll(NAIVE_LIMIT):
        verdict, seconds = parent.recv()
        proc.join()
        return verdict, seconds
    proc.kill()
    proc.join()
    return None, NAIVE_LIMIT


def main():
    equivalent("z", "z")  # start the worker once
    ours, ours_wrong, ours_timeouts = [], 0, 0
    naive, naive_wrong, naive_timeouts = [], 0, 0
    for case in corpus.CASES:
        start = time.perf_counter()
        verdict = equivalent(case.answer, case.expected, case.variables)
        ours.append(time.perf_counter() - start)
        ours_wrong += verdict.ok is not case.ok
        ours_timeouts += verdict.kind == "timeout"
        if isinstance(case.answer, str):
            try:
                expected, mapping = _prepare_expected(case.expected, case.variables)
                answer, _ = _parse(case.answer, mapping)
            except AnswerFormatError:
                continue
        else:
            answer, (expected, _) = case.answer, _prepare_expected(case.expected, None)
        result, seconds = naive_check(answer, expected)
        naive.append(seconds)
        if result is None:
            naive_timeouts += 1
        elif result is not case.ok:
            naive_wrong += 1
    ms = lambda s: f"{1000 * s:8.1f} ms"  # noqa: E731
    print("command: /work/venv/bin/python benchmarks/bench_symbolic.py")
    print(f"corpus: {len(corpus.CASES)} cases ({len(naive)} parseable pairs for the naive baseline)")
    print(f"equivalent():        median {ms(statistics.median(ours))}, worst {ms(max(ours))}, "
          f"wrong verdicts {ours_wrong}, timeouts {ours_timeouts}")
    print(f"simplify(a-b)==0:    median {ms(statistics.median(naive))}, worst {ms(max(naive))}, "
          f"wrong verdicts {naive_wrong}, timeouts (> {NAIVE_LIMIT:g} s) {naive_timeouts}")
    print("targets: median < 30 ms, worst < 2000 ms, no wrong verdict:",
          "MET" if statistics.median(ours) < 0.030 and max(ours) < 2.0 and ours_wrong == 0 else "NOT MET")
    return 0


if __name__ == "__main__":
    sys.exit(main())
