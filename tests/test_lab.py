"""The README's first command: JupyterLab at the course root, notebook 01 open, no instructor's tools.

Talks over HTTP to the real server of the ``lab`` fixture (tests/conftest.py), started exactly as
the README's lab command, in this test environment, which has nbgrader installed: the project's
Jupyter config (``.jupyter/``, named by the command's ``JUPYTER_CONFIG_PATH``) must keep nbgrader's
server extensions and JupyterLab extension off, and the news popup away, even so.
"""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "notebooks/01-chain-rule/chain_rule.ipynb"
LEARNER = sorted(p.relative_to(ROOT).as_posix() for p in ROOT.glob("notebooks/*/*.ipynb"))
#: How the extensions API names @jupyter-widgets/jupyterlab-manager.
WIDGETS_EXTENSION = "jupyter-widgets-jupyterlab-manager"
NBGRADER_LAB_EXTENSION = "@jupyter/nbgrader"
#: What nbgrader's server extensions log when they are loaded in a learner's server.
NBGRADER_LOG = "The course directory root is not a subdirectory of the notebook server root"


def _page_config(page):
    match = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S)
    assert match, "the page has no jupyter-config-data"
    return json.loads(match.group(1))


def test_the_server_runs_the_readme_command(lab):
    """The fixture runs the README's `jupyter lab` with the project's config, opening notebook 01."""
    assert lab.env.get("JUPYTER_CONFIG_PATH") == str(ROOT / ".jupyter")
    assert lab.argv[1:3] == ["lab", NOTEBOOK]


def test_the_server_root_is_the_course_root(lab):
    status, body = lab.get("/api/contents")
    names = {item["name"] for item in json.loads(body)["content"]}
    assert status == 200 and {"notebooks", "README.md"} <= names, sorted(names)
    assert "Serving notebooks from local directory: " + str(ROOT) in lab.log()


def test_notebook_01_is_the_page_that_opens(lab):
    """The server's "open this" file (what a browser would be sent to) is notebook 01 in the lab UI."""
    runtime = lab.log_path.parent / "runtime"  # the fixture's JUPYTER_RUNTIME_DIR
    opened = sorted(runtime.glob("jpserver-file-to-run-*-open.html"))
    assert opened, f"no file-to-run page in {runtime}: the command does not open a notebook"
    assert f"/lab/tree/{NOTEBOOK}" in opened[0].read_text()
    status, page = lab.get(f"/lab/tree/{NOTEBOOK}")
    assert status == 200 and "JupyterLab" in page


def test_every_learner_notebook_is_reachable(lab):
    """The file browser (contents API) lists every notebook of notebooks/ as a notebook."""
    assert LEARNER
    for path in LEARNER:
        folder = path.rsplit("/", 1)[0]
        status, body = lab.get(f"/api/contents/{folder}")
        assert status == 200 and path in {item["path"] for item in json.loads(body)["content"]}, path
        status, body = lab.get(f"/api/contents/{path}")
        model = json.loads(body)
        assert status == 200 and model["type"] == "notebook" and model["content"]["cells"], path


def test_no_nbgrader_server_extension_runs(lab):
    assert NBGRADER_LOG not in lab.log()
    loaded = [line for line in lab.log().splitlines() if "nbgrader" in line and "extension" in line]
    assert not loaded, loaded  # "nbgrader.server_extensions.formgrader | extension was successfully linked."
    for path in ("/formgrader", "/assignments", "/validate_assignment", "/courses"):
        assert lab.get(path)[0] == 404, f"{path} is served: nbgrader's server extension is on"


def test_nbgrader_lab_extension_is_disabled_and_news_are_off(lab):
    status, page = lab.get(f"/lab/tree/{NOTEBOOK}")
    config = _page_config(page)
    assert NBGRADER_LAB_EXTENSION in config["disabledExtensions"], config["disabledExtensions"]
    assert config["news"] == {"disabled": True}
    status, body = lab.get("/lab/api/settings/@jupyterlab/apputils-extension:notification")
    defaults = {name: spec.get("default") for name, spec in json.loads(body)["schema"]["properties"].items()}
    assert status == 200 and defaults["fetchNews"] == "false" and defaults["checkForUpdates"] is False, defaults


def test_lab_ships_the_widgets_front_end(lab):
    """Without the widgets manager extension, the course's sliders would not render."""
    status, body = lab.get("/lab/api/extensions")
    names = {ext["name"] for ext in json.loads(body)}
    assert status == 200 and WIDGETS_EXTENSION in names, sorted(names)
