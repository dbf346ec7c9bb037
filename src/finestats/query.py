"""The typed query: every selection and conversion setting, declared once.

:class:`Query` holds what to count and how to convert it. Each of its fields is declared with a
:class:`Setting` (type, help text, CLI flag, notebook parameter, words for a footnote): the CLI's
options, the notebooks' parameter check and parameters cells, ``finestats report -p`` and its
``--help``, and the wording of filters in every footnote are all generated from these
declarations (:func:`settings`). Adding a setting means adding a field here and the code that
uses it.

A Query parses what it is given strictly (:mod:`finestats.parsing`), so a bad setting fails where
it is made, with one message naming it. :class:`ResultMeta` is the typed description a result
carries in ``DataFrame.attrs["finestats"]`` (:func:`attach` / :func:`meta_of`, the only two
places that touch that key); it describes a result and never changes how anything is counted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import pandas as pd

from finestats.errors import UsageError
from finestats.parsing import (
    YEAR_AVERAGE,
    parse_at,
    parse_bool,
    parse_choice,
    parse_currency,
    parse_date,
    parse_names,
    parse_year,
    parse_years,
)

VIEWS: tuple[str, ...] = ("imposed", "effective")
DATE_COLUMNS: tuple[str, ...] = ("decision_date", "announced_date")
REGIONS: tuple[str, ...] = ("eu-eea", "uk")
META_KEY = "finestats"

__all__ = [
    "DATE_COLUMNS",
    "META_KEY",
    "REGIONS",
    "VIEWS",
    "YEAR_AVERAGE",
    "Query",
    "ResultMeta",
    "Setting",
    "as_query",
    "attach",
    "meta_of",
    "settings",
]


@dataclass(frozen=True)
class Setting:
    """How one Query field reaches the outer layers.

    ``kind`` says how a value is parsed and shown: ``currency``, ``choice`` (one of
    ``choices``), ``flag`` (true/false), ``names`` (a list of names; repeatable on the command
    line, comma-separated in text), ``date``, ``years`` (a range), ``at`` (a date or
    ``year-average``), ``year``. ``cli`` are its command-line flags (``invert``: the flag sets
    False, as ``--no-penalties``); ``aliases`` other names accepted by Query and the notebooks
    (singular forms); ``annotation`` its type in a notebook's parameters cell (papermill reads
    it); ``words`` how a footnote names it (empty: not a filter worth naming)."""

    kind: str
    help: str
    cli: tuple[str, ...]
    annotation: str
    choices: tuple[str, ...] = ()
    metavar: str = ""
    aliases: tuple[str, ...] = ()
    invert: bool = False
    words: str = ""
    notebook: tuple[str, ...] = ()  # notebook parameter names, if not the field's own name
    name: str = ""  # the field name, filled in when the module is imported

    def parse(self, value: Any) -> Any:
        """``value`` parsed for this setting (None stays None where None is allowed)."""
        parser = _PARSERS[self.kind]
        return parser(self, value)

    @property
    def flag(self) -> str:
        """The long command-line flag, e.g. ``--as-of``."""
        return next(f for f in self.cli if f.startswith("--"))


def _optional(parse: Callable[[str, Any], Any]) -> Callable[[Setting, Any], Any]:
    return lambda s, v: None if v is None or v == "" else parse(s.name, v)


_PARSERS: dict[str, Callable[[Setting, Any], Any]] = {
    "currency": lambda s, v: parse_currency(s.name, v),
    "choice": lambda s, v: parse_choice(s.name, v, s.choices),
    "optional_choice": lambda s, v: None if v is None else parse_choice(s.name, v, s.choices),
    "flag": lambda s, v: parse_bool(s.name, v),
    "names": lambda s, v: _names(s.name, v),
    "date": _optional(parse_date),
    "years": lambda s, v: parse_years(v, s.name),
    "at": lambda s, v: parse_at(v),
    "year": _optional(parse_year),
}


def _names(name: str, value: Any) -> tuple[str, ...]:
    """A list of names; an empty text is refused (it would silently select everything)."""
    if isinstance(value, str) and not value.strip():
        raise UsageError(f"{name}={value!r}: expected a name, not an empty text")
    return parse_names(name, value)


def _field(default: Any, **declared: Any) -> Any:
    return field(default=default, metadata={"setting": Setting(**declared)})


@dataclass(frozen=True, init=False)
class Query:
    """Selection and conversion settings (see each field's declaration below).

    Built with keyword settings, each parsed strictly: ``Query(currency="usd", years="2020-2024",
    regulators=["ICO", "CNIL"], view="effective", as_of="2024-12-31")``. Name filters take one
    name or several (``defendants="meta"`` or ``["whatsapp", "meta"]``) and accept their
    singular name too (``defendant=``, ``matter=``, ``article=``, ``law=``, ``group=``...). Names
    of regulators, defendants, laws and groups match ignoring case.
    """

    currency: str = _field(
        "EUR",
        kind="currency",
        help="Target currency (ISO 4217 code, e.g. EUR, SEK, GBP, USD).",
        cli=("--currency", "-c"),
        annotation="str",
        metavar="CODE",
    )
    view: str = _field(
        "imposed",
        kind="choice",
        choices=VIEWS,
        help="imposed: what regulators decided; effective: after appeals and court events.",
        cli=("--view",),
        annotation="str",
    )
    as_of: dt.date | None = _field(
        None,
        kind="date",
        help="Effective view: what stood on that date (records and court events up to it).",
        cli=("--as-of",),
        annotation="Optional[str]",
        metavar="YYYY-MM-DD",
    )
    include_provisional: bool = _field(
        False,
        kind="flag",
        help="Count notices of intent that no final fine replaced.",
        cli=("--include-provisional",),
        annotation="bool",
    )
    include_penalties: bool = _field(
        True,
        kind="flag",
        help="Count overdue penalty payments (--no-penalties leaves them out).",
        cli=("--no-penalties",),
        invert=True,
        annotation="bool",
    )
    complete_only: bool = _field(
        False,
        kind="flag",
        help="Only fines inside the declared scope (coverage.csv).",
        cli=("--complete-only",),
        annotation="bool",
    )
    years: tuple[int, int] | None = _field(
        None,
        kind="years",
        help="Years, inclusive (of the date --year-of names), e.g. 2020-2024 or 2021.",
        cli=("--years",),
        annotation="Optional[int]",
        metavar="YYYY[-YYYY]",
        words="years",
        notebook=("start_year", "end_year"),
    )
    year_of: str = _field(
        "decision_date",
        kind="choice",
        choices=DATE_COLUMNS,
        help="Which date gives a fine its year (grouping and --years).",
        cli=("--year-of",),
        annotation="str",
    )
    regulators: tuple[str, ...] = _field(
        (),
        kind="names",
        help="Only these regulators (repeatable; names ignore case).",
        cli=("--regulator",),
        annotation="list",
        metavar="CODE",
        words="regulators",
    )
    exclude_regulators: tuple[str, ...] = _field(
        (),
        kind="names",
        help="Leave out these regulators (repeatable; names ignore case).",
        cli=("--exclude-regulator",),
        annotation="list",
        metavar="CODE",
        aliases=("exclude_regulator",),
        words="excluding",
    )
    region: str | None = _field(
        None,
        kind="optional_choice",
        choices=REGIONS,
        help="eu-eea: the EU/EEA authorities; uk: the UK ICO.",
        cli=("--region",),
        annotation="Optional[str]",
        words="region",
    )
    countries: tuple[str, ...] = _field(
        (),
        kind="names",
        help="Only these countries, ISO codes (repeatable).",
        cli=("--country",),
        annotation="list",
        metavar="CC",
        aliases=("country",),
        words="countries",
    )
    defendants: tuple[str, ...] = _field(
        (),
        kind="names",
        help="Defendants whose name contains this text, ignoring case (repeatable: any).",
        cli=("--defendant",),
        annotation="list",
        metavar="TEXT",
        aliases=("defendant",),
        words="defendant",
    )
    groups: tuple[str, ...] = _field(
        (),
        kind="names",
        help="Corporate groups whose name contains this text, ignoring case (repeatable).",
        cli=("--group",),
        annotation="list",
        metavar="TEXT",
        aliases=("group",),
        words="group",
    )
    matters: tuple[str, ...] = _field(
        (),
        kind="names",
        help="Only these matters, e.g. clearview-ai (repeatable).",
        cli=("--matter",),
        annotation="list",
        metavar="SLUG",
        aliases=("matter",),
        words="matter",
    )
    sectors: tuple[str, ...] = _field(
        (),
        kind="names",
        help="Only these sectors (repeatable).",
        cli=("--sector",),
        annotation="list",
        metavar="SECTOR",
        aliases=("sector",),
        words="sectors",
    )
    articles: tuple[str, ...] = _field(
        (),
        kind="names",
        help="Fines citing this article, e.g. 6 or 5(1)(f) (repeatable: any).",
        cli=("--article",),
        annotation="list",
        metavar="ART",
        aliases=("article",),
        words="article",
    )
    laws: tuple[str, ...] = _field(
        (),
        kind="names",
        help="Fines under this law: GDPR (GDPR or UK GDPR), or any text of the law column, "
        "ignoring case (repeatable: any).",
        cli=("--law",),
        annotation="list",
        metavar="LAW",
        aliases=("law",),
        words="law",
    )
    on: str = _field(
        "decision_date",
        kind="choice",
        choices=DATE_COLUMNS,
        help="Which date's ECB fixing converts each fine.",
        cli=("--on",),
        annotation="str",
    )
    at: dt.date | str | None = _field(
        None,
        kind="at",
        help="Convert every fine at one date's rates, or at its year's average rate.",
        cli=("--at",),
        annotation="Optional[str]",
        metavar="YYYY-MM-DD|year-average",
    )
    real: int | None = _field(
        None,
        kind="year",
        help="Also express amounts in that year's prices (the currency's consumer price index).",
        cli=("--real",),
        annotation="Optional[int]",
        metavar="YYYY",
    )

    def __init__(self, **given: Any) -> None:
        names = aliases()
        values: dict[str, Any] = {}
        for key, value in given.items():
            name = names.get(key)
            if name is None:
                raise UsageError(f"unknown setting {key}")
            if name in values:
                raise UsageError(f"{name} is given twice (as {name} and an alias)")
            values[name] = value
        for f in dataclasses.fields(self):
            setting: Setting = f.metadata["setting"]
            value = values.get(f.name, f.default)
            object.__setattr__(self, f.name, setting.parse(value))
        object.__setattr__(self, "countries", tuple(c.upper() for c in self.countries))
        if self.as_of is not None and self.view != "effective":
            raise UsageError(
                "as_of applies to the effective view: add view='effective'",
                cli="--as-of applies to the effective view: add --view effective",
            )

    def replace(self, **changes: Any) -> Query:
        """A copy with some settings changed (and parsed again)."""
        current = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        names = aliases()
        for key, value in changes.items():
            current[names.get(key, key)] = value
        return Query(**current)

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


def settings() -> dict[str, Setting]:
    """Every Query setting by field name, in declaration order."""
    return {f.name: f.metadata["setting"] for f in dataclasses.fields(Query)}


def aliases() -> dict[str, str]:
    """Every name a setting is accepted under (field names and aliases) -> its field name."""
    out: dict[str, str] = {}
    for name, s in settings().items():
        out[name] = name
        out.update(dict.fromkeys(s.aliases, name))
    return out


for _f in dataclasses.fields(Query):  # each declaration knows its field's name (for messages)
    object.__setattr__(_f.metadata["setting"], "name", _f.name)


def as_query(query: Query | None = None, **given: Any) -> Query:
    """``query`` with ``given`` settings applied (None values are left out), or a new one."""
    given = {k: v for k, v in given.items() if v is not None}
    names = aliases()
    unknown = sorted(set(given) - set(names))
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
    ``n_outside_scope`` how many of the fines counted lie outside it (None: no scope to judge);
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
    n_outside_scope: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def replace(self, **changes: Any) -> ResultMeta:
        return dataclasses.replace(self, **changes)

    def with_extra(self, **extra: Any) -> ResultMeta:
        return dataclasses.replace(self, extra={**self.extra, **extra})

    def as_dict(self) -> dict[str, Any]:
        """The sidecar's description: the query's settings at the top level, then the rest
        (the records file by its name: the same export on another machine says the same)."""
        out = self.query.as_dict()
        out.update(
            what=self.what,
            by=list(self.by),
            rate_source=self.rate_source,
            rate_snapshot=self.rate_snapshot,
            rate_sha256=self.rate_sha256,
            data_file=PurePath(self.data_path).name if self.data_path else self.data_path,
            data_sha256=self.data_sha256,
            n_records=self.n_records,
            scope=self.scope,
            n_outside_scope=self.n_outside_scope,
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
