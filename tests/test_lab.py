"""The README's first command: the installed JupyterLab really serves the course.

Starts a real ``jupyter lab`` server (no browser) on the repository, as the README's lab command
does, and asks it, over HTTP, for the page that command opens, the notebook's contents and the
front-end extensions it ships (the widgets manager must be there, or no slider would render).
"""

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "notebooks/01-chain-rule/chain_rule.ipynb"
#: Seconds the server may take to answer its first request.
STARTUP_TIMEOUT = 120
#: How the extensions API names @jupyter-widgets/jupyterlab-manager.
WIDGETS_EXTENSION = "jupyter-widgets-jupyterlab-manager"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    token, port = secrets.token_hex(16), _free_port()
    log = tmp_path_factory.mktemp("lab") / "server.log"
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(log.parent / "runtime"))
    with open(log, "w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={ROOT}",
             *(["--allow-root"] if os.geteuid() == 0 else [])],  # CI runs as root
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
        )
    base = f"http://127.0.0.1:{port}"

    def get(path):
        request = urllib.request.Request(base + path, headers={"Authorization": f"token {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()

    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        try:
            get("/api/status")
            break
        except (urllib.error.URLError, ConnectionError):
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"jupyter lab did not start:\n{log.read_text()[-1500:]}")
            time.sleep(0.5)
    yield get
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()


def test_lab_serves_the_page_the_readme_opens(lab):
    status, page = lab(f"/lab/tree/{NOTEBOOK}")
    assert status == 200 and "JupyterLab" in page


def test_lab_reads_notebook_01_as_a_notebook(lab):
    status, body = lab(f"/api/contents/{NOTEBOOK}")
    model = json.loads(body)
    assert status == 200 and model["type"] == "notebook"
    assert model["content"]["cells"], "notebook 01 came back empty"


def test_lab_ships_the_widgets_front_end(lab):
    """Without the widgets manager extension, the course's sliders would not render."""
    status, body = lab("/lab/api/extensions")
    names = {ext["name"] for ext in json.loads(body)}
    assert status == 200 and WIDGETS_EXTENSION in names, sorted(names)
