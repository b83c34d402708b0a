"""Binder: what repo2docker builds from binder/, rendered by repo2docker's own code (no Docker needed).

``python -m repo2docker --no-build`` picks the build pack and prints the Dockerfile Binder would
build. The tests read that Dockerfile and every file it installs from (repo2docker's base
environment lock, binder/environment.yml, binder/postBuild, binder/start): the learner's
dependencies and the course package are installed, nbgrader is not, and the server starts with
the project's Jupyter config. Then binder/postBuild really runs, in a fresh virtual environment,
and installs the course package and nothing else.
"""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
#: Seconds repo2docker may take to render, and pip to install the package.
RENDER_TIMEOUT, INSTALL_TIMEOUT = 120, 600


def _name(spec):
    return re.sub(r"[-_.]+", "-", re.match(r"\s*([A-Za-z0-9_.\-]+)", spec).group(1)).lower()


@pytest.fixture(scope="module")
def dockerfile():
    proc = subprocess.run([sys.executable, "-m", "repo2docker", "--no-build", str(ROOT)],
                          capture_output=True, text=True, timeout=RENDER_TIMEOUT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.lstrip().startswith("FROM "), proc.stdout[:500]
    return proc.stdout


def _base_environment_lock(dockerfile):
    """repo2docker's own base environment (JupyterLab, the notebook server), as the build copies it."""
    match = re.search(r"environment\.py-(\d+\.\d+)-linux-64\.lock", dockerfile.replace("-2e", ".").replace("-2d", "-"))
    assert match, "the Dockerfile installs no repo2docker base environment"
    spec = importlib.util.find_spec("repo2docker")  # not imported: it warns on import, the CLI renders
    assert spec is not None, "jupyter-repo2docker is not installed (it is in the test extra)"
    lock = Path(spec.origin).parent / "buildpacks" / "conda" / f"environment.py-{match.group(1)}-linux-64.lock"
    assert lock.is_file(), lock
    return match.group(1), lock.read_text()


def test_binder_uses_the_conda_build_of_binder_environment_yml(dockerfile):
    assert 'COPY --chown=0:0 src/binder/environment.yml ${REPO_DIR}/binder/environment.yml' in dockerfile
    assert 'env update -p ${NB_PYTHON_PREFIX} --file "binder/environment.yml"' in dockerfile
    assert "src/environment.yml" not in dockerfile, "repo2docker read the root environment.yml, not binder/"


def test_binder_python_is_the_one_binder_environment_yml_names(dockerfile):
    version, _ = _base_environment_lock(dockerfile)
    pinned = re.search(r"^\s*- python=(\d+\.\d+)\s*$", (ROOT / "binder" / "environment.yml").read_text(), re.M)
    assert pinned and pinned.group(1) == version


def test_binder_installs_the_learners_dependencies(dockerfile):
    """binder/environment.yml (what the build installs) lists the runtime dependencies and the lab extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(s) for s in project["dependencies"] + project["optional-dependencies"]["lab"]}
    text = (ROOT / "binder" / "environment.yml").read_text()
    dependencies = text.split("\ndependencies:\n", 1)[1]
    listed = {_name(line[4:]) for line in dependencies.splitlines() if re.match(r"^  - [A-Za-z]", line)}
    listed -= {"python", "pip"}
    assert listed == wanted, f"binder/environment.yml installs {sorted(listed)}; the learner needs {sorted(wanted)}"


def test_binder_installs_the_course_package(dockerfile):
    assert "RUN ./binder/postBuild" in dockerfile
    post_build = (ROOT / "binder" / "postBuild").read_text()
    assert re.search(r"^python -m pip install --no-deps -e \.$", post_build, re.M), post_build


def test_binder_installs_no_nbgrader(dockerfile):
    """Neither the Dockerfile nor anything it installs from brings nbgrader (an instructors' tool)."""
    _, base = _base_environment_lock(dockerfile)
    inputs = {"Dockerfile": dockerfile, "repo2docker's base environment": base}
    for name in ("environment.yml", "postBuild", "start"):
        inputs[f"binder/{name}"] = (ROOT / "binder" / name).read_text()
    assert "jupyterlab" in base, "the base environment should bring JupyterLab (is this the right lock file?)"
    leaks = [name for name, text in inputs.items() if "nbgrader" in text.lower()]
    assert not leaks, f"nbgrader is installed by {leaks}"


def test_binder_starts_with_the_projects_jupyter_config(dockerfile):
    """binder/start (repo2docker's entrypoint hook) names .jupyter/, as README command 1 does."""
    assert 'ENV R2D_ENTRYPOINT="${REPO_DIR}/binder/start"' in dockerfile
    start = ROOT / "binder" / "start"
    assert start.stat().st_mode & 0o100, "binder/start must be executable"
    text = start.read_text()
    assert 'export JUPYTER_CONFIG_PATH="${REPO_DIR:-$HOME}/.jupyter' in text and 'exec "$@"' in text
    env = dict(os.environ, REPO_DIR=str(ROOT), JUPYTER_CONFIG_PATH="/elsewhere")
    out = subprocess.run([str(start), "sh", "-c", 'printf %s "$JUPYTER_CONFIG_PATH"'], env=env,
                         capture_output=True, text=True, timeout=30, check=True).stdout
    assert out == f"{ROOT / '.jupyter'}:/elsewhere"
    assert (ROOT / ".jupyter" / "jupyter_server_config.json").is_file()


def test_binder_url_opens_the_learners_notebook_01():
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"https://mybinder\.org/v2/gh/[^)\s]+\?urlpath=lab/tree/([^)\s]+)", readme)
    assert match and match.group(1) == "notebooks/01-chain-rule/chain_rule.ipynb", match and match.group(1)


def test_post_build_installs_the_course_package_and_nothing_else(tmp_path):
    """binder/postBuild, run as repo2docker runs it (from the repository root), in a fresh venv."""
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, repo / name)
    for name in ("course_pkg", "binder"):
        shutil.copytree(ROOT / name, repo / name, symlinks=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = os.pathsep.join([str(bin_dir), "/usr/bin", "/bin"])
    proc = subprocess.run(["bash", str(repo / "binder" / "postBuild")], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    code = ("import importlib.metadata as m, importlib.util as u, json, course_pkg; "
            "print(course_pkg.__file__); print(json.dumps(sorted(d.metadata['Name'].lower() for d in m.distributions()))); "
            "print(u.find_spec('nbgrader'))")
    out = subprocess.run([str(bin_dir / "python"), "-c", code], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=60, check=True).stdout.splitlines()
    assert out[0] == str(repo / "course_pkg" / "__init__.py")
    installed = set(json.loads(out[1])) - {"pip", "setuptools"}
    assert installed == {"backprop-course"}, installed
    assert out[2] == "None", "nbgrader is importable after postBuild"
