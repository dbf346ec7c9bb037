"""The notebooks in JupyterLab itself, as an analyst uses them: a real JupyterLab server (with the
project's configuration) and headless Chromium, Run All on the project's ``finestats`` kernel.

Copies of notebooks 00 (the live explorer), 01 and 04 are served from a temporary folder, so the
tracked files are never touched; JupyterLab's settings, workspaces and runtime files live there
too. The browser is
driven through JupyterLab's own application object (``--LabApp.expose_app_in_browser``): the
same commands as the Run menu, and the notebook's own save.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .conftest import NOTEBOOKS, REPO
from .devtools import DevTools, new_tab, stop

pytestmark = pytest.mark.slow

JUPYTER_LAB = Path(sys.executable).with_name("jupyter-lab")
#: The notebook's panel in JupyterLab's main area (NAME: the notebook's path).
PANEL = "Array.from(window.jupyterapp.shell.widgets('main')).find(w => w.context?.path === NAME)"


@dataclass(frozen=True)
class Lab:
    url: str
    token: str
    root: Path  # the folder JupyterLab serves
    state: Path  # its settings, workspaces, log; the screenshots


def _panel(name: str) -> str:
    return PANEL.replace("NAME", json.dumps(name))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """JupyterLab on 127.0.0.1 with the project's server configuration (outputs stripped on
    save) serving copies of notebooks 00, 01 and 04, plus a copy of 01 to make mistakes in."""
    root = tmp_path_factory.mktemp("lab")
    for nb in NOTEBOOKS.glob("0[014]-*.ipynb"):
        shutil.copy(nb, root)
    shutil.copy(next(NOTEBOOKS.glob("01-*.ipynb")), root / "typo.ipynb")
    state = root.parent / f"{root.name}-jupyter"
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(state / "config"),
        "JUPYTERLAB_SETTINGS_DIR": str(state / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(state / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(state / "runtime"),
    }
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [
        str(JUPYTER_LAB),
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--config={REPO / 'jupyter_server_config.py'}",
        "--LabApp.expose_app_in_browser=True",
        "--allow-root",
    ]
    log = state / "lab.log"
    state.mkdir()
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=root, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start:\n{log.read_text()[-2000:]}")
                time.sleep(0.2)
        yield Lab(url, token, root, state)
    finally:
        stop(proc, timeout=20)


def _open(tab: DevTools, lab: Lab, name: str, timeout: float = 60) -> str:
    """Open notebook ``name`` alone (in a fresh workspace of its own) and wait until its kernel
    is idle; return the kernel's name."""
    workspace = name.removesuffix(".ipynb")
    url = f"{lab.url}/lab/workspaces/{workspace}/tree/{name}?reset&token={lab.token}"
    tab.call("Page.navigate", url=url)
    probe = f"""(() => {{
        if (!window.jupyterapp) return null;
        const panel = {_panel(name)}; if (!panel) return null;
        const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
        return kernel && kernel.status === 'idle' && panel.content.widgets.length
            ? kernel.name : null; }})()"""
    deadline = time.monotonic() + timeout
    while (kernel := tab.evaluate(probe)) is None:
        if time.monotonic() > deadline:
            tab.screenshot(lab.state / f"{name}-timeout.png")
            raise TimeoutError(f"{name}: no idle kernel after {timeout} s")
        time.sleep(0.2)
    return kernel


def _run_all(tab: DevTools, name: str) -> dict[str, Any]:
    """Run > Run All Cells in notebook ``name``; wait for it; return what the notebook shows."""
    tab.evaluate(
        "window.jupyterapp.commands.execute('notebook:run-all-cells')",
        await_promise=True,
        timeout=180,
    )
    tab.drain(0.5)  # the last outputs are painted
    return json.loads(
        tab.evaluate(f"""JSON.stringify((() => {{
        const panel = {_panel(name)};
        const node = panel.node;
        const texts = sel => Array.from(node.querySelectorAll(sel)).map(e => e.innerText);
        return {{
            counts: panel.content.widgets.filter(c => c.model.type === 'code')
                .map(c => c.model.executionCount),
            images: Array.from(node.querySelectorAll('.jp-OutputArea-output img'))
                .map(i => ({{width: i.naturalWidth, alt: i.alt}})),
            errors: texts('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'),
            tables: node.querySelectorAll('.jp-OutputArea-output table').length,
        }}; }})())""")
    )


@pytest.mark.parametrize(
    ("name", "charts"),
    [("01-totals-by-regulator-and-year.ipynb", 3), ("04-matter-timeline.ipynb", 1)],
)
def test_run_all_draws_the_charts_without_an_error(
    lab: Lab, chromium: int, name: str, charts: int
) -> None:
    with new_tab(chromium, (1400, 1000)) as tab:
        assert _open(tab, lab, name) == "finestats"  # the project's kernel, not python3
        shown = _run_all(tab, name)
        tab.screenshot(lab.state / f"{name}.png")
        assert shown["errors"] == []
        assert None not in shown["counts"], shown["counts"]  # every code cell ran
        assert len(shown["images"]) == charts
        assert all(i["width"] > 500 for i in shown["images"]), shown["images"]
        assert shown["tables"] >= 1
        # saving after a run changes nothing: no outputs are stored, the metadata is JupyterLab's
        tab.evaluate(f"{_panel(name)}.context.save().then(() => true)", await_promise=True)
    assert (lab.root / name).read_bytes() == (NOTEBOOKS / name).read_bytes()
    assert list((lab.root / "reports" / "notebook-output").glob("*.csv"))  # not beside the .ipynb
    assert not list(lab.root.glob("*.csv"))


def test_a_typo_in_a_parameter_shows_one_short_message(lab: Lab, chromium: int) -> None:
    with new_tab(chromium, (1400, 1000)) as tab:
        _open(tab, lab, "typo.ipynb")
        # the analyst edits the parameters cell: regulators: list = ["XYZ"]
        tab.evaluate(f"""(() => {{
            const cell = {_panel("typo.ipynb")}.content.widgets.find(
                c => (c.model.getMetadata('tags') || []).includes('parameters'));
            const src = cell.model.sharedModel.getSource();
            const typo = src.replace('regulators: list = []', 'regulators: list = ["XYZ"]');
            cell.model.sharedModel.setSource(typo);
            return true; }})()""")
        shown = _run_all(tab, "typo.ipynb")
        tab.screenshot(lab.state / "typo.png")
    assert len(shown["errors"]) == 1, shown["errors"]
    message = shown["errors"][0].strip()
    assert message.startswith("UsageError: unknown regulator XYZ: known regulators are")
    assert "Traceback" not in message and len(message.splitlines()) <= 2
    assert shown["images"] == []  # the run stopped at the check: no empty charts
    assert shown["counts"][1] is not None and shown["counts"][-1] is None


EXPLORER = "00-explore.ipynb"


def _wait(tab: DevTools, lab: Lab, expression: str, what: str, timeout: float = 60) -> Any:
    """The value of ``expression`` in the page once it is truthy (a screenshot if never)."""
    deadline = time.monotonic() + timeout
    while not (value := tab.evaluate(expression)):
        if time.monotonic() > deadline:
            tab.screenshot(lab.state / f"{EXPLORER}-timeout.png")
            raise TimeoutError(f"{EXPLORER}: {what} after {timeout} s")
        time.sleep(0.2)
    return value


def _choose(tab: DevTools, control: str, js_choice: str) -> None:
    """Choose in the explorer's ``<select>`` of ``control`` as a person does: the option(s),
    then the change event the widget listens to."""
    tab.evaluate(f"""(() => {{
        const select = {_panel(EXPLORER)}.node.querySelector('.finestats-{control} select');
        {js_choice};
        select.dispatchEvent(new Event('change', {{bubbles: true}}));
        return true; }})()""")


def _scroll_to_explorer(tab: DevTools) -> None:
    """Scroll the notebook to the explorer's cell (the third) and let it paint."""
    tab.evaluate(
        f"{_panel(EXPLORER)}.content.scrollToItem(2, 'start').then(() => true)", await_promise=True
    )
    tab.drain(0.5)


def test_the_explorer_follows_its_controls(lab: Lab, chromium: int) -> None:
    node = f"{_panel(EXPLORER)}.node"
    with new_tab(chromium, (1400, 1000)) as tab:
        assert _open(tab, lab, EXPLORER) == "finestats"
        shown = _run_all(tab, EXPLORER)
        assert shown["errors"] == [] and None not in shown["counts"], shown
        _scroll_to_explorer(tab)  # Run All scrolled to the end
        _wait(tab, lab, f"!!{node}.querySelector('.finestats-table table')", "no totals table")
        _wait(tab, lab, f"{node}.querySelector('img.widget-image')?.naturalWidth > 500", "chart")
        _choose(tab, "currency", "select.value = 'SEK'")
        _wait(
            tab,
            lab,
            f"{node}.querySelector('.finestats-table').innerText.includes('total_sek')",
            "no totals in SEK",
        )
        # ipywidgets writes the options' spaces as no-break spaces
        row = (
            "Array.from(select.options)"
            ".find(o => o.text.replace(/\\u00a0/g, ' ').startsWith('ICO · 2022: SEK'))"
        )
        _wait(
            tab,
            lab,
            f"(() => {{ const select = {node}.querySelector('.finestats-rows select'); "
            f"return !!{row}; }})()",
            "no row ICO · 2022 in SEK",
        )
        _choose(tab, "rows", f"{row}.selected = true")
        fines = json.loads(
            _wait(
                tab,
                lab,
                f"""(() => {{
            const box = {node}.querySelector('.finestats-fines');
            const table = box && box.querySelector('table');
            return table && JSON.stringify({{
                caption: box.querySelector('p').innerText,
                rows: table.querySelectorAll('tbody tr').length,
                header: Array.from(table.querySelectorAll('th')).map(th => th.innerText),
                links: Array.from(table.querySelectorAll('a')).map(a => a.href),
                message: {node}.querySelector('.finestats-message').innerText,
            }}); }})()""",
                "no fines behind the selected row",
            )
        )
        tab.evaluate(f"{node}.querySelector('.finestats-rows').scrollIntoView() || true")
        tab.drain(0.5)
        tab.screenshot(lab.state / f"{EXPLORER}.png")
        tab.evaluate(f"{_panel(EXPLORER)}.context.save().then(() => true)", await_promise=True)
    assert fines["caption"].startswith(f"{fines['rows']} fines behind the selected row: SEK ")
    assert fines["rows"] >= 2 and fines["message"] == ""
    for column in ("amount", "currency", "amount_sek", "fx_rate", "fx_date", "status"):
        assert column in fines["header"]
    assert {"court_events", "source"} <= set(fines["header"])
    assert len(fines["links"]) == fines["rows"]
    assert all(link.startswith("https://") for link in fines["links"]), fines["links"]
    # saved after a run: no outputs and no widget state in the file
    assert (lab.root / EXPLORER).read_bytes() == (NOTEBOOKS / EXPLORER).read_bytes()
