"""The rendered report in a real browser: headless Chromium, driven over the DevTools protocol.

index.html and one notebook page are opened from disk: every image must load, nothing may log an
error to the console (a missing file, a blocked external script, a JavaScript exception), and a
full-page screenshot is saved in the test's tmp folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .devtools import new_tab

pytestmark = pytest.mark.slow


def _open(port: int, page: Path, screenshot: Path) -> dict[str, Any]:
    """Open ``page`` in a new tab; return its images, console errors and title; screenshot it."""
    with new_tab(port) as tools:
        tools.call("Page.navigate", url=page.resolve().as_uri())
        tools.wait_for("Page.loadEventFired")
        tools.drain(0.5)
        images = tools.evaluate(
            "JSON.stringify(Array.from(document.images).map(i => ({src: i.src.slice(0, 80), "
            "complete: i.complete, width: i.naturalWidth})))"
        )
        title = tools.evaluate("document.title")
        pwned = tools.evaluate(
            "JSON.stringify([document.body.dataset.pwned || null, "
            "document.querySelectorAll('img[src=\"x\"], script:not([type])').length, "
            "document.body.innerText])"
        )
        tools.screenshot(screenshot)
        return {
            "images": json.loads(images),
            "errors": tools.errors(),
            "title": title,
            "pwned": json.loads(pwned),
        }


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
