"""The ``lab`` fixture: one real JupyterLab server, started exactly as the README's first command.

The command is read from README.md (the ``jupyter lab`` part of the block after
``<!-- lab-command -->``, with its environment assignments) and run from the repository root with
this environment's ``jupyter``, plus only what a test needs: ``--no-browser``, a free port, a
token (and ``--allow-root`` when run as root, as in CI). The user's own Jupyter config, settings
and workspaces are replaced by empty temporary folders, as on a learner's fresh machine. One
server serves the whole session (tests/test_lab.py and tests/test_browser.py) and is stopped at
the end, also when a test failed.
"""

import dataclasses
import os
import re
import secrets
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Seconds the server may take to answer its first request.
STARTUP_TIMEOUT = 120
#: An environment assignment in a shell command (``NAME=value``).
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")


def readme_lab_command():
    """(environment assignments, argv) of the README's ``jupyter lab`` command, ``$PWD`` = the root."""
    text = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- lab-command -->\s*```bash\n(.+?)\n```", text, re.S).group(1).strip()
    last = block.split("&&")[-1].strip()
    tokens = shlex.split(last)
    env = {}
    while tokens and _ASSIGNMENT.match(tokens[0]):
        name, value = _ASSIGNMENT.match(tokens.pop(0)).groups()
        env[name] = value.replace("${PWD}", str(ROOT)).replace("$PWD", str(ROOT))
    assert tokens[:2] == ["jupyter", "lab"], f"the README's lab command does not end with `jupyter lab ...`: {last}"
    return env, tokens


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclasses.dataclass
class LabServer:
    """A running JupyterLab: ``url(path)`` with the token, ``get(path[, method])`` -> (status, text), ``log()``."""

    base: str
    token: str
    log_path: Path
    argv: list
    env: dict

    def url(self, path):
        sep = "&" if "?" in path else "?"
        return f"{self.base}{path}{sep}token={self.token}"

    @property
    def settings_dir(self):
        """The user's JupyterLab settings folder (JUPYTERLAB_SETTINGS_DIR), empty at start."""
        return self.log_path.parent / "settings"

    def get(self, path, method="GET"):
        request = urllib.request.Request(self.base + path, method=method,
                                         headers={"Authorization": f"token {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def log(self):
        return self.log_path.read_text()


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    readme_env, argv = readme_lab_command()
    token, port = secrets.token_hex(16), _free_port()
    home = tmp_path_factory.mktemp("lab")
    log = home / "server.log"
    env = dict(os.environ)
    env.pop("JUPYTER_CONFIG_PATH", None)
    env.update(
        JUPYTER_CONFIG_DIR=str(home / "config"),  # a learner's fresh machine: no user config,
        JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),  # no saved settings,
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),  # no remembered open tabs
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
    )
    env.update(readme_env)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    command = [str(Path(sys.executable).parent / argv[0]), *argv[1:],
               "--no-browser", f"--port={port}", "--ip=127.0.0.1", f"--IdentityProvider.token={token}",
               *(["--allow-root"] if os.geteuid() == 0 else [])]  # CI runs as root
    with open(log, "w") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                  stdout=out, stderr=subprocess.STDOUT)
    running = LabServer(f"http://127.0.0.1:{port}", token, log, command, readme_env)
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        try:
            if running.get("/api/status")[0] == 200:
                break
        except (urllib.error.URLError, ConnectionError):
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"jupyter lab did not start:\n{log.read_text()[-1500:]}")
        time.sleep(0.3)
    yield running
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()

