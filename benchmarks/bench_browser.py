"""How long the browser test (tests/test_browser.py) takes, phase by phase, per notebook.

Runs the real test (one JupyterLab server, one headless Chromium) with COURSE_BROWSER_TIMINGS set,
then prints each phase's wall time and the total. Target: the whole browser test under 3 minutes
on 2 cores. Usage (from the repository root, test environment active)::

    python benchmarks/bench_browser.py
"""

import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main():
    with tempfile.TemporaryDirectory() as tmp:
        timings = Path(tmp) / "timings.jsonl"
        command = [sys.executable, "-m", "pytest", "tests/test_browser.py", "-q", "-p", "no:cacheprovider"]
        start = time.perf_counter()
        proc = subprocess.run(command, cwd=ROOT, env=dict(os.environ, COURSE_BROWSER_TIMINGS=str(timings)))
        total = time.perf_counter() - start
        rows = [json.loads(line) for line in timings.read_text().splitlines()] if timings.exists() else []
    per_notebook = collections.defaultdict(float)
    for row in rows:
        per_notebook[row["notebook"]] += row["seconds"]
        print(f"{row['notebook']:<20} {row['phase']:<55} {row['seconds']:6.1f} s")
    for notebook, seconds in per_notebook.items():
        print(f"{notebook:<20} {'(all phases)':<55} {seconds:6.1f} s")
    print(f"whole browser test (pytest wall time, {os.cpu_count()} cores): {total:.1f} s "
          f"(target < 180 s); exit code {proc.returncode}")
    print("command:", " ".join(["python", "benchmarks/bench_browser.py"]))
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
