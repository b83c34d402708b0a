"""Peak memory of a learner's kernel: each course notebook run top to bottom in a fresh kernel.

For every ``source/*/*.ipynb`` (the solved notebooks: the most a learner's kernel does), nbclient
runs the notebook in a fresh ``python3`` kernel with the notebook's folder as working directory,
then one extra cell, run in that kernel, reads

* the kernel's own peak resident memory (``VmHWM`` in ``/proc/self/status``), and
* the peak of the processes it started (the symbolic checker's worker): ``VmHWM`` of each live
  child, or ``ru_maxrss`` of the children already gone, whichever is larger.

Peaks of processes that share pages (a worker forked from a server) count those pages twice, so
the script also prints the proportional set size (``Pss``, shared pages split between their
users) of the kernel and its workers at the end of the notebook: the memory they really hold.
The kernel's peak is the figure docs/deploy.md quotes; size per-user limits with the sum (the
Jupyter server's own memory per user comes on top).

Run from the repository root (Linux: it reads /proc)::

    python benchmarks/bench_kernel_memory.py

Nothing is written inside the repository.
"""

import json
import pathlib
import sys

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[1]
COMMAND = "python benchmarks/bench_kernel_memory.py"

PROBE = r'''
import json as _json, os as _os, resource as _resource

def _hwm_kib(pid="self"):
    try:
        with open(f"/proc/{pid}/status") as _fh:
            for _line in _fh:
                if _line.startswith("VmHWM:"):
                    return int(_line.split()[1])
    except OSError:
        pass
    return 0

def _children(pid):
    kids = []
    try:
        for _task in _os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{_task}/children") as _fh:
                kids += [int(p) for p in _fh.read().split()]
    except OSError:
        pass
    return kids + [g for k in kids for g in _children(k)]

def _pss_kib(pid="self"):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as _fh:
            for _line in _fh:
                if _line.startswith("Pss:"):
                    return int(_line.split()[1])
    except OSError:
        pass
    return 0

_kids = _children(_os.getpid())
_live = sum(_hwm_kib(p) for p in _kids)
_gone = _resource.getrusage(_resource.RUSAGE_CHILDREN).ru_maxrss
print(_json.dumps({"kernel_kib": _hwm_kib(), "children_kib": max(_live, _gone),
                   "pss_kib": _pss_kib() + sum(_pss_kib(p) for p in _kids), "processes": 1 + len(_kids)}))
'''


def measure(path):
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    return json.loads(text.strip().splitlines()[-1])


def main():
    if not pathlib.Path("/proc/self/status").exists():
        sys.exit("this benchmark reads /proc: run it on Linux")
    print(f"command: {COMMAND}")
    worst_kernel = worst_sum = worst_pss = 0.0
    for path in sorted(ROOT.glob("source/*/*.ipynb")):
        peak = measure(path)
        kernel, children, pss = (peak[k] / 1024 for k in ("kernel_kib", "children_kib", "pss_kib"))
        worst_kernel, worst_sum, worst_pss = max(worst_kernel, kernel), max(worst_sum, kernel + children), max(worst_pss, pss)
        print(f"  {path.parent.name:<20} peak RSS: kernel {kernel:6.1f} MB, its workers {children:6.1f} MB; "
              f"at the end, PSS of all {peak['processes']} processes {pss:6.1f} MB")
    print(f"largest kernel peak: {worst_kernel:.0f} MB; kernel + workers: peaks summed {worst_sum:.0f} MB, "
          f"PSS {worst_pss:.0f} MB")


if __name__ == "__main__":
    main()
