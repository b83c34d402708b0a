"""The packaging contract: one set of dependencies everywhere, README commands that CI really runs,
and an ``import course_pkg`` that stays instant."""

import re
import stat
import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
HEAVY_MODULES = ("sympy", "matplotlib", "ipywidgets")
#: conda spells a few packages differently from PyPI.
CONDA_TO_PYPI = {}


def _requirement(spec):
    """Split 'numpy>=1.24' into ('numpy', '>=1.24'), names normalised as PEP 503 does."""
    spec = spec.split(";")[0].strip()
    match = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(.*)", spec)
    assert match, f"cannot read the requirement {spec!r}"
    name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
    return CONDA_TO_PYPI.get(name, name), match.group(2).replace(" ", "")


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _conda_dependencies(path):
    """The conda packages listed under ``dependencies:`` (not python, pip or the pip: section)."""
    deps, section = {}, None
    for line in path.read_text().splitlines():
        if re.match(r"^\w", line):  # a top-level key: name, channels, dependencies
            section = line.split(":")[0]
            continue
        item = re.match(r"^  - ([^#]+?)\s*(#.*)?$", line)  # two spaces: not the pip: sub-list
        if section != "dependencies" or not item or item.group(1) == "pip:":
            continue
        name, bound = _requirement(item.group(1))
        if name not in ("python", "pip"):
            deps[name] = bound
    return deps


def _course_dependencies():
    """What a learner's install brings: the runtime dependencies and the 'lab' extra."""
    project = _pyproject()["project"]
    specs = project["dependencies"] + project["optional-dependencies"]["lab"]
    return dict(_requirement(s) for s in specs)


def test_pyproject_declares_the_package_and_its_extras():
    project = _pyproject()["project"]
    assert project["requires-python"] == ">=3.10"
    runtime = {_requirement(s)[0] for s in project["dependencies"]}
    assert runtime == {"numpy", "sympy", "ipywidgets", "matplotlib"}, runtime
    extras = project["optional-dependencies"]
    lab = {_requirement(s)[0] for s in extras["lab"]}
    assert "jupyterlab" in lab and "nbgrader" not in lab, f"learners get JupyterLab, not nbgrader: {lab}"
    assert {"jupyterlab", "nbgrader"} <= {_requirement(s)[0] for s in extras["instructor"]}
    assert {"pytest", "hypothesis", "nbclient", "nbgrader", "jupyterlab"} <= {
        _requirement(s)[0] for s in extras["test"]
    }
    assert "torch" not in {_requirement(s)[0] for group in extras.values() for s in group}


def test_environment_files_agree_with_pyproject():
    """pyproject.toml, environment.yml and binder/environment.yml list the same packages and bounds."""
    expected = _course_dependencies()
    for path in (ROOT / "environment.yml", ROOT / "binder" / "environment.yml"):
        assert _conda_dependencies(path) == expected, f"{path.relative_to(ROOT)} disagrees with pyproject.toml"


def test_root_environment_installs_the_repo_with_pip():
    text = (ROOT / "environment.yml").read_text()
    assert re.search(r"^\s*- pip:\s*\n\s+- -e \.\s*$", text, re.M), "environment.yml must pip-install the repo"
    assert "conda-forge" in text


def test_binder_postbuild_installs_the_package_strictly():
    """repo2docker ignores the root files once binder/ exists, so postBuild must install course_pkg."""
    post_build = ROOT / "binder" / "postBuild"
    text = post_build.read_text()
    assert text.startswith("#!/bin/bash")
    assert "set -euo pipefail" in text
    assert re.search(r"pip install .*-e \.", text)
    assert post_build.stat().st_mode & stat.S_IXUSR, "binder/postBuild must be executable"


def _readme_command(marker):
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"<!-- {marker} -->\s*```bash\n(.+?)\n```", text, re.S)
    assert match, f"README.md has no ```bash block after <!-- {marker} -->"
    return match.group(1).strip()


def test_readme_starts_with_the_two_commands():
    text = (ROOT / "README.md").read_text()
    lab, tests = _readme_command("lab-command"), _readme_command("test-command")
    assert text.index(lab) < text.index(tests) < text.index("## The notebooks")
    assert 'pip install -e ".[lab]"' in lab and "jupyter lab" in lab
    notebook = lab.split("jupyter lab", 1)[1].strip()
    assert (ROOT / notebook).is_file(), f"the lab command opens {notebook}, which does not exist"
    assert 'pip install -e ".[test]"' in tests and tests.endswith("python -m pytest")


def test_ci_runs_the_readme_test_command():
    """.ci/run reads its command from the README: run its extraction and compare."""
    script = (ROOT / ".ci" / "run").read_text()
    assert "set -euo pipefail" in script and "rm -rf .venv" in script
    extraction = re.search(r"test_command=\$\((awk .+?README\.md)\)", script).group(1)
    out = subprocess.run(["bash", "-c", extraction], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == _readme_command("test-command")


def test_binder_link_opens_an_existing_notebook():
    text = (ROOT / "README.md").read_text()
    match = re.search(r"https://mybinder\.org/v2/gh/[^)\s]+\?urlpath=lab/tree/([^)\s]+)", text)
    assert match, "README.md has no Binder launch link with ?urlpath=lab/tree/..."
    assert (ROOT / match.group(1)).is_file(), match.group(1)


def test_nbgrader_output_folders_are_ignored_by_git():
    ignored = (ROOT / ".gitignore").read_text().split()
    for folder in ("/release/", "/submitted/", "/autograded/", "/feedback/", "/gradebook.db"):
        assert folder in ignored, folder


def _modules_after(statement):
    code = f"import sys; {statement}; print(' '.join(sorted(m for m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stderr == "", out.stderr
    return set(out.stdout.split())


def test_import_course_pkg_imports_no_heavy_module():
    loaded = _modules_after("import course_pkg")
    assert not {m for m in loaded if m.split(".")[0] in HEAVY_MODULES}
    assert "numpy" not in loaded, "import course_pkg alone should not even import numpy"


def test_numerical_modules_import_no_heavy_module():
    loaded = _modules_after(
        "import course_pkg.activations, course_pkg.losses, course_pkg.network, "
        "course_pkg.gradcheck, course_pkg.datasets"
    )
    assert "numpy" in loaded
    heavy = sorted({m.split(".")[0] for m in loaded} & set(HEAVY_MODULES))
    assert not heavy, f"the numerical core imported {heavy}"


def test_submodules_load_on_attribute_access():
    loaded = _modules_after("import course_pkg; course_pkg.activations.sigmoid")
    assert "course_pkg.activations" in loaded
    assert "sympy" not in loaded


def test_readme_layout_names_every_module_of_the_package():
    """A maintainer who adds a module to course_pkg/ is told to describe it in the README."""
    layout = (ROOT / "README.md").read_text().split("## Layout", 1)[1].split("## ", 1)[0]
    package = ROOT / "course_pkg"
    public = [p.name + ("/" if p.is_dir() else "") for p in package.iterdir()
              if not p.name.startswith("_") and (p.suffix == ".py" or (p / "__init__.py").exists())]
    missing = [name for name in sorted(public) if name not in layout]
    assert not missing, f"README.md's layout does not mention course_pkg/{missing}"
