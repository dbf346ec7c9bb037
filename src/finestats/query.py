"""The typed query: what to count and how to convert it, declared once.

:class:`Query` holds every selection and conversion setting. It parses what it is given strictly
(:mod:`finestats.parsing`), so a bad setting fails where it is made, with one message naming it.
``totals``, ``pivot``, the analyses, the notebooks' parameter check and the CLI all build one and
pass it on. :class:`ResultMeta` is the typed description a result carries in
``DataFrame.attrs["finestats"]`` (:func:`attach` / :func:`meta_of`, the only two places that touch
that key); exports and reports write it into their sidecars and manifests.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from finestats.errors import UsageError
from finestats.parsing import (
    parse_bool,
    parse_choice,
    parse_date,
    parse_names,
    parse_text,
    parse_year,
    parse_years,
)

VIEWS: tuple[str, ...] = ("imposed", "effective")
DATE_COLUMNS: tuple[str, ...] = ("decision_date", "announced_date")
YEAR_AVERAGE = "year-average"
META_KEY = "finestats"


def parse_currency(name: str, value: Any) -> str:
    """An ISO 4217 code (case-insensitive): ``"usd"`` -> ``"USD"``."""
    if isinstance(value, str) and len(value.strip()) == 3 and value.strip().isalpha():
        if value.strip().isascii():
            return value.strip().upper()
    raise UsageError(f"{name}={value!r}: expected an ISO 4217 currency code such as EUR")


def parse_at(value: Any) -> dt.date | str | None:
    """None, ``"year-average"`` or a date (``YYYY-MM-DD``)."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lower() == YEAR_AVERAGE:
        return YEAR_AVERAGE
    try:
        return parse_date("at", value)
    except UsageError:
        raise UsageError(f"at={value!r}: expected a date YYYY-MM-DD or 'year-average'") from None


@dataclass(frozen=True)
class Query:
    """Selection and conversion settings.

    Selection: ``view`` (``imposed``: what regulators decided; ``effective``: after appeals),
    ``years`` (inclusive decision years), ``regulators``, ``countries``, ``defendant``
    (case-insensitive substring), ``matter``, ``sectors``, ``article`` (e.g. ``"6"`` counts fines
    citing any paragraph of Article 6), ``include_provisional``, ``include_penalties``,
    ``complete_only`` (only records inside the declared scope of ``coverage.csv``) and ``as_of``
    (effective view: what stood on that date).
    Conversion: ``currency``, ``on`` (whose date's ECB fixing converts each fine), ``at`` (one
    date's rates for every fine, or ``"year-average"``) and ``real`` (a base year: express the
    amounts in that year's prices).
    """

    currency: str = "EUR"
    view: str = "imposed"
    years: tuple[int, int] | None = None
    regulators: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    defendant: str | None = None
    matter: str | None = None
    sectors: tuple[str, ...] = ()
    article: str | None = None
    include_provisional: bool = False
    include_penalties: bool = True
    complete_only: bool = False
    as_of: dt.date | None = None
    on: str = "decision_date"
    at: dt.date | str | None = None
    real: int | None = None

    def __post_init__(self) -> None:
        parsed = {
            "currency": parse_currency("currency", self.currency),
            "view": parse_choice("view", self.view, VIEWS),
            "years": parse_years(self.years),
            "regulators": parse_names("regulators", self.regulators),
            "countries": tuple(c.upper() for c in parse_names("countries", self.countries)),
            "defendant": parse_text("defendant", self.defendant),
            "matter": parse_text("matter", self.matter),
            "sectors": parse_names("sectors", self.sectors),
            "article": parse_text("article", self.article),
            "include_provisional": parse_bool("include_provisional", self.include_provisional),
            "include_penalties": parse_bool("include_penalties", self.include_penalties),
            "complete_only": parse_bool("complete_only", self.complete_only),
            "as_of": None if self.as_of is None else parse_date("as_of", self.as_of),
            "on": parse_choice("on", self.on, DATE_COLUMNS),
            "at": parse_at(self.at),
            "real": None if self.real is None else parse_year("real", self.real),
        }
        for name, value in parsed.items():
            object.__setattr__(self, name, value)
        if self.as_of is not None and self.view != "effective":
            raise UsageError("as_of applies to the effective view: add view='effective'")

    def replace(self, **changes: Any) -> Query:
        """A copy with some settings changed (and parsed again)."""
        return dataclasses.replace(self, **changes)

    @property
    def at_text(self) -> str | None:
        """``at`` as text (``YYYY-MM-DD`` or ``year-average``), None if not set."""
        return None if self.at is None else str(self.at)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready settings (dates as ``YYYY-MM-DD``, tuples as lists)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, dt.date):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out


def as_query(query: Query | None = None, **settings: Any) -> Query:
    """``query`` with ``settings`` applied (None values of settings are left out), or a new one."""
    given = {k: v for k, v in settings.items() if v is not None}
    unknown = sorted(set(given) - {f.name for f in dataclasses.fields(Query)})
    if unknown:
        raise UsageError(f"unknown setting {', '.join(unknown)}")
    if query is None:
        return Query(**given)
    if not isinstance(query, Query):
        raise UsageError(f"query must be a finestats Query, not {type(query).__name__}")
    return query.replace(**given) if given else query


@dataclass(frozen=True)
class ResultMeta:
    """What a result table holds and where its figures come from.

    ``what`` says in words what the rows are (e.g. ``"totals by regulator, year"``); ``by`` the
    group keys; ``rate_*`` the rate table used; ``data_path``/``data_sha256`` the records file;
    ``n_records`` how many records went in; ``scope`` the declared coverage of the collection;
    ``extra`` facts particular to one analysis (e.g. a regulator's own currency).
    """

    query: Query
    what: str
    by: tuple[str, ...] = ()
    rate_source: str = ""
    rate_snapshot: str = ""
    rate_sha256: str = ""
    data_path: str | None = None
    data_sha256: str | None = None
    n_records: int = 0
    scope: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def replace(self, **changes: Any) -> ResultMeta:
        return dataclasses.replace(self, **changes)

    def with_extra(self, **extra: Any) -> ResultMeta:
        return dataclasses.replace(self, extra={**self.extra, **extra})

    def as_dict(self) -> dict[str, Any]:
        """The sidecar's description: the query's settings at the top level, then the rest."""
        out = self.query.as_dict()
        out.update(
            what=self.what,
            by=list(self.by),
            rate_source=self.rate_source,
            rate_snapshot=self.rate_snapshot,
            rate_sha256=self.rate_sha256,
            data_file=self.data_path,
            data_sha256=self.data_sha256,
            n_records=self.n_records,
            scope=self.scope,
        )
        out.update(self.extra)
        return out


def attach(table: pd.DataFrame, meta: ResultMeta) -> pd.DataFrame:
    """Store ``meta`` in ``table.attrs`` and return ``table``."""
    table.attrs[META_KEY] = meta
    return table


def meta_of(table: pd.DataFrame) -> ResultMeta | None:
    """The :class:`ResultMeta` a result carries, or None."""
    meta = table.attrs.get(META_KEY)
    return meta if isinstance(meta, ResultMeta) else None
