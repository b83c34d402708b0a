"""Benchmark: course_pkg.network.gradients against the matmul floor and against torch autograd.

The network is a 784-256-128-10 MLP (ReLU hidden layers, softmax output, cross-entropy), a batch
of 256 examples, float64. Three things are timed, interleaved in one loop so that they share the
machine's state (turbo, other load):

* ``gradients``: course_pkg.network.gradients, input validation included;
* the *matmul floor*: only the eight matrix products that backpropagation cannot avoid (three
  forward, three for dC/dW, two for the errors of the hidden layers), on arrays of the same shapes
  and layouts. No implementation in NumPy can be faster than this;
* torch autograd (when ``import torch`` works): the same network and cost, forward and
  ``torch.autograd.grad``.

Medians over many repeats are reported, with the ratios gradients / floor (target <= 1.25) and
gradients / torch (target < 1). BLAS and torch use the same number of threads (``--threads``),
set before NumPy is imported.

Run (torch is not a project dependency; use a separate environment that has it):

    python benchmarks/bench_network.py [--threads 1] [--repeats 200]
"""

import argparse
import os
import sys

PARSER = argparse.ArgumentParser(description=__doc__.splitlines()[0])
PARSER.add_argument("--threads", type=int, default=1, help="BLAS and torch threads (default 1)")
PARSER.add_argument("--repeats", type=int, default=200, help="timed repeats of each (default 200)")
PARSER.add_argument("--batch", type=int, default=256, help="examples per batch (default 256)")
PARSER.add_argument("--no-torch", action="store_true", help="skip the torch comparison")

SIZES = [784, 256, 128, 10]
WARMUP = 10


def main(argv=None):
    args = PARSER.parse_args(argv)
    # Thread counts must be fixed before NumPy (and its BLAS) is first imported.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)

    import time

    import numpy as np

    from course_pkg.network import _forward, gradients, init_network

    try:
        if args.no_torch:
            raise ImportError
        import torch
    except ImportError:
        torch = None

    rng = np.random.default_rng(0)
    m = args.batch
    weights, biases = init_network(SIZES, seed=0)
    biases = [rng.normal(0.0, 0.1, b.shape) for b in biases]
    X = rng.normal(0.0, 1.0, (m, SIZES[0]))
    Y = np.eye(SIZES[-1])[rng.integers(0, SIZES[-1], m)]
    kwargs = dict(hidden="relu", output="softmax", loss="cross_entropy")

    # Arrays for the floor, with the shapes and memory layouts gradients() works on.
    cache = _forward(weights, biases, X, "relu", "softmax")
    A0, A1, A2 = cache.As[0], cache.As[1], cache.As[2]
    W1, W2, W3 = weights
    E3 = (cache.As[3] - Y) / m
    E2 = (E3 @ W3) * (cache.Zs[1] > 0)
    E1 = (E2 @ W2) * (cache.Zs[0] > 0)

    def floor():
        A0 @ W1.T  # (m, 256) forward
        A1 @ W2.T  # (m, 128)
        A2 @ W3.T  # (m, 10)
        E3.T @ A2  # dC/dW3 (10, 128)
        E3 @ W3  # E2 before g' (m, 128)
        E2.T @ A1  # dC/dW2 (128, 256)
        E2 @ W2  # E1 before g' (m, 256)
        E1.T @ A0  # dC/dW1 (256, 784)

    def ours():
        gradients(weights, biases, X, Y, **kwargs)

    contenders = {"gradients": ours, "matmul floor": floor}

    if torch is not None:
        torch.set_num_threads(args.threads)
        tW = [torch.tensor(W, requires_grad=True) for W in weights]
        tb = [torch.tensor(b, requires_grad=True) for b in biases]
        tX = torch.tensor(X)
        tlabels = torch.tensor(np.argmax(Y, axis=1))
        params = [p for pair in zip(tW, tb) for p in pair]
        F = torch.nn.functional

        def torch_autograd():
            A = tX
            for l in range(len(tW) - 1):
                A = torch.relu(F.linear(A, tW[l], tb[l]))
            logits = F.linear(A, tW[-1], tb[-1])
            cost = F.cross_entropy(logits, tlabels)  # mean over the batch, from logits
            torch.autograd.grad(cost, params)

        # Same cost and gradients as ours, or the comparison means nothing.
        cost, dW, db = gradients(weights, biases, X, Y, **kwargs)
        A = tX
        for l in range(len(tW) - 1):
            A = torch.relu(F.linear(A, tW[l], tb[l]))
        tcost = F.cross_entropy(F.linear(A, tW[-1], tb[-1]), tlabels)
        tgrads = torch.autograd.grad(tcost, params)
        assert abs(cost - tcost.item()) < 1e-12, f"costs differ: ours {cost}, torch {tcost.item()}"
        for ours_g, theirs in zip([g for pair in zip(dW, db) for g in pair], tgrads):
            diff = np.max(np.abs(ours_g - theirs.numpy()))
            assert diff < 1e-12, f"gradients differ from torch's by {diff}"
        contenders["torch autograd"] = torch_autograd

    times = {name: [] for name in contenders}
    for r in range(WARMUP + args.repeats):
        for name, fn in contenders.items():
            start = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - start
            if r >= WARMUP:
                times[name].append(elapsed)
    med = {name: float(np.median(t)) * 1e3 for name, t in times.items()}

    command = "python benchmarks/bench_network.py " + " ".join(sys.argv[1:] if argv is None else argv)
    print(f"command: {command.strip()}")
    print(
        f"network {'-'.join(map(str, SIZES))}, batch {m}, float64, relu/softmax/cross_entropy; "
        f"threads {args.threads}; {args.repeats} interleaved repeats; numpy {np.__version__}"
        + (f", torch {torch.__version__}" if torch is not None else ", torch not installed")
    )
    for name, value in med.items():
        print(f"  {name:<16} median {value:8.3f} ms")
    print(f"gradients / matmul floor   = {med['gradients'] / med['matmul floor']:.3f}  (target <= 1.25)")
    if torch is not None:
        print(f"gradients / torch autograd = {med['gradients'] / med['torch autograd']:.3f}  (target < 1)")
    else:
        print("gradients / torch autograd: torch is not importable here; skipped")


if __name__ == "__main__":
    main()
