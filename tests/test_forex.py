"""The live source (finestats.forex.ForexRates) against a local HTTP server, never the internet.

The server speaks forex-python's JSON shape: GET /api/YYYY-MM-DD?base=EUR&rtype=fpy ->
{"base": "EUR", "date": "<fixing date>", "rates": {...}}; a weekend answers with Friday's fixing.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest

pytest.importorskip("forex_python")

from finestats.conversion import convert  # noqa: E402
from finestats.errors import RatesError  # noqa: E402
from finestats.forex import ForexRates  # noqa: E402
from finestats.rates import (
    RateTable,  # noqa: E402
    load_rates,  # noqa: E402
)

FIXINGS = {
    "2021-02-11": {"USD": 1.2147, "SEK": 10.0868, "GBP": 0.87755},
    "2021-02-12": {"USD": 1.2108, "SEK": 10.0818, "GBP": 0.87753},
}
WEEKEND = {"2021-02-13": "2021-02-12", "2021-02-14": "2021-02-12"}


class Server:
    """A ThreadingHTTPServer on 127.0.0.1 with an ephemeral port; ``mode`` picks the behaviour."""

    def __init__(self, mode: str = "ok", delay: float = 0.0) -> None:
        self.mode, self.delay, self.paths = mode, delay, []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                outer.paths.append(self.path)
                url = urlparse(self.path)
                day = url.path.rsplit("/", 1)[-1]
                base = parse_qs(url.query).get("base", ["EUR"])[0]
                if outer.mode == "slow":
                    time.sleep(outer.delay)
                if outer.mode == "500":
                    return self._send(500, b"boom")
                if outer.mode == "garbage":
                    return self._send(200, b"<html>not json</html>")
                day = WEEKEND.get(day, day)
                if day not in FIXINGS:
                    return self._send(404, b'{"error": "no data"}')
                body = {"base": base, "date": day, "rates": FIXINGS[day]}
                return self._send(200, json.dumps(body).encode())

            def _send(self, status: int, body: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/api/"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(autouse=True)
def no_proxy_for_localhost(monkeypatch) -> None:
    """A proxy configured in the environment must not intercept the local test server."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def server() -> Iterator[Server]:
    with Server() as srv:
        yield srv


def fines() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "fine_id": ["A", "B", "C", "D"],
            "amount": [100.0, 200.0, 300.0, 1.0],
            "currency": ["SEK", "SEK", "GBP", "EUR"],
            "decision_date": pd.to_datetime(
                ["2021-02-11", "2021-02-13", "2021-02-11", "2021-02-14"]
            ),
        }
    )


def test_fetches_each_distinct_date_once_then_serves_from_cache(server: Server, tmp_path) -> None:
    cache = tmp_path / "data" / "processed" / "forex_cache.json"
    live = ForexRates(server.url, timeout=5, cache_path=cache)
    out = convert(fines(), "USD", rates=live)
    assert len(server.paths) == 3  # 2021-02-11, -13, -14
    assert all("base=EUR" in p and "rtype=fpy" in p for p in server.paths)
    assert out["fx_rate"].tolist() == [1.2147 / 10.0868, 1.2108 / 10.0818, 1.2147 / 0.87755, 1.2108]
    assert out["fx_date"].tolist() == [pd.Timestamp(d) for d in ["2021-02-11", "2021-02-12"] * 2]
    assert (out["fx_source"].astype(str) == live.source).all()
    assert "forex-python live" in live.source

    assert cache.is_file()
    stored = json.loads(cache.read_text())
    assert set(stored["sources"][server.url]) == {"2021-02-11", "2021-02-13", "2021-02-14"}
    assert not list(cache.parent.glob("*.tmp"))

    again = ForexRates(server.url, timeout=5, cache_path=cache)
    out2 = convert(fines(), "USD", rates=again)
    assert len(server.paths) == 3 and again.requests_made == 0
    pd.testing.assert_frame_equal(out, out2)


def test_load_rates_forex_and_rate_source(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    live = load_rates("forex")
    assert isinstance(live, ForexRates)
    assert live.timeout == 10.0
    assert str(live.cache_path).startswith(str(tmp_path)) or "finestats" in str(live.cache_path)
    assert load_rates(live) is live


def test_table_for_and_get_rates(server: Server, tmp_path) -> None:
    live = ForexRates(server.url, cache_path=tmp_path / "c.json")
    table = live.table_for([pd.Timestamp("2021-02-13").date()])
    assert isinstance(table, RateTable)
    assert table.snapshot_date == pd.Timestamp("2021-02-12")
    assert table.frame.loc["2021-02-12", "SEK"] == 10.0818
    assert live.get_rates("EUR", pd.Timestamp("2021-02-11").date())["USD"] == 1.2147


def test_staleness_rules_apply_to_live_tables(server: Server, tmp_path) -> None:
    live = ForexRates(server.url, cache_path=tmp_path / "c.json")
    df = fines().iloc[:1]
    with pytest.raises(RatesError, match="unknown target currency 'JPY'"):
        convert(df, "JPY", rates=live)
    with pytest.raises(RatesError, match="year-average"):
        convert(df, "USD", rates=live, at="year-average")


def test_http_500_is_rates_error(tmp_path) -> None:
    with Server("500") as srv:
        live = ForexRates(srv.url, cache_path=tmp_path / "c.json")
        with pytest.raises(RatesError) as err:
            convert(fines(), "USD", rates=live)
    msg = str(err.value)
    assert "HTTP 500" in msg and srv.url in msg and "2021-02-11" in msg
    assert not (tmp_path / "c.json").exists()


def test_bad_json_is_rates_error(tmp_path) -> None:
    with Server("garbage") as srv:
        live = ForexRates(srv.url, cache_path=tmp_path / "c.json")
        with pytest.raises(RatesError, match="bad JSON"):
            convert(fines(), "USD", rates=live)


def test_timeout_is_rates_error(tmp_path) -> None:
    with Server("slow", delay=2.0) as srv:
        live = ForexRates(srv.url, timeout=0.5, cache_path=tmp_path / "c.json")
        start = time.perf_counter()
        with pytest.raises(RatesError) as err:
            convert(fines(), "USD", rates=live)
        assert time.perf_counter() - start < 1.8
    msg = str(err.value)
    assert "timeout" in msg and "0.5 s" in msg and "2021-02-11" in msg and srv.url in msg


def test_unreachable_port_is_rates_error(tmp_path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/api/"
    live = ForexRates(url, timeout=2, cache_path=tmp_path / "c.json")
    with pytest.raises(RatesError) as err:
        convert(fines(), "USD", rates=live)
    assert "cannot connect" in str(err.value) and url in str(err.value)


def test_partial_failure_keeps_what_was_fetched(server: Server, tmp_path) -> None:
    cache = tmp_path / "c.json"
    live = ForexRates(server.url, cache_path=cache)
    df = fines()
    df.loc[3, "decision_date"] = pd.Timestamp("2021-03-01")  # the server has no such date
    with pytest.raises(RatesError, match="HTTP 404"):
        convert(df, "USD", rates=live)
    stored = json.loads(cache.read_text())["sources"][server.url]
    assert set(stored) == {"2021-02-11", "2021-02-13"}


def test_no_rows_no_requests(server: Server, tmp_path) -> None:
    live = ForexRates(server.url, cache_path=tmp_path / "c.json")
    out = convert(fines().iloc[:0], "USD", rates=live)
    assert len(out) == 0 and "amount_usd" in out.columns and server.paths == []
