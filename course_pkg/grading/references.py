"""The copy of course_pkg a sandbox sees: the references an assignment forbids are not in it.

In the notebook, a spec's ``forbid`` modules are switched off only while the learner's function
runs (:class:`course_pkg.checks._core.forbid_reference`), and code running in the same process
can get around that (copy a reference's code object beforehand, read its source and ``exec``
it). In the sandbox there is nothing to get around: the worker imports a copy of course_pkg in
which every function the assignment forbids has its body replaced by
``raise ReferenceUsed(...)`` (docstring and signature kept), at the source level, so neither its
code object nor its source text exists anywhere the learner's code can read. Calling one ends
the call with ``LearnerRaised("ReferenceUsed", ...)``, which the engine reports as
``reference_used``.

Which functions: for a library module of the course (``course_pkg.network``,
``course_pkg.gradcheck``, ...), every top-level function; for a spec module of
:mod:`course_pkg.checks` that forbids itself, the functions its specs use as ``reference``,
``numeric`` or a probe's ``wrong`` (its helpers and the notebook's ``check`` stay usable).
"""

import ast
import atexit
import compileall
import functools
import importlib
import importlib.util
import logging
import pathlib
import shutil
import tempfile
import types

log = logging.getLogger(__name__)

#: The exception class the stubs raise (its name is what crosses the protocol).
EXCEPTION = "ReferenceUsed"
_CHECKS = "course_pkg.checks"


def forbidden(assignment):
    """``{module name: set of function names}`` the sandbox of ``assignment`` must not contain."""
    from course_pkg import checks

    try:
        table = checks.specs(assignment)
    except ValueError:
        return {}
    out = {}
    for spec in table.values():
        for module_name in getattr(spec, "forbid", ()) or ():
            module = importlib.import_module(module_name)
            if module_name == _CHECKS or module_name.startswith(_CHECKS + "."):
                names = _spec_functions(table.values(), module)
            else:
                names = {n for n, v in vars(module).items()
                         if isinstance(v, types.FunctionType) and v.__module__ == module_name}
            out.setdefault(module_name, set()).update(names)
    return out


def _spec_functions(specs, module):
    found = set()
    for spec in specs:
        candidates = [getattr(spec, "reference", None), getattr(spec, "numeric", None)]
        candidates += [getattr(p, "wrong", None) for p in getattr(spec, "probes", ())]
        for func in candidates:
            if (isinstance(func, types.FunctionType) and func.__module__ == module.__name__
                    and vars(module).get(func.__name__) is func):
                found.add(func.__name__)
    return found


def poison(source, names, module_name):
    """``source`` with the bodies of the top-level functions ``names`` replaced by a raise.

    >>> text = poison('def f(x):\\n    "Doc."\\n    return 2 * x\\n', {"f"}, "m")
    >>> "return 2 * x" in text, "raise ReferenceUsed(" in text, "Doc." in text
    (False, True, True)
    """
    tree = ast.parse(source)
    hit = False
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in names:
            doc = ast.get_docstring(node, clean=False)
            message = (f"{module_name}.{node.name}() is one of the course's reference "
                       "implementations, switched off while your notebook is graded: the exercise "
                       "is to write this computation yourself.")
            raise_stmt = ast.parse(f"raise {EXCEPTION}({message!r})").body[0]
            node.body = ([ast.Expr(ast.Constant(doc))] if doc is not None else []) + [raise_stmt]
            hit = True
    if not hit:
        return source
    at = 0
    while at < len(tree.body) and (
            (isinstance(tree.body[at], ast.Expr) and isinstance(getattr(tree.body[at], "value", None), ast.Constant)
             and at == 0)
            or (isinstance(tree.body[at], ast.ImportFrom) and tree.body[at].module == "__future__")):
        at += 1
    tree.body[at:at] = ast.parse(f"class {EXCEPTION}(Exception):\n    pass\n").body
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


_made = []


@functools.lru_cache(maxsize=None)
def sandbox_course(assignment):
    """A directory holding ``course_pkg/`` as the sandbox of ``assignment`` sees it (cached)."""
    origin = pathlib.Path(__file__).resolve().parents[1]
    root = pathlib.Path(tempfile.mkdtemp(prefix="course-pkg-sandbox-"))
    _made.append(root)
    root.chmod(0o755)
    target = root / "course_pkg"
    shutil.copytree(origin, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for module_name, names in sorted(forbidden(assignment).items()):
        spec = importlib.util.find_spec(module_name)
        path = pathlib.Path(spec.origin).resolve()
        relative = path.relative_to(origin)
        destination = target / relative
        destination.write_text(poison(path.read_text(encoding="utf-8"), names, module_name), encoding="utf-8")
        log.info("sandbox of %s: %s without %s", assignment, module_name, ", ".join(sorted(names)))
    # Compiled once here: the sandbox cannot write bytecode, and would compile it for every notebook.
    compileall.compile_dir(str(target), quiet=1, workers=1)
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return target


@atexit.register
def _cleanup():
    for root in _made:
        shutil.rmtree(root, ignore_errors=True)
