"""The sandbox the learner's code runs in while a notebook is graded.

One :class:`Worker` is one sandboxed process running :mod:`course_pkg.grading.worker`. In the
default mode, ``MODE == "bubblewrap"``, it is started as::

    prlimit --cpu --as --nproc --nofile --fsize --core=0 --    (rlimits; see Limits)
      bwrap --unshare-pid --unshare-net --unshare-ipc --unshare-uts --unshare-cgroup-try
            --die-with-parent --new-session --clearenv
            --ro-bind /usr, /etc/ld.so.cache, /etc/localtime; /bin, /lib* as on the host
            --ro-bind the Python install (its own site-packages hidden by an empty tmpfs)
            --ro-bind each top-level package of course_pkg's runtime dependencies -> /opt/site
            --ro-bind the sandbox's copy of course_pkg -> /opt/course/course_pkg
            --tmpfs /sandbox (HOME and working directory), --tmpfs /tmp (size-capped), --proc, --dev
        setpriv --reuid=U --regid=U --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs --
          python -I -S -B /opt/course/course_pkg/grading/worker.py

so the learner's code sees a read-only system, the interpreter and only the packages it needs,
an empty writable directory of its own, no network, no other process, no capability. It never
sees the course folder, the source notebooks, the gradebook, other submissions or the files
submitted beside its notebook (the course_pkg it imports is a copy without the references the
assignment forbids, see :mod:`course_pkg.grading.references`).

When the grader runs as root (CI, a grading server), bubblewrap mounts as root and ``setpriv``
drops, inside the sandbox, to a host uid of the sandbox's own (``HOST_UID_BASE`` + a slot held
with a lock file): its process limit is its own, and every process it leaves behind is found
by that uid and killed. When the grader is an ordinary user, bubblewrap's user namespace maps
that user to uid 65534 (``--unshare-user --uid 65534 --disable-userns --cap-drop ALL``) and the
pid namespace takes every process down with it. OpenBLAS/OMP/MKL run one thread so the
address-space limit does not trip on thread arenas.

Where bubblewrap or user namespaces are unavailable, ``MODE == "rlimits-only"``: the worker runs
with the same rlimits, a fresh temporary working directory and a cleared environment (and as
the dedicated uid when root and the interpreter is reachable by it), but it *can* read whatever
that uid can read. The mode is logged with a warning and reported in every graded cell's
metadata; it is never presented as a sandbox. ``COURSE_GRADING_SANDBOX=rlimits-only`` forces it
(for tests of the fallback).

>>> from course_pkg.grading import sandbox
>>> sandbox.MODE in ("bubblewrap", "rlimits-only")
True
"""

import collections
import dataclasses
import fcntl
import functools
import importlib.metadata
import json
import logging
import os
import pathlib
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from course_pkg.grading import protocol

log = logging.getLogger(__name__)

BWRAP = "/usr/bin/bwrap"
SETPRIV = "/usr/bin/setpriv"
PRLIMIT = "/usr/bin/prlimit"
#: The uid (and gid) the learner's code has inside the sandbox.
SANDBOX_UID = 65534
#: When the grader is root, sandbox n runs as host uid HOST_UID_BASE + n (n < UID_SLOTS).
HOST_UID_BASE = 420000
UID_SLOTS = 256
#: Where things appear inside the sandbox.
SITE_DIR = "/opt/site"
COURSE_DIR = "/opt/course"
HOME = "/sandbox"
#: Environment variable that forces the labelled fallback.
MODE_ENV = "COURSE_GRADING_SANDBOX"


@dataclasses.dataclass(frozen=True)
class Limits:
    """Resource limits of one worker (one notebook).

    Attributes
    ----------
    cpu_seconds : int
        RLIMIT_CPU of the worker: CPU seconds for the whole notebook (SIGXCPU, then SIGKILL).
    memory_bytes : int
        RLIMIT_AS: address space (an allocation past it raises MemoryError in the learner's code).
    processes : int
        RLIMIT_NPROC: processes and threads of the sandbox's uid.
    open_files : int
        RLIMIT_NOFILE.
    file_bytes : int
        RLIMIT_FSIZE: the largest file the learner's code can write.
    tmpfs_bytes : int
        Size of the sandbox's writable directory.
    notebook_seconds : float
        Wall-clock budget of the whole notebook (every cell and every check together).
    cell_seconds : float
        Wall-clock budget of one learner cell.
    call_seconds : float
        Wall-clock budget of one call of a learner function by a check.
    output_bytes : int
        Output kept per cell (the rest is counted and dropped).
    """

    cpu_seconds: int = 120
    memory_bytes: int = 3 * 2**30
    processes: int = 64
    open_files: int = 256
    file_bytes: int = 16 * 2**20
    tmpfs_bytes: int = 64 * 2**20
    notebook_seconds: float = 300.0
    cell_seconds: float = 60.0
    call_seconds: float = 20.0
    output_bytes: int = 64 * 2**10


class WorkerError(RuntimeError):
    """The worker died, broke the protocol or ran out of time; ``reason`` says which."""

    def __init__(self, reason, detail=""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class WorkerTimeout(WorkerError):
    pass


# ---------------------------------------------------------------------------------------------
# What the sandbox needs from the host.


@functools.lru_cache(maxsize=None)
def _layout():
    """Paths on the host: the interpreter, its install, the packages to bind, course_pkg."""
    prefix = pathlib.Path(sys.base_prefix).resolve()
    executable = pathlib.Path(os.path.realpath(sys.executable))
    if not str(executable).startswith(str(prefix)):
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        executable = prefix / "bin" / version
    stdlib = pathlib.Path(os.__file__).resolve().parent
    course = pathlib.Path(__file__).resolve().parents[1]
    return {
        "prefix": prefix,
        "executable": executable,
        "stdlib_site": stdlib / "site-packages",
        "course": course,
        "site": tuple(_site_entries()),
    }


def _dependency_closure(root="backprop-course"):
    """The distributions course_pkg needs at run time (no extras), recursively."""
    from packaging.requirements import Requirement

    seen, todo, found = set(), [root], []
    while todo:
        name = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        if key != root:
            found.append(dist)
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return found


def _site_entries():
    """(host path, name) of every top-level module or package of the dependency closure."""
    entries = {}
    for dist in _dependency_closure():
        for file in dist.files or ():
            top = file.parts[0] if file.parts else ""
            if (not top or top == ".." or top == "__pycache__" or top.endswith((".dist-info", ".egg-info", ".pth"))):
                continue
            path = pathlib.Path(dist.locate_file(top)).resolve()
            if path.exists():
                entries.setdefault(top, path)
    return sorted((str(p), name) for name, p in entries.items())


def _system_binds():
    """(kind, host, dest) for the read-only system: /usr and the few /etc files Python reads."""
    binds = [("bind", "/usr", "/usr")]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = pathlib.Path("/") / name
        if path.is_symlink():
            binds.append(("symlink", os.readlink(path), str(path)))
        elif path.is_dir():
            binds.append(("bind", str(path), str(path)))
    for name in ("/etc/ld.so.cache", "/etc/localtime"):
        if os.path.exists(name):
            binds.append(("bind", os.path.realpath(name), name))
    return binds


def _environment():
    return {
        "HOME": HOME,
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": f"{HOME}/.matplotlib",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NUMEXPR_NUM_THREADS": "1",
    }


def _rlimit_args(limits, processes):
    cpu = int(limits.cpu_seconds)
    return [
        PRLIMIT, f"--cpu={cpu}:{cpu + 5}", f"--as={limits.memory_bytes}", f"--nproc={processes}",
        f"--nofile={limits.open_files}", f"--fsize={limits.file_bytes}", f"--core=0", "--",
    ]


def _uid_procs(uid):
    """Pids of processes whose real uid is ``uid`` (read from /proc)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as fh:
                for line in fh:
                    if line.startswith("Uid:"):
                        if int(line.split()[1]) == uid:
                            pids.append(int(entry))
                        break
        except (OSError, ValueError):
            continue
    return pids


def _reachable_by_others(path):
    """Whether every directory above ``path`` can be searched, and ``path`` run, by any uid."""
    path = pathlib.Path(path)
    try:
        if not os.stat(path).st_mode & 0o001:
            return False
        return all(os.stat(parent).st_mode & 0o001 for parent in path.parents)
    except OSError:
        return False


def _slot_dir():
    """Where the lock files of the uid slots live (one per slot, held while a sandbox runs)."""
    directory = pathlib.Path(tempfile.gettempdir()) / "course-grading-slots"
    directory.mkdir(mode=0o700, exist_ok=True)
    return directory


class _Slot:
    """A host uid of its own for one sandbox (root only), held with a lock file."""

    def __init__(self):
        self.uid = None
        self._fh = None
        directory = _slot_dir()
        start = os.getpid() % UID_SLOTS
        for k in range(UID_SLOTS):
            n = (start + k) % UID_SLOTS
            fh = open(directory / f"{n}.lock", "w")
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                fh.close()
                continue
            self.uid, self._fh = HOST_UID_BASE + n, fh
            break
        if self.uid is None:
            raise WorkerError("no free sandbox slot", f"all {UID_SLOTS} are in use")
        self.reap()  # anything an earlier run left behind under this uid

    def reap(self, wait=2.0):
        deadline = time.monotonic() + wait
        while True:
            pids = _uid_procs(self.uid)
            if not pids:
                return True
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            if time.monotonic() > deadline:
                log.error("sandbox uid %s still has processes %s", self.uid, pids)
                return False
            time.sleep(0.02)

    def release(self):
        if self._fh is not None:
            self.reap()
            self._fh.close()
            self._fh = None


# ---------------------------------------------------------------------------------------------
# Mode detection.


def _bwrap_args(limits, uid=None, course=None, font_cache=None, font_dir=None):
    """The bubblewrap command line up to the interpreter.

    Run by root (``uid`` given): bubblewrap mounts as root, then ``setpriv`` inside the sandbox
    drops to the host uid ``uid`` with no capabilities (inheritable, bounding) and
    ``no_new_privs``. Run by another user: bubblewrap's own user namespace maps it to
    :data:`SANDBOX_UID`, and creating further user namespaces is disabled.
    """
    lay = _layout()
    course = course or lay["course"]
    args = [BWRAP]
    if uid is None:
        args += ["--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
                 "--disable-userns", "--cap-drop", "ALL"]
    args += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
             "--hostname", "sandbox", "--die-with-parent", "--new-session", "--clearenv"]

    binds = [(kind, host, dest) for kind, host, dest in _system_binds()]
    binds.append(("bind", str(lay["prefix"]), str(lay["prefix"])))
    binds += [("bind", host, f"{SITE_DIR}/{name}") for host, name in lay["site"]]
    binds.append(("bind", str(course), f"{COURSE_DIR}/course_pkg"))
    # Every directory above a mount point, made world-readable (bubblewrap as root makes them 0700).
    parents = sorted({str(p) for _, _, dest in binds for p in pathlib.PurePosixPath(dest).parents
                      if str(p) != "/"} - {dest for kind, _, dest in binds if kind == "symlink"})
    for parent in parents:
        if not any(parent == d or parent.startswith(d + "/") for kind, _, d in binds if kind == "bind"):
            args.extend(["--perms", "0755", "--dir", parent])
    for kind, host, dest in binds:
        args.extend(["--symlink" if kind == "symlink" else "--ro-bind", host, dest])
    if lay["stdlib_site"].is_dir():  # the interpreter's own site-packages: hidden
        args.extend(["--tmpfs", str(lay["stdlib_site"])])
    args.extend(["--proc", "/proc", "--dev", "/dev",
                 "--perms", "1777", "--size", str(limits.tmpfs_bytes), "--tmpfs", HOME,
                 "--perms", "1777", "--size", str(limits.tmpfs_bytes), "--tmpfs", "/tmp",
                 "--chdir", HOME])
    mpl = _environment()["MPLCONFIGDIR"]
    if font_dir is not None:  # building the font cache: the one writable bind there is
        args.extend(["--bind", str(font_dir), mpl])
    elif font_cache is not None:  # matplotlib reads it; a rebuild would only be written beside it
        args.extend(["--perms", "1777", "--dir", mpl,
                     "--ro-bind", str(font_cache), f"{mpl}/{pathlib.Path(font_cache).name}"])
    for key, value in _environment().items():
        args.extend(["--setenv", key, value])
    if uid is not None:
        args += _setpriv(uid)
    return args


def _setpriv(uid):
    return [SETPRIV, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
            "--bounding-set=-all", "--no-new-privs", "--"]


@functools.lru_cache(maxsize=None)
def _font_cache():
    """matplotlib's font cache, built once in a sandbox (so its font paths are the sandbox's).

    Without it every worker would rebuild it (about a second) in its empty home.
    """
    if mode() != "bubblewrap":
        return None
    directory = pathlib.Path(tempfile.mkdtemp(prefix="course-grading-mpl-"))
    directory.chmod(0o777)
    uid = HOST_UID_BASE + UID_SLOTS if os.geteuid() == 0 else None
    code = (f"import sys; sys.path += [{SITE_DIR!r}, {COURSE_DIR!r}]; import matplotlib.font_manager")
    try:
        subprocess.run(_bwrap_args(Limits(), uid, font_dir=directory)
                       + [str(_layout()["executable"]), "-I", "-S", "-c", code],
                       capture_output=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("no matplotlib font cache for the sandbox: %s", exc)
        return None
    found = sorted(directory.glob("fontlist-*.json"))
    return str(found[0]) if found else None


@functools.lru_cache(maxsize=None)
def _probe():
    """("bubblewrap" | "rlimits-only", reason): try the real sandbox once."""
    forced = os.environ.get(MODE_ENV, "").strip()
    if forced == "rlimits-only":
        return "rlimits-only", f"forced by {MODE_ENV}=rlimits-only"
    if not os.path.exists(BWRAP):
        return "rlimits-only", f"{BWRAP} is not installed (Debian package bubblewrap)"
    uid = HOST_UID_BASE + UID_SLOTS if os.geteuid() == 0 else None
    try:
        cmd = _bwrap_args(Limits(), uid) + [str(_layout()["executable"]), "-I", "-S", "-c", "print('ok')"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        return "rlimits-only", f"bubblewrap could not start: {exc}"
    if proc.returncode != 0 or proc.stdout.strip() != "ok":
        return "rlimits-only", (f"bubblewrap failed (exit {proc.returncode}): {proc.stderr.strip()[:300]}; "
                                "are unprivileged user namespaces enabled?")
    return "bubblewrap", "bubblewrap with user, pid, network, ipc and uts namespaces"


def mode():
    """The sandbox mode of this grader: ``"bubblewrap"`` or ``"rlimits-only"`` (and a warning)."""
    name, reason = _probe()
    if name != "bubblewrap" and not getattr(mode, "_warned", False):
        mode._warned = True
        log.warning("TRUSTED GRADING WITHOUT A SANDBOX (rlimits-only mode): %s. The learner's "
                    "code runs with resource limits only and can read what the grading user "
                    "can read.", reason)
    return name


def mode_reason():
    return _probe()[1]


def __getattr__(name):
    if name == "MODE":
        return mode()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ---------------------------------------------------------------------------------------------
# One worker process.


class Worker:
    """One sandboxed worker process; :meth:`request` sends a frame and reads the reply.

    Use as a context manager; :meth:`close` kills the whole process tree whatever happens.
    ``course`` is the ``course_pkg`` directory the worker imports (default: this one; the
    grader passes :func:`course_pkg.grading.references.sandbox_course`).
    """

    def __init__(self, limits=Limits(), seed=0, course=None):
        self.limits = limits
        self.course = pathlib.Path(course) if course else _layout()["course"]
        self.mode = mode()
        self.started = time.monotonic()
        self.deadline = self.started + limits.notebook_seconds
        self._stderr = collections.deque(maxlen=64)
        self._slot = None
        self._tmp = None
        self.proc = None
        try:
            self._start(seed)
        except BaseException:
            self.close()
            raise

    # -- starting

    def _start(self, seed):
        lay = _layout()
        root = os.geteuid() == 0
        if root and self.mode != "bubblewrap" and not _reachable_by_others(lay["executable"]):
            log.warning("rlimits-only mode: %s is not reachable by an unprivileged uid, so the "
                        "worker keeps the grader's uid", lay["executable"])
            root = False
        if root:
            self._slot = _Slot()
        processes = self.limits.processes
        if not root:  # RLIMIT_NPROC counts every process of this uid
            processes += len(_uid_procs(os.getuid()))
        cmd = _rlimit_args(self.limits, processes)
        if self.mode == "bubblewrap":
            cmd += _bwrap_args(self.limits, self._slot.uid if root else None, self.course,
                               font_cache=_font_cache())
            cmd += [str(lay["executable"]), "-I", "-S", "-B", f"{COURSE_DIR}/course_pkg/grading/worker.py"]
            sys_path = [SITE_DIR, COURSE_DIR]
            env, cwd = {}, "/"
        else:
            self._tmp = tempfile.mkdtemp(prefix="course-grading-")
            if root:
                os.chown(self._tmp, self._slot.uid, self._slot.uid)
            course = pathlib.Path(self._tmp) / "lib"
            site = course / "site"
            site.mkdir(parents=True)
            shutil.copytree(self.course, course / "course_pkg",
                            ignore=shutil.ignore_patterns("__pycache__"))
            for host, name in lay["site"]:
                os.symlink(host, site / name)
            home = pathlib.Path(self._tmp) / "home"
            home.mkdir()
            if root:
                os.chown(home, self._slot.uid, self._slot.uid)
                cmd += _setpriv(self._slot.uid)
            cmd += [str(lay["executable"]), "-I", "-S", "-B", str(course / "course_pkg" / "grading" / "worker.py")]
            sys_path = [str(site), str(course)]
            env = dict(_environment(), HOME=str(home), MPLCONFIGDIR=str(home / ".matplotlib"))
            cwd = str(home)
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=env, cwd=cwd, start_new_session=True, bufsize=0,
        )
        self._drain = threading.Thread(target=self._drain_stderr, daemon=True)
        self._drain.start()
        hello = {"sys_path": sys_path, "seed": seed, "output_cap": self.limits.output_bytes}
        self._write((json.dumps(hello) + "\n").encode(), self._deadline(30))

    def _drain_stderr(self):
        stream = self.proc.stderr
        kept = 0
        while True:
            try:
                chunk = stream.read(4096)
            except (OSError, ValueError):
                return
            if not chunk:
                return
            if kept < 16384:
                self._stderr.append(chunk.decode("utf-8", "replace"))
                kept += len(chunk)

    def stderr_tail(self):
        return "".join(self._stderr)[-2000:]

    # -- talking

    def remaining(self):
        return self.deadline - time.monotonic()

    def _deadline(self, seconds):
        return min(time.monotonic() + seconds, self.deadline)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def _write(self, data, deadline):
        fd = self.proc.stdin.fileno()
        view = memoryview(data)
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WorkerTimeout("timeout", "the worker stopped reading")
            _, ready, _ = select.select([], [fd], [], left)
            if not ready:
                continue
            try:
                n = os.write(fd, view[:65536])
            except (BrokenPipeError, OSError):
                raise self._died() from None
            view = view[n:]

    def _read_exact(self, n, deadline):
        fd = self.proc.stdout.fileno()
        parts, got = [], 0
        while got < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WorkerTimeout("timeout", "no reply in time")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, min(n - got, 1 << 20))
            if not chunk:
                raise self._died()
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts)

    def _died(self):
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            code = None
        detail = f"exit status {code}" if code is not None and code >= 0 else (
            f"killed by signal {-code}" if code is not None else "no longer answering")
        return WorkerError("died", detail)

    def request(self, header, arrays=(), timeout=None):
        """Send one request; return the reply ``(header, arrays)``.

        Raises :class:`WorkerTimeout` (the worker is then killed), :class:`WorkerError` if it
        died or broke the protocol.
        """
        if not self.alive():
            raise WorkerError("died", "the worker is not running")
        if self.remaining() <= 0:
            self.close()
            raise WorkerTimeout("notebook_timeout", f"the notebook used its {self.limits.notebook_seconds:g} s")
        deadline = self._deadline(timeout if timeout is not None else self.limits.call_seconds)
        try:
            self._write(protocol.pack(header, arrays), deadline)
            return protocol.read_frame(lambda n: self._read_exact(n, deadline))
        except WorkerTimeout:
            self.close()
            raise
        except protocol.ProtocolError as exc:
            self.close()
            raise WorkerError("protocol", str(exc)) from None
        except WorkerError:
            self.close()
            raise

    # -- stopping

    def close(self):
        """Kill the worker's whole process tree and free its uid slot (idempotent)."""
        proc = self.proc
        if proc is not None:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except OSError:
                    pass
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                log.error("sandbox process %s did not exit after SIGKILL", proc.pid)
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                try:
                    stream.close()
                except (OSError, AttributeError):
                    pass
        if self._slot is not None:
            self._slot.release()
            self._slot = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
