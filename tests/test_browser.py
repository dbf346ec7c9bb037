"""The rendered report in a real browser: headless Chromium, driven over the DevTools protocol.

index.html and one notebook page are opened from disk: every image must load, nothing may log an
error to the console (a missing file, a blocked external script, a JavaScript exception), and a
full-page screenshot is saved in the test's tmp folder.
"""

from __future__ import annotations

import base64
import json
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="headless browser test needs Chromium at /usr/bin/chromium "
        "(Debian: apt-get install -y chromium)",
    ),
]


class DevTools:
    """A minimal Chrome DevTools Protocol client over one page's websocket."""

    def __init__(self, ws_url: str) -> None:
        import websocket  # websocket-client

        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def wait_for(self, event: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        for msg in self.events:
            if msg["method"] == event:
                return msg
        while time.monotonic() < deadline:
            msg = json.loads(self.ws.recv())
            if "method" in msg:
                self.events.append(msg)
                if msg["method"] == event:
                    return msg
        raise TimeoutError(event)

    def drain(self, seconds: float) -> None:
        """Collect events for a little while (late console messages)."""
        self.ws.settimeout(0.1)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                msg = json.loads(self.ws.recv())
            except Exception:  # timeout: nothing more yet
                continue
            if "method" in msg:
                self.events.append(msg)
        self.ws.settimeout(30)

    def errors(self) -> list[str]:
        out = []
        for msg in self.events:
            p = msg.get("params", {})
            if msg["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(" ".join(str(a.get("value", a.get("description"))) for a in p["args"]))
            elif msg["method"] == "Runtime.exceptionThrown":
                out.append(p["exceptionDetails"].get("text", "exception"))
            elif msg["method"] == "Log.entryAdded" and p["entry"]["level"] == "error":
                out.append(f"{p['entry'].get('text')} {p['entry'].get('url', '')}")
        return out

    def close(self) -> None:
        self.ws.close()


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory):
    profile = tmp_path_factory.mktemp("chromium-profile")
    proc = subprocess.Popen(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "--window-size=1280,900",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.is_file() and port_file.read_text().strip()):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Chromium did not start (exit code {proc.poll()})")
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _open(port: int, page: Path, screenshot: Path) -> dict[str, Any]:
    """Open ``page`` in a new tab; return its images, console errors and title; screenshot it."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}/json/new?about:blank", method="PUT")
    with urllib.request.urlopen(req, timeout=10) as resp:
        target = json.load(resp)
    tools = DevTools(target["webSocketDebuggerUrl"])
    try:
        for domain in ("Page", "Runtime", "Log"):
            tools.call(f"{domain}.enable")
        tools.call(
            "Emulation.setDeviceMetricsOverride",
            width=1280,
            height=900,
            deviceScaleFactor=1,
            mobile=False,
        )
        tools.call("Page.navigate", url=page.resolve().as_uri())
        tools.wait_for("Page.loadEventFired")
        tools.drain(0.5)
        images = tools.call(
            "Runtime.evaluate",
            expression="JSON.stringify(Array.from(document.images).map(i => ({src: i.src.slice(0,"
            " 80), complete: i.complete, width: i.naturalWidth})))",
            returnByValue=True,
        )["result"]["value"]
        title = tools.call("Runtime.evaluate", expression="document.title", returnByValue=True)
        pwned = tools.call(
            "Runtime.evaluate",
            expression="JSON.stringify([document.body.dataset.pwned || null, "
            "document.querySelectorAll('img[src=\"x\"], script:not([type])').length, "
            "document.body.innerText])",
            returnByValue=True,
        )["result"]["value"]
        metrics = tools.call("Page.getLayoutMetrics")["cssContentSize"]
        shot = tools.call(
            "Page.captureScreenshot",
            format="png",
            captureBeyondViewport=True,
            clip={
                "x": 0,
                "y": 0,
                "width": 1280,
                "scale": 1,
                "height": min(metrics["height"], 6000),
            },
        )
        screenshot.write_bytes(base64.b64decode(shot["data"]))
        return {
            "images": json.loads(images),
            "errors": tools.errors(),
            "title": title["result"]["value"],
            "pwned": json.loads(pwned),
        }
    finally:
        tools.close()
        urllib.request.urlopen(f"http://127.0.0.1:{port}/json/close/{target['id']}", timeout=10)


def test_index_renders_with_every_image(report: Path, chromium: int, tmp_path: Path) -> None:
    shot = tmp_path / "index.png"
    seen = _open(chromium, report / "index.html", shot)
    assert seen["errors"] == []
    assert len(seen["images"]) >= 6
    broken = [i["src"] for i in seen["images"] if not (i["complete"] and i["width"] > 0)]
    assert broken == []
    assert "finestats report" in seen["title"]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def test_notebook_page_renders_with_every_image(
    report: Path, chromium: int, tmp_path: Path
) -> None:
    shot = tmp_path / "01.png"
    seen = _open(chromium, report / "01-totals-by-regulator-and-year.html", shot)
    assert seen["errors"] == []
    assert len(seen["images"]) >= 2  # the two charts, embedded
    assert all(i["src"].startswith("data:image/png;base64,") for i in seen["images"])
    broken = [i["src"] for i in seen["images"] if not (i["complete"] and i["width"] > 0)]
    assert broken == []
    assert shot.stat().st_size > 10_000


HOSTILE_REGULATOR = 'ICO<img src=x onerror="document.body.dataset.pwned=1">'
HOSTILE_DEFENDANT = "Alpha <script>document.body.dataset.pwned=2</script> Airways"


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report of records whose regulator and defendant names carry HTML and script."""
    from finestats.report import build_report

    from .conftest import DATA, rewrite

    folder = tmp_path_factory.mktemp("hostile")
    changes = {(line, "regulator"): HOSTILE_REGULATOR for line in (2, 3)}
    changes |= {(line, "defendant"): HOSTILE_DEFENDANT for line in (2, 3)}
    data = rewrite(DATA / "lifecycle.csv", changes, folder / "fines.csv")
    params = {"data_path": str(data), "matter": "alpha-breach", "regulator": HOSTILE_REGULATOR}
    return build_report("EUR", params, folder / "reports", progress=False)


def test_html_in_the_data_never_runs(hostile_report: Path, chromium: int, tmp_path: Path) -> None:
    pages = sorted(hostile_report.glob("*.html")) + [hostile_report.parent / "index.html"]
    assert len(pages) >= 6
    for page in pages:
        seen = _open(chromium, page, tmp_path / f"{page.stem}.png")
        pwned, injected, text = seen["pwned"]
        assert pwned is None, page.name
        assert injected == 0, page.name
        if page.name == "index.html" and page.parent == hostile_report:
            assert HOSTILE_DEFENDANT in text  # shown as text, not run
        raw = page.read_text()
        assert "<img src=x" not in raw and "<script>document" not in raw, page.name
