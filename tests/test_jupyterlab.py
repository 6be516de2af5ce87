"""The notebooks in a real JupyterLab: a server on 127.0.0.1 with the notebooks copied into a temporary
root, each notebook opened in headless Chromium, every cell run from the user interface
(``notebook:run-all-cells``), and every plotly figure checked to be drawn at full size with no error
output. The landscape of the bundled sample is built once beforehand into the cache folder, where
the notebooks' default parameters find it. Skipped when chromium, playwright or jupyterlab is missing.

``LANDSCAPE_SCREENSHOTS=DIR`` saves a screenshot of each notebook in DIR (the README's picture).
"""

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

# one Chromium launcher (flags, skips without chromium or playwright) for every browser test
from test_browser import browser  # noqa: E402, F401  (a fixture)

pytest.importorskip("jupyterlab", reason="jupyterlab is not installed")

import landscape.present.notebook as nb  # noqa: E402
from landscape.present import opening  # noqa: E402
from landscape.present.report import NOTEBOOKS, notebook_dir  # noqa: E402

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[1]
NAMES = [name for name, _, _ in NOTEBOOKS]
MIN_FIGURES = {"landscape_map": 2, "topic_trends": 5, "topic_deep_dive": 1}
SERVER_START_S = 90
NOTEBOOK_RUN_S = 300
MIN_HEIGHT = 150  # pixels: no figure of the notebooks is meant to be smaller

# JavaScript run in JupyterLab (the app object is exposed with --LabApp.expose_app_in_browser)
NOTEBOOK_READY = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  return !!(w && w.content && w.sessionContext && w.sessionContext.session
            && w.sessionContext.session.kernel && w.sessionContext.session.kernel.status === 'idle');
}"""
RUN_ALL = "() => window.jupyterapp.commands.execute('notebook:run-all-cells')"
ALL_RUN = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const cells = w.content.widgets.filter(c => c.model.type === 'code');
  // a cell's execution count is cleared when it starts and set when it has run
  return cells.every(c => c.model.executionCount !== null)
    && w.sessionContext.session.kernel.status === 'idle';
}"""
OUTPUTS = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const errors = [], stderr = [];
  for (const cell of w.content.widgets) {
    if (cell.model.type !== 'code') continue;
    for (const out of cell.model.outputs.toJSON()) {
      if (out.output_type === 'error') errors.push(out.ename + ': ' + out.evalue);
      if (out.output_type === 'stream' && out.name === 'stderr') stderr.push(String(out.text));
    }
  }
  const plots = Array.from(w.content.node.querySelectorAll('.js-plotly-plot')).map(gd => {
    const box = gd.getBoundingClientRect();
    const svg = gd.querySelector('.main-svg');
    return {height: box.height, width: box.width, wanted: gd.layout.height || null,
            svg: svg ? svg.getBoundingClientRect().height : 0, drawn: !!gd._fullLayout};
  });
  return {errors, stderr, plots, cells: w.content.widgets.length};
}"""
SHOW_FIRST_FIGURE = """() => {
  window.jupyterapp.shell.collapseLeft();
  const w = window.jupyterapp.shell.currentWidget;
  const cell = w.content.widgets.find(c => c.node.querySelector('.js-plotly-plot'));
  w.content.scrollToItem(w.content.widgets.indexOf(cell), 'start');
}"""
SHUT_DOWN = """() => window.jupyterapp && window.jupyterapp.shell.currentWidget
  && window.jupyterapp.shell.currentWidget.sessionContext.shutdown()"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def prebuilt():
    """The bundled sample's landscape, built where the notebooks' default parameters look for it."""
    return opening.open_landscape(None, None, log=None)


@pytest.fixture(scope="module")
def server(tmp_path_factory, prebuilt):
    root = tmp_path_factory.mktemp("lab-root")
    for name in NAMES:
        shutil.copy(notebook_dir() / f"{name}.ipynb", root / f"{name}.ipynb")
    home = tmp_path_factory.mktemp("lab-home")
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "PYTHONPATH": os.pathsep.join(
            [str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]
        ),
    }
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
        "--ServerApp.terminals_enabled=False",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # CI containers run as root
    # no news, update checks or toasts: nothing leaves the machine and nothing covers the notebook
    settings = home / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    settings.parent.mkdir(parents=True)
    settings.write_text('{"fetchNews": "false", "checkForUpdates": false, "doNotDisturbMode": true}')
    log = (home / "server.log").open("wb")
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_S
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not start: {(home / 'server.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield {"base": base, "token": token, "root": root}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_in_jupyterlab_with_full_size_figures(server, browser, name):  # noqa: F811
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if "Expected length" in m.text else None)
    try:
        # a workspace per notebook, so no tab (and kernel) of another test is restored beside it
        url = f"{server['base']}/lab/workspaces/{name}/tree/{name}.ipynb?reset&token={server['token']}"
        page.goto(url, timeout=60_000)
        page.wait_for_function(NOTEBOOK_READY, timeout=120_000, polling=500)
        page.evaluate(RUN_ALL)
        page.wait_for_function(ALL_RUN, timeout=NOTEBOOK_RUN_S * 1000, polling=500)
        page.wait_for_timeout(1500)  # the last figures draw after the kernel went idle
        found = page.evaluate(OUTPUTS)
        assert not found["errors"], found["errors"]
        assert not found["stderr"], found["stderr"]
        plots = found["plots"]
        assert len(plots) >= MIN_FIGURES[name], plots
        for plot in plots:  # drawn at the figure's own height, or the default one (collapsed: ~7 px)
            wanted = plot["wanted"] or nb.FIGURE_HEIGHT
            assert plot["drawn"] and plot["height"] >= wanted - 2 and plot["svg"] >= wanted - 2, plots
            assert plot["height"] >= MIN_HEIGHT, plots
            assert plot["width"] > 400, plots
        assert not problems, problems
        shots = os.environ.get("LANDSCAPE_SCREENSHOTS")
        if shots:
            page.evaluate(SHOW_FIRST_FIGURE)
            page.wait_for_timeout(500)
            target = Path(shots) / f"jupyterlab-{name}.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(target))
    finally:
        page.evaluate(SHUT_DOWN)
        context.close()
