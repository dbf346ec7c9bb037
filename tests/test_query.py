"""finestats.query: the typed query parses what it is given, once; results carry typed metadata."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from finestats.errors import UsageError
from finestats.query import Query, ResultMeta, as_query, attach, meta_of


def test_defaults_and_normalisation() -> None:
    q = Query(
        currency="usd",
        regulators="ICO, IMY",
        countries=["se"],
        years="2020-2022",
        at="2024-12-31",
        as_of="2025-01-01",
        view="effective",
        real="2024",
    )
    assert q.currency == "USD" and q.regulators == ("ICO", "IMY") and q.countries == ("SE",)
    assert q.years == (2020, 2022) and q.at == dt.date(2024, 12, 31) and q.real == 2024
    assert q.as_of == dt.date(2025, 1, 1) and q.at_text == "2024-12-31"
    assert Query(at="Year-Average").at == "year-average"


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"currency": "EURO"}, "currency='EURO'"),
        ({"currency": 978}, "currency=978"),
        ({"view": "efective"}, "view='efective': expected one of imposed, effective"),
        ({"include_provisional": "False"}, "include_provisional='False'"),
        ({"complete_only": 1}, "complete_only=1"),
        ({"on": "filed"}, "on='filed'"),
        ({"at": "2021"}, "at='2021'"),
        ({"real": 1e10}, "real=10000000000.0"),
        ({"as_of": "2024-12-31"}, "as_of applies to the effective view"),
    ],
)
def test_bad_settings_fail_where_they_are_made(kw, message) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Query(**kw)


def test_as_query_and_replace() -> None:
    q = as_query(currency="SEK", years=None)
    assert q == Query(currency="SEK")
    assert as_query(q, view="effective").view == "effective" and q.view == "imposed"
    with pytest.raises(UsageError, match="unknown setting colour"):
        as_query(colour="red")
    with pytest.raises(UsageError, match="must be a finestats Query"):
        as_query({"currency": "EUR"})  # type: ignore[arg-type]


def test_meta_round_trip() -> None:
    q = Query(years=(2021, 2021))
    meta = ResultMeta(
        q, "totals by year", by=("year",), rate_snapshot="2026-10-30", extra={"own_currency": "SEK"}
    )
    t = attach(pd.DataFrame({"year": [2021]}), meta)
    assert meta_of(t) is meta and meta_of(pd.DataFrame()) is None
    d = meta.as_dict()
    assert d["years"] == [2021, 2021] and d["by"] == ["year"] and d["own_currency"] == "SEK"
    assert meta_of(t.copy()) == meta  # survives a copy
    assert meta.with_extra(x=1).extra == {"own_currency": "SEK", "x": 1}
