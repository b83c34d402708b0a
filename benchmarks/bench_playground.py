"""Benchmark: one training step + redraw of notebook 06's playground, at its default size.

The default playground trains a 2-8-8-1 tanh network on 200 generated points (moons, 70% of them
for training, batches of 10). What one tick of *play* does is :meth:`Playground.advance`: one
mini-batch gradient step (``network.backward`` for the step's numbers, ``network.gradients``, the
update), the training and test costs of the new parameters, the decision boundary on a 48 × 48
grid, the caption, and one frame blitted over the static background and PNG-encoded for the
``Image`` widget. The script times ``--steps`` ticks after a warm-up and prints the median and the
90th percentile, with the CPU time of the process per tick beside them (the wall clock also counts
the time spent waiting for a core on a shared machine; the load average is printed). It also times
a tick with the gradient-check light (``advance(check=True)``, what the *step* button does).

Target: median < 50 ms per tick. Run from the repository root:

    python benchmarks/bench_playground.py [--steps 300]
"""

import argparse
import os
import shlex
import statistics
import sys
import time

PARSER = argparse.ArgumentParser(description=__doc__.splitlines()[0])
PARSER.add_argument("--steps", type=int, default=300, help="ticks to time (default 300)")
PARSER.add_argument("--warmup", type=int, default=20, help="untimed ticks first (default 20)")


def main(argv=None):
    args = PARSER.parse_args(argv)
    from course_pkg.widgets.training import Playground

    playground = Playground()
    for _ in range(args.warmup):
        playground.advance()
    wall, cpu = [], []
    for _ in range(args.steps):
        w0, c0 = time.perf_counter(), time.process_time()
        playground.advance()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    checked = []
    for _ in range(max(args.steps // 20, 5)):
        w0 = time.perf_counter()
        playground.advance(check=True)
        checked.append(time.perf_counter() - w0)
    ms = 1000.0
    deciles = statistics.quantiles(wall, n=10)
    print(f"command: {' '.join(shlex.quote(a) for a in [sys.executable.rsplit('/', 1)[-1], *sys.argv])}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"playground 2-8-8-1 on 200 points, {args.steps} ticks: step + redraw median {statistics.median(wall) * ms:.1f} ms "
          f"(p90 {deciles[-1] * ms:.1f} ms; CPU {statistics.median(cpu) * ms:.1f} ms), "
          f"full redraws {playground.full_redraws} of {playground.redraws}")
    print(f"with the gradient-check light (the step button): median {statistics.median(checked) * ms:.1f} ms")
    print(f"target: median < 50 ms per tick -> {'met' if statistics.median(wall) * ms < 50 else 'NOT met'}")


if __name__ == "__main__":
    main()
