"""Opt-in live rate source built on forex-python (``convert(df, rates="forex")``).

forex-python's :class:`~forex_python.converter.CurrencyRates` asks a web service
(``https://theratesapi.com/api/<YYYY-MM-DD>?base=EUR``) for one date at a time and waits
forever. :class:`ForexRates` subclasses it and adds an explicit timeout, a configurable base URL,
an on-disk JSON cache (written atomically) and :class:`~finestats.errors.RatesError` on every
failure, naming the URL and the date.

Figures are EUR-based (units of currency per 1 EUR), as in the ECB file. The service says it
republishes the ECB reference rates, but it is a third party: its figures, its holiday handling
and its coverage may differ from the ECB's own file, which stays the reference (the default
snapshot or ``rates=PATH``). Each response carries the date of the fixing it returns (for a
weekend, the previous business day), and :meth:`ForexRates.table_for` keeps that date, so the
usual rules of :func:`finestats.conversion.convert` apply unchanged.

This module imports ``requests`` and ``forex_python``; :func:`finestats.snapshots.load_rates`
imports it only when the live source is asked for.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import requests
from forex_python.converter import CurrencyRates

from finestats import paths
from finestats.errors import RatesError
from finestats.fileio import write_json
from finestats.rates import RateTable

__all__ = ["ForexRates", "default_cache_path"]

_CACHE_VERSION = 1


def default_cache_path() -> Path:
    """The answer cache in the user's folder (:func:`finestats.paths.forex_cache_path`)."""
    return paths.forex_cache_path()


class ForexRates(CurrencyRates):
    """forex-python's CurrencyRates with a timeout, a base URL, a disk cache and RatesError.

    ``base_url`` ends with ``/``; a date's URL is ``base_url + "YYYY-MM-DD"`` with query
    ``base=EUR&rtype=fpy`` and the JSON answer is ``{"base": "EUR", "date": "YYYY-MM-DD",
    "rates": {"USD": 1.2147, ...}}``. ``timeout`` (seconds) bounds connect and each read.
    Answers for dates before today are cached in ``cache_path``, keyed by base URL and requested
    date; today's and later dates are always fetched, since their fixing may not exist yet.
    """

    base_url: str = "https://theratesapi.com/api/"

    def __init__(
        self,
        base_url: str | None = None,
        *,
        timeout: float = 10.0,
        cache_path: str | os.PathLike[str] | None = None,
        session: requests.Session | None = None,
    ) -> None:
        super().__init__(force_decimal=False)
        if base_url is not None:
            self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.timeout = float(timeout)
        self.cache_path = Path(cache_path) if cache_path is not None else default_cache_path()
        self._session = session or requests.Session()
        self.requests_made = 0

    @property
    def source(self) -> str:
        """Human description used in ``fx_source``."""
        return f"forex-python live {self.base_url} (cache {self.cache_path})"

    def __repr__(self) -> str:
        return f"ForexRates({self.base_url!r}, timeout={self.timeout}, cache={self.cache_path})"

    # forex-python hooks ------------------------------------------------------------------

    def _source_url(self) -> str:
        return self.base_url

    def get_rates(self, base_cur: str, date_obj: dt.date | None = None) -> dict[str, float]:
        """Rates per 1 ``base_cur`` for ``date_obj`` (uncached; RatesError on any failure)."""
        return self._fetch(base_cur, date_obj)["rates"]

    # finestats RateSource ------------------------------------------------------------------

    def table_for(self, dates: Iterable[dt.date]) -> RateTable:
        """A RateTable of the EUR-based fixings the service returns for each distinct date.

        One request per distinct date not in the cache; the cache file is rewritten
        atomically once, after the fetches (also when one of them fails).
        """
        wanted = sorted({pd.Timestamp(d).date() for d in dates})
        cache = self._read_cache()
        entries: dict[str, Any] = cache.setdefault(self.base_url, {})
        today = dt.date.today()
        fresh: dict[str, Any] = {}  # answers for today or later: used, never cached
        changed = False
        try:
            for day in wanted:
                key = day.isoformat()
                if key not in entries:
                    answer = self._fetch("EUR", day)
                    if day < today:
                        entries[key] = answer
                        changed = True
                    else:
                        fresh[key] = answer
        finally:
            if changed:
                self._write_cache(cache)
        rows: dict[str, dict[str, float]] = {}
        for day in wanted:
            key = day.isoformat()
            answer = entries[key] if key in entries else fresh[key]
            rows[answer["date"]] = answer["rates"]
        frame = pd.DataFrame.from_dict(rows, orient="index", dtype="float64")
        frame.index = pd.to_datetime(frame.index, format="%Y-%m-%d")
        return RateTable(frame, self.source)

    # internals ------------------------------------------------------------------------------

    def _fetch(self, base_cur: str, day: dt.date | None) -> dict[str, Any]:
        date_str = self._get_date_string(day)
        url = self._source_url() + date_str
        where = f"live rates for {date_str} from {url}"
        try:
            self.requests_made += 1
            response = self._session.get(
                url, params={"base": base_cur, "rtype": "fpy"}, timeout=self.timeout
            )
        except requests.Timeout as exc:
            raise RatesError(
                f"{where}: timeout after {self.timeout:g} s; retry later or use the ECB file"
            ) from exc
        except requests.RequestException as exc:
            raise RatesError(f"{where}: cannot connect ({type(exc).__name__}: {exc})") from exc
        if response.status_code != 200:
            raise RatesError(f"{where}: HTTP {response.status_code} {response.reason}")
        try:
            data = response.json()
            answer = {
                "date": dt.date.fromisoformat(str(data["date"])[:10]).isoformat(),
                "rates": {str(k): float(v) for k, v in dict(data["rates"]).items()},
            }
            got_base = str(data.get("base", base_cur))
        except (ValueError, KeyError, TypeError) as exc:
            raise RatesError(
                f"{where}: bad JSON, expected {{'date': 'YYYY-MM-DD', 'rates': {{...}}}} ({exc})"
            ) from exc
        if got_base != base_cur:
            raise RatesError(f"{where}: asked for base {base_cur}, got {got_base}")
        if not all(math.isfinite(v) and v > 0 for v in answer["rates"].values()):
            raise RatesError(f"{where}: bad JSON, rates must be positive numbers")
        return answer

    def _read_cache(self) -> dict[str, Any]:
        try:
            data = json.loads(self.cache_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return {}  # an unreadable cache is rebuilt, never trusted
        if not isinstance(data, dict) or data.get("version") != _CACHE_VERSION:
            return {}
        return dict(data.get("sources", {}))

    def _write_cache(self, sources: dict[str, Any]) -> None:
        write_json(self.cache_path, {"version": _CACHE_VERSION, "sources": sources})
