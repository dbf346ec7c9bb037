"""The second adversarial pass (../shared/findings/attacks-2026-12.md): each finding B1-B51 that
is not pinned elsewhere is reproduced here and must now hold. The report-level ones (B5, B19,
B27, B29) are in test_report.py, B50 (kill -9) there too."""

from __future__ import annotations

import io
import json
import os
import shutil
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import finestats
from finestats import archive, changes, snapshots
from finestats.errors import FineDataError, RatesError, UsageError
from finestats.rates import load_rates, read_ecb_bytes
from finestats.snapshots import bundled_snapshot, stored_snapshots

from .conftest import RAW, run_cli
from .test_rate_updates import Server, bundled_csv, newer_csv, zipped


@pytest.fixture
def server():
    s = Server()
    yield s
    s.httpd.shutdown()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FINESTATS_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _report_folder(out: Path, name: str, manifest: dict | None = None, **extra) -> Path:
    folder = out / name
    folder.mkdir(parents=True)
    doc = {"report": name, "created": extra.pop("created", "2026-01-01T00:00:00Z"), **extra}
    (folder / "manifest.json").write_text(json.dumps(manifest if manifest is not None else doc))
    (folder / "index.html").write_text("<p>report</p>")
    return folder


# -- the archive trusts only what finestats made ---------------------------------------------


def test_b1_a_manifest_naming_nothing_or_a_path_outside_deletes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("mine")
    for i, day in enumerate(("2026-01-01", "2026-01-02", "2026-01-03")):
        _report_folder(out, f"{day}-EUR", created=f"2026-01-0{i + 1}T00:00:00Z")
    _report_folder(out, "2026-01-04-EUR", {"report": "", "created": "0000", "currency": "EUR"})
    _report_folder(out, "2026-01-05-EUR", {"report": "../victim", "created": "0001"})
    with pytest.warns(UserWarning):
        kept = archive.prune(out, keep=1)
    assert (victim / "keep.txt").read_text() == "mine"  # outside the archive: untouched
    assert [m["report"] for m in kept] == ["2026-01-03-EUR"]
    # the foreign manifests' folders are not reports of ours: left alone, not deleted
    assert (out / "2026-01-04-EUR").is_dir() and (out / "2026-01-05-EUR").is_dir()


def test_b2_a_renamed_report_is_left_alone_and_names_are_not_reused(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    _report_folder(out, "2026-12-07-EUR", created="2026-12-07T01:00:00Z")
    with archive.locked(out):
        archive.record_name(out, "2026-12-07-EUR")
    os.rename(out / "2026-12-07-EUR", out / "keep-me")  # the user keeps it under a new name
    with archive.locked(out):
        name = archive.new_name(out, "2026-12-07-EUR")
    assert name == "2026-12-07-EUR-2"  # B43: the old name is never given again
    _report_folder(out, name, created="2026-12-07T02:00:00Z")
    assert [m["report"] for m in archive.prune(out, keep=1)] == [name]
    assert (out / "keep-me" / "manifest.json").is_file()  # not ours any more: never pruned


def test_b4_b18_foreign_manifests_never_reach_the_archive_page(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    good = _report_folder(out, "2026-12-07-EUR", currency="EUR", total=1.0, n_fines=1)
    _report_folder(out, "javascript:x", {"report": "javascript:document.body.dataset.pwned=1//"})
    _report_folder(out, "2026-12-08-EUR", {"name": "a web app", "icons": []})
    (out / "2026-12-09-EUR").mkdir()
    (out / "2026-12-09-EUR" / "manifest.json").write_text("[1, 2]")
    with pytest.warns(UserWarning):
        found = archive.reports_in(out)
    assert [m["report"] for m in found] == [good.name]
    from finestats.pages import write_archive_index

    page = write_archive_index(out, found).read_text()
    assert "javascript" not in page and 'href="2026-12-07-EUR/index.html"' in page


def test_b51_a_latest_folder_is_refused_before_any_work(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    (out / "latest").mkdir(parents=True)
    with pytest.raises(UsageError, match="not the link finestats keeps"):
        archive.prepare(out)


def test_leftovers_of_dead_runs_only(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    out.mkdir()
    dead = out / ".build-2026-12-07-EUR-999999999-abc"
    alive = out / f".build-2026-12-07-EUR-{os.getpid()}-abc"
    other = out / ".build-mine"
    for p in (dead, alive, other):
        p.mkdir()
    archive.clean_leftovers(out)
    assert not dead.exists() and alive.exists() and other.exists()


# -- what changed: the tool's own state, read safely -----------------------------------------


def _state(folder: Path, counted: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    doc = {"version": changes.STATE_VERSION, "amount": "eur", "counted": counted}
    (folder / changes.STATE).write_text(json.dumps(doc))


ROW = {
    "fine_id": "a",
    "regulator": "ICO",
    "defendant": "-NewCo",
    "decision_date": "2021-01-01",
    "status": "final",
    "amount": 10.0,
    "currency": "GBP",
    "amount_eur": 11.123456,
}


def test_b9_b42_names_like_formulas_and_rounding_are_not_changes(tmp_path: Path) -> None:
    _state(tmp_path / "prev", [ROW])
    before = changes.read_state(tmp_path / "prev", "eur")
    now = pd.DataFrame([{**ROW, "amount_eur": 11.1234567891}])
    now["decision_date"] = pd.to_datetime(now["decision_date"])
    diff = changes.compare(before, now, "amount_eur")
    assert diff.empty  # "-NewCo" read back as written; amounts compared to the cent
    moved = now.assign(defendant="NewCo Ltd")
    diff = changes.compare(before, moved, "amount_eur")
    assert diff["delta_eur"].tolist() == [0.0] and diff["fields"].tolist() == ["defendant"]
    assert changes.effect_text({"total_before": 11.12, "total_after": 11.1234}) == (
        "total unchanged"
    )


@pytest.mark.parametrize(
    "damage",
    ["garbage", "", '{"version": 1, "amount": "eur", "counted": [{"fine_id": "a"}]}', "[1]"],
)
def test_b17_a_damaged_previous_state_means_no_comparison(tmp_path: Path, damage: str) -> None:
    folder = tmp_path / "prev"
    folder.mkdir()
    (folder / changes.STATE).write_text(damage)
    with pytest.warns(UserWarning, match="cannot be compared"):
        assert changes.read_state(folder, "eur") is None


# -- rate updates: verified against the whole history ----------------------------------------


def _with_row(extra: bytes) -> bytes:
    text = newer_csv()
    header, body = text.split(b"\n", 1)
    return header + b"\n" + body + extra


def _replace_day(day: str, code: str, value: str, text: bytes | None = None) -> bytes:
    text = text if text is not None else newer_csv()
    lines = text.split(b"\n")
    header = lines[0].split(b",")
    j = header.index(code.encode())
    for i, line in enumerate(lines):
        if line.startswith(day.encode()):
            cells = line.split(b",")
            cells[j] = value.encode()
            lines[i] = b",".join(cells)
    return b"\n".join(lines)


def _holiday_row() -> bytes:
    """A row on 2020-01-01 (a TARGET holiday: the ECB publishes none) with NOK at a tenth."""
    text = newer_csv()
    lines = text.split(b"\n")
    header = lines[0].split(b",")
    source = next(line for line in lines if line.startswith(b"2020-01-02"))
    cells = source.split(b",")
    cells[0] = b"2020-01-01"
    j = header.index(b"NOK")
    cells[j] = str(float(cells[j]) / 10).encode()
    at = lines.index(source) + 1
    return b"\n".join([*lines[:at], b",".join(cells), *lines[at:]])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_holiday_row, "has a fixing on 2020-01-01, a day the bundled history has none"),
        (lambda: _replace_day("2021-03-01", "GBP", "N/A"), "on 2021-03-01 GBP: N/A vs"),
        (
            lambda: _replace_day("2010-06-01", "ISK", "150.1"),
            "on 2010-06-01 ISK: 150.1 vs N/A",
        ),
        (
            lambda: b"\n".join(
                line for line in newer_csv().split(b"\n") if not line.startswith(b"2020-")
            ),
            "lacks the fixings of 2020-01-02",
        ),
        (
            lambda: b"\n".join(
                b",".join(c for k, c in enumerate(line.split(b",")) if k != 1)
                for line in newer_csv().split(b"\n")
            ),
            "the download lacks USD",
        ),
    ],
)
def test_b3_b15_a_download_must_hold_the_whole_history(server, home, body, message) -> None:
    server.body = zipped(body())
    with pytest.raises(RatesError, match=message):
        snapshots.update(server.url, timeout=5)
    assert stored_snapshots() == [] and load_rates().snapshot_label == "2026-10-30"


def test_b8_a_future_snapshot_is_refused_and_an_old_one_is_not_news(server, home) -> None:
    body = zipped(newer_csv(days=3))  # one zip (its entries carry the time they were made)
    server.body = body
    with pytest.raises(RatesError, match="in the future"):
        snapshots.update(server.url, timeout=5, today=pd.Timestamp("2026-10-31").date())
    snap = snapshots.update(server.url, timeout=5)
    assert snap.snapshot_date == "2026-11-04"
    server.body = zipped(bundled_csv())  # the bundled history again: older than the one in use
    with pytest.raises(RatesError, match="before the snapshot in use"):
        snapshots.update(server.url, timeout=5)
    server.body = body  # the same bytes again: nothing new, nothing stored
    before = stored_snapshots()
    assert snapshots.update(server.url, timeout=5) == snap
    assert stored_snapshots() == before


def test_b13_an_interrupted_store_keeps_every_earlier_snapshot(server, home) -> None:
    server.body = zipped(newer_csv(days=3))
    first = snapshots.update(server.url, timeout=5)
    # a second download of the same day with other bytes, killed between its zip and its record
    other = zipped(newer_csv(days=3, usd="1.1202"))
    history = snapshots.parse_history(other, "x")
    orphan = first.path.with_name(
        f"eurofxref-hist-2026-11-04-{snapshots.hashlib.sha256(other).hexdigest()[:12]}.zip"
    )
    orphan.write_bytes(other)
    assert history.sha256 != first.sha256
    with pytest.warns(UserWarning, match="no record beside it"):
        assert snapshots.newest_snapshot() == first  # the earlier pair is intact and in use


def _bomb(size: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("eurofxref-hist.csv", b"0" * size)
    return buf.getvalue()


def test_b14_a_zip_bomb_is_refused_without_inflating_it(server, home) -> None:
    import resource

    data = _bomb(200 * 2**20)  # 200 MiB of zeros in about 200 KB
    assert len(data) < 1_000_000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(RatesError, match="larger than 64 MiB"):
        read_ecb_bytes(data, "bomb.zip", "test")
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before  # KiB on Linux
    assert grown < 300 * 1024
    server.body = data
    with pytest.raises(RatesError, match="larger than 64 MiB"):
        snapshots.update(server.url, timeout=5)


def test_b20_concurrent_updates_are_serialised(server, home) -> None:
    server.body = zipped(newer_csv(days=3))
    results: list[object] = []

    def one() -> None:
        try:
            results.append(snapshots.update(server.url, timeout=10))
        except Exception as exc:  # noqa: BLE001 - the test collects every outcome
            results.append(exc)

    threads = [threading.Thread(target=one) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(isinstance(r, snapshots.Snapshot) for r in results), results
    assert len({r.sha256 for r in results}) == 1  # each said what is stored
    assert len(stored_snapshots()) == 1


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://[::1", "not a valid address"),
        ("http://127.0.0.1:1/f/new er.zip", "not a valid address"),
        ("ftp://example.org/x.zip", "only http"),
        ("", "--url is empty"),
        ("   ", "--url is empty"),
    ],
)
def test_b23_b31_bad_urls_are_one_line(home, url, message) -> None:
    proc = run_cli("rates", "update", "--url", url, env={**os.environ, "FINESTATS_HOME": str(home)})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert message in proc.stderr


@pytest.mark.parametrize("timeout", ["nan", "inf", "1e308", "0", "-1"])
def test_b24_timeouts_must_be_real_seconds(home, timeout) -> None:
    proc = run_cli("rates", "update", "--timeout", timeout)
    assert proc.returncode == 2 and "expected seconds" in proc.stderr


def test_b30_the_whole_download_has_one_deadline(home) -> None:
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    stop = threading.Event()

    def trickle() -> None:
        conn, _ = listener.accept()
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
        while not stop.is_set():
            try:
                conn.sendall(b"x")
            except OSError:
                break
            time.sleep(0.2)
        conn.close()

    threading.Thread(target=trickle, daemon=True).start()
    t0 = time.monotonic()
    with pytest.raises(RatesError, match="no answer within 1 s"):
        snapshots.download(f"http://127.0.0.1:{port}/x.zip", timeout=1.0)
    assert time.monotonic() - t0 < 3
    stop.set()
    listener.close()


def test_b32_dates_are_checked_in_the_member_that_is_read(server, home) -> None:
    text = newer_csv()
    lines = text.split(b"\n")
    shuffled = [lines[0], lines[2], lines[1], *lines[3:]]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("data/", b"")  # a folder entry first
        zf.writestr("data/eurofxref-hist.csv", b"\n".join(shuffled))
    server.body = buf.getvalue()
    with pytest.raises(RatesError, match="do not run in one direction"):
        snapshots.update(server.url, timeout=5)


def test_b45_an_ignored_snapshot_is_named(server, home) -> None:
    server.body = zipped(newer_csv())
    snap = snapshots.update(server.url, timeout=5)
    snap.path.write_bytes(b"damaged")
    proc = run_cli("rates", "list", env={**os.environ, "FINESTATS_HOME": str(home)})
    text = " ".join(proc.stdout.split())  # wrapped to the terminal's width
    assert "ignored" in text and "SHA-256 no longer matches" in text


def test_b47_redirects_stay_on_http_and_are_recorded(home) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    body = zipped(newer_csv())

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/old.zip":
                self.send_response(302)
                self.send_header("Location", "/new.zip")
                self.end_headers()
            elif self.path == "/ftp.zip":
                self.send_response(302)
                self.send_header("Location", "ftp://127.0.0.1/x.zip")
                self.end_headers()
            else:
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        with pytest.raises(RatesError, match="not http"):
            snapshots.update(f"{base}/ftp.zip", timeout=5)
        snap = snapshots.update(f"{base}/old.zip", timeout=5)
        record = json.loads(snap.path.with_suffix(".json").read_text())
        assert record["url"] == f"{base}/old.zip" and record["final_url"] == f"{base}/new.zip"
    finally:
        httpd.shutdown()


def test_rates_remove_deletes_only_a_stored_pair(server, home) -> None:
    server.body = zipped(newer_csv())
    snap = snapshots.update(server.url, timeout=5)
    env = {**os.environ, "FINESTATS_HOME": str(home)}
    assert run_cli("rates", "remove", "bundled", env=env).returncode == 2
    assert run_cli("rates", "remove", "../../etc", env=env).returncode == 2
    proc = run_cli("rates", "remove", snap.snapshot_date, env=env)
    assert proc.returncode == 0 and "in use now: 2026-10-30" in proc.stdout
    assert list((home / "rates").glob("*.zip")) == []
    assert bundled_snapshot().path.is_file()


def test_rates_without_a_subcommand_shows_its_help() -> None:
    proc = run_cli("rates")
    assert proc.returncode == 0 and "Commands:" in proc.stdout and "remove" in proc.stdout


def test_b10_a_rate_is_written_as_the_ecb_writes_numbers() -> None:
    text = bundled_csv().replace(b"\n2026-10-30,1.", b"\n2026-10-30,1_1", 1)
    with pytest.raises(RatesError, match="value '1_1"):
        read_ecb_bytes(text, "x.csv", "test")


# -- data files: every companion validated ---------------------------------------------------


def _copy_raw(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(RAW, folder)
    return folder


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_b6_b7_b12_b22_price_indices_beside_the_data_are_used_and_checked(tmp_path) -> None:
    folder = _copy_raw(tmp_path)
    prices = folder / "price_indices.csv"
    data = finestats.load(folder / "fines.csv")
    base = finestats.totals(data, "year", real=2024, years=2019)["total_eur_real_2024"].item()
    _edit(prices, ",2019,104.80,", ",2019,52.40,")  # the EA 2019 index halved, beside --data
    fines = folder / "fines.csv"
    twice = finestats.totals(finestats.load(fines), "year", real=2024, years=2019)
    assert twice["total_eur_real_2024"].item() == pytest.approx(2 * base)
    proc = run_cli("summary", "--data", str(fines), "--by", "year", "--years", "2019", "--real",
                   "2024", "--format", "csv")  # fmt: skip
    assert float(proc.stdout.splitlines()[1].split(",")[3]) == pytest.approx(2 * base, rel=1e-6)
    _edit(prices, ",2019,52.40,", ",2019," + "9" * 400 + ",")  # B7: an infinite index
    proc = run_cli("validate", "--strict", str(fines))
    assert proc.returncode == 2 and "price_indices.csv" in proc.stderr
    _edit(prices, ",2019," + "9" * 400 + ",", ",2019,104.80,")
    rows = prices.read_text().splitlines()
    de = [r.replace("EA,EUR", "DE,EUR", 1) for r in rows if r.startswith("EA,")]
    prices.write_text("\n".join([*rows, *de]) + "\n")  # B22: a second area for EUR
    proc = run_cli("validate", str(fines))
    assert proc.returncode == 2 and "one area per currency" in proc.stderr


EV = "event_id,fine_id,date,court,outcome,source_url,notes\n"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            "e1,ico-2020-alpha,2021-03-01,T,upheld,https://x.org,\n"
            "e2,ico-2020-alpha,2021-03-01,T,upheld,https://x.org,\n",
            "the same step is already listed",
        ),
        (
            "e1,ico-2020-alpha,2021-03-01,T,set-aside,https://x.org,\n"
            "e2,ico-2020-alpha,2021-03-01,U,reinstated,https://x.org,\n",
            "set-aside and reinstated on the same day",
        ),
        ("e1,ico-2020-alpha,2021-03-01,T,upheld,https://x.org,a\x00b\n", "NUL"),
    ],
)
def test_b33_b34_b35_events_that_contradict_or_hide_bytes(collection, rows, message) -> None:
    with pytest.raises(FineDataError, match=message):
        finestats.load(collection(events=EV + rows))


COV = (
    "regulator,regulator_name,country,period_start,period_end,threshold_eur,laws,last_checked,"
    "method,notes\n"
)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("IMY,I,SE,2018-05-25,2025-12-31," + "9" * 400 + ",GDPR,2026-11-27,m,\n", "threshold"),
        (
            "IMY,I,SE,2018-05-25,2025-12-31,0,GDPR;Swedish Patient Data Act,2026-11-27,m,\n"
            "IMY,I,SE,2018-05-25,2025-12-31,5000000,Swedish Patient Data Act;GDPR,2026-11-27,m,\n",
            "one row per regulator and set of laws",
        ),
        ("IMY,I,SE,2018-05-25,2025-12-31,0,GDPR,2099-11-27,m,\n", "not in the future"),
    ],
)
def test_b36_b37_b40_coverage_rows(tmp_path, rows, message) -> None:
    path = tmp_path / "coverage.csv"
    path.write_text(COV + rows)
    with pytest.raises(FineDataError, match=message):
        finestats.load_coverage(path)


def test_b38_b39_strict_checks_the_scope_against_the_records(tmp_path) -> None:
    folder = _copy_raw(tmp_path)
    cov = folder / "coverage.csv"
    lines = cov.read_text().splitlines(keepends=True)
    cov.write_text("".join(line for line in lines if not line.startswith("IMY,")))
    proc = run_cli("validate", "--strict", str(folder / "fines.csv"))
    assert proc.returncode == 2 and "value 'IMY': expected a row for every regulator" in proc.stderr
    cov.write_text(
        "".join(lines).replace("\nDSB,Datenschutzbehörde,AT,", "\nDSB,Datenschutzbehörde,XX,")
    )
    proc = run_cli("validate", "--strict", str(folder / "fines.csv"))
    assert proc.returncode == 2 and "column 'country' value 'XX'" in proc.stderr


def test_b21_a_header_only_scope(tmp_path) -> None:
    folder = _copy_raw(tmp_path)
    (folder / "coverage.csv").write_text(COV)
    proc = run_cli("coverage", "--data", str(folder / "fines.csv"))
    assert proc.returncode == 0 and "No declared scope" in proc.stdout, proc.stderr
    proc = run_cli("summary", "--complete-only", "--data", str(folder / "fines.csv"))
    assert proc.returncode == 0 and "(no fines match this selection)" in proc.stdout


# -- the command line ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        ["--years", "2017"],
        ["--article", "99"],
        ["--view", "effective", "--as-of", "2017-12-31"],
        ["--complete-only", "--regulator", "ICO", "--years", "2018"],
        ["--sector", "education", "--years", "2018"],
        ["--matter", "clearview-ai", "--regulator", "IMY", "--years", "2022"],
    ],
)
def test_b16_an_empty_selection_is_a_result(options) -> None:
    proc = run_cli("summary", *options)
    assert proc.returncode == 0, proc.stderr
    assert "(no fines match this selection)" in proc.stdout


@pytest.mark.parametrize("article", ["5(1)(", ".*", "[5]", "Art. 6"])
def test_b41_an_article_must_look_like_one(article) -> None:
    proc = run_cli("summary", "--article", article)
    assert proc.returncode == 2 and "expected an article reference" in proc.stderr
    assert "--article" in proc.stderr and len(proc.stderr.splitlines()) == 1


def test_b41_a_law_prefix_matches_ignoring_case() -> None:
    upper = finestats.totals(finestats.load(), "year", article="LIL:82")
    lower = finestats.totals(finestats.load(), "year", article="lil:82")
    assert upper["n_fines"].sum() == lower["n_fines"].sum() > 0


def test_b44_a_link_or_a_pipe_is_never_replaced(tmp_path: Path) -> None:
    target = tmp_path / "real.csv"
    target.write_text("mine")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    for out in (link, fifo):
        proc = run_cli("summary", "--format", "csv", "--out", str(out))
        assert proc.returncode == 2 and "not a regular file" in proc.stderr
    assert target.read_text() == "mine" and link.is_symlink() and fifo.is_fifo()


@pytest.mark.parametrize("option", ["--sector", "--regulator", "--matter", "--defendant"])
def test_b48_an_empty_name_is_refused_alike(option) -> None:
    proc = run_cli("summary", option, "")
    assert proc.returncode == 2 and "empty" in proc.stderr


def test_b49_json_money_to_the_cent_and_null_for_nothing() -> None:
    proc = run_cli("summary", "--by", "matter", "--format", "json")
    doc = json.loads(proc.stdout)
    rows = doc["rows"]
    assert any(r["matter"] is None for r in rows)  # no "(none)" sentinel
    for r in rows:
        assert r["total_eur"] == round(r["total_eur"], 2)


def test_every_repeatable_filter_takes_several_values() -> None:
    both = finestats.totals(finestats.load(), "defendant", defendants=["whatsapp", "meta"])
    names = " ".join(both["defendant"]).casefold()
    assert "whatsapp" in names and "meta" in names
    proc = run_cli("summary", "--by", "defendant", "--defendant", "whatsapp", "--defendant", "meta")
    assert "WhatsApp" in proc.stdout and "Meta" in proc.stdout


# -- the library -----------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [np.nan, np.inf, -5.0, 0.0])
def test_b11_an_amount_that_would_vanish_or_distort_is_named(bad) -> None:
    fines = finestats.load_fines().head(3).copy()
    fines.loc[1, "amount"] = bad
    with pytest.raises(RatesError, match=f"fine_id {fines.loc[1, 'fine_id']}"):
        finestats.totals(fines, "year")


def test_b26_the_library_raises_its_own_errors() -> None:
    with pytest.raises(UsageError):
        finestats.Query(view="effective", as_of=pd.NaT)
    with pytest.raises(UsageError, match="expected fine records"):
        finestats.totals(pd.DataFrame({"a": [1]}), "year")
    with pytest.raises(UsageError, match="expected fine records"):
        finestats.totals([1, 2], "year")


def test_b46_a_year_not_over_is_named_as_such() -> None:
    with pytest.raises(RatesError, match="the year 2026 is not over in the rate snapshot"):
        finestats.totals(finestats.load(), "year", currency="GBP", at="year-average")


def test_b28_data_that_looks_like_mathtext_is_drawn_as_text(tmp_path) -> None:
    from finestats import charts

    t = pd.DataFrame({"sector": ["Clearview $\\frac$ AI", "Meta $x$"], "total_eur": [1.0, 2.0],
                      "n_fines": [1, 1]})  # fmt: skip
    fig = charts.bar_by_key(t, "sector", meta=finestats.Query())
    charts.save_figure(fig, tmp_path, "math")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert "Clearview $\\frac$ AI" in labels


def test_b25_a_store_that_cannot_be_read_is_named_and_the_bundled_rates_are_used(
    monkeypatch,
) -> None:
    """FINESTATS_HOME under an unreadable parent (simulated: root reads everything): totals still
    come from the bundled snapshot, and the unreadable store is named, not a PermissionError."""
    store = Path(os.environ["FINESTATS_HOME"]).resolve()
    real_is_dir = Path.is_dir

    def is_dir(self: Path) -> bool:
        if store in (self.resolve(), *self.resolve().parents):
            raise PermissionError(13, "Permission denied", str(self))
        return real_is_dir(self)

    monkeypatch.setattr(Path, "is_dir", is_dir)
    found, ignored = snapshots.scan_store()
    assert found == []
    assert ignored and "the store cannot be read (Permission denied)" in ignored[0].reason
    with pytest.warns(Warning, match="cannot be read"):
        table = load_rates()
    assert table.snapshot_label == "2026-10-30"
