"""A reference oracle: what finestats should answer, computed naively, one row at a time.

Standard library only (csv, zipfile, datetime, statistics, math, re). It reads the ECB history
file and the data files itself, with ``csv``, and shares no code with finestats: where finestats
is vectorised, cached and clever, this module is a loop over records written straight from the
rules in README.md and data/README.md, so that a bug in one is unlikely to be the same bug in
the other. ``tests/test_oracle.py`` compares the two.

The rules, as this module reads them:

* **Rates.** ECB reference rates are units of a currency per 1 EUR; EUR is 1.0 on every fixing
  date of the file. A fine converts at the fixing of its date, else the most recent earlier
  fixing no more than 7 days before it, looked up for the source and the target currency
  separately; ``fx_rate = per_eur[target] / per_eur[source]``; ``fx_date`` is the older of the
  two fixings used. No such fixing: refused. A euro legacy currency, from its adoption day on,
  has the EU Council's irrevocable rate (its fixing date is the day itself).
* **Year average.** The mean of a currency's fixings in the calendar year, crossed through the
  euro; the year must be covered: first fixing at most 7 days after 1 January, last at most 7
  days before 31 December, no two consecutive fixings more than 8 days apart (a legacy currency
  from its adoption year: its irrevocable rate). ``fx_date``: the older of the two last fixings.
* **Constant prices.** ``index[base] / index[year of the fine's own date]`` of the target
  currency's price index; no index, a base year or a fine's year outside it: refused.
* **Counting.** imposed: ``final`` and ``penalty`` records (penalties unless left out);
  ``provisional`` only when asked and when no record supersedes it. effective: each decision
  followed through its records and court events in date order (a record before an event of
  the same day): a superseding record stands instead of what stood; ``set-aside`` of a record
  makes what that record replaced stand again (nothing, for the decision itself);
  ``reinstated`` makes the named record stand; an ``annulled`` record standing, or nothing
  standing, drops the decision; the decision keeps its own regulator, dates and year. ``as_of``
  keeps only records and events dated on or before it (and needs the effective view).
* **Filters**, checked against every record given: an unknown regulator, country or matter, a
  defendant, group or law text that matches no record, a sector outside the vocabulary or an
  article that is not an article reference is refused. ``complete_only`` keeps a decision when
  a coverage row claims it: same regulator, decision date in the period, one of its laws, and
  its own amount in EUR at its decision date at least the threshold.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import math
import re
import statistics
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_GAP = 7
NONE_LABEL = "(none)"

#: Euro legacy currencies: the EU Council's irrevocable rate (per 1 EUR) and adoption day.
IRREVOCABLE: dict[str, tuple[float, dt.date]] = {
    "SIT": (239.640, dt.date(2007, 1, 1)),
    "CYP": (0.585274, dt.date(2008, 1, 1)),
    "MTL": (0.429300, dt.date(2008, 1, 1)),
    "SKK": (30.1260, dt.date(2009, 1, 1)),
    "EEK": (15.6466, dt.date(2011, 1, 1)),
    "LVL": (0.702804, dt.date(2014, 1, 1)),
    "LTL": (3.45280, dt.date(2015, 1, 1)),
    "HRK": (7.53450, dt.date(2023, 1, 1)),
    "BGN": (1.95583, dt.date(2026, 1, 1)),
}

#: The sector vocabulary of data/README.md.
SECTORS = (
    "tech-platforms",
    "telecoms",
    "energy",
    "finance-insurance",
    "health",
    "public-sector",
    "retail",
    "transport",
    "hospitality",
    "media",
    "real-estate",
    "marketing",
    "education",
    "other",
)
GROUP_KEYS = (
    "regulator",
    "country",
    "year",
    "defendant",
    "group",
    "matter",
    "sector",
    "currency",
    "status",
)
#: An article reference: an optional law prefix (``LIL:``), a number with an optional letter
#: prefix and suffix or range (``L34-5``, ``P7``, ``13a``), then paragraphs in brackets.
ARTICLE_REF = re.compile(
    r"^(?:[a-z][a-z0-9.-]*:)?[a-z]{0,2}[0-9]+[a-z]{0,3}(?:-[0-9]+)?(?:\([0-9a-z]+\))*$",
    re.IGNORECASE,
)


class Refused(Exception):
    """The oracle gives no figure. ``kind``: ``"usage"`` (a setting or name it cannot accept)
    or ``"rates"`` (a fine it cannot convert exactly, or constant prices it cannot compute)."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(f"{kind}: {reason}")
        self.kind = kind
        self.reason = reason


def _date(text: str) -> dt.date | None:
    text = text.strip()
    return dt.date.fromisoformat(text) if text else None


# -- rates -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fixing:
    rate: float  # units per 1 EUR
    day: dt.date
    irrevocable: bool


class Rates:
    """An ECB eurofxref-hist file (CSV, or a zip holding one), read with ``csv``."""

    def __init__(self, path: str | Path) -> None:
        data = Path(path).read_bytes()
        if data[:4] == b"PK\x03\x04":
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                (member,) = zf.namelist()
                data = zf.read(member)
        reader = csv.reader(io.StringIO(data.decode("utf-8").lstrip("\ufeff")))
        header = [h.strip() for h in next(reader)]
        self.per_eur: dict[str, dict[dt.date, float]] = {}
        self.days: list[dt.date] = []
        for row in reader:
            if not row or not row[0].strip():
                continue
            day = dt.date.fromisoformat(row[0].strip())
            self.days.append(day)
            for code, cell in zip(header[1:], row[1:], strict=False):
                cell = cell.strip()
                if code and cell and cell != "N/A":
                    self.per_eur.setdefault(code, {})[day] = float(cell)
        self.per_eur["EUR"] = {day: 1.0 for day in self.days}
        self.days.sort()
        self._years: dict[tuple[str, int], Fixing] = {}

    def fixing(self, code: str, day: dt.date) -> Fixing:
        """The fixing of ``code`` that converts an amount of ``day``."""
        legacy = IRREVOCABLE.get(code)
        if legacy is not None and day >= legacy[1]:
            return Fixing(legacy[0], day, True)
        known = self.per_eur.get(code)
        if known is None:
            raise Refused("rates", f"{code} is not in the rate file")
        for back in range(MAX_GAP + 1):
            earlier = day - dt.timedelta(days=back)
            if earlier in known:
                return Fixing(known[earlier], earlier, False)
        raise Refused("rates", f"no {code} fixing on {day} or the {MAX_GAP} days before")

    def year_average(self, code: str, year: int) -> Fixing:
        """The mean of ``code``'s fixings in ``year`` (``day``: its last fixing that year)."""
        key = (code, year)
        if key not in self._years:
            self._years[key] = self._year_average(code, year)
        return self._years[key]

    def _year_average(self, code: str, year: int) -> Fixing:
        if not self.days[0].year <= year <= self.days[-1].year:
            raise Refused("rates", f"{year} is outside the rate file")
        legacy = IRREVOCABLE.get(code)
        if legacy is not None and year >= legacy[1].year:
            last = max(d for d in self.days if d.year == year)
            return Fixing(legacy[0], last, True)
        known = self.per_eur.get(code, {})
        days = sorted(d for d in known if d.year == year)
        if not days:
            raise Refused("rates", f"no {code} fixing in {year}")
        if (days[0] - dt.date(year, 1, 1)).days > MAX_GAP:
            raise Refused("rates", f"{code} fixings start late in {year}")
        if (dt.date(year, 12, 31) - days[-1]).days > MAX_GAP:
            raise Refused("rates", f"{code} fixings stop early in {year} (year not over?)")
        for a, b in zip(days, days[1:], strict=False):
            if (b - a).days > MAX_GAP + 1:
                raise Refused("rates", f"{code} has a gap in {year} ({a} to {b})")
        total = 0.0
        for d in days:
            total += known[d]
        return Fixing(total / len(days), days[-1], False)


@dataclass(frozen=True)
class Converted:
    amount: float  # in the target currency
    rate: float
    fx_date: dt.date
    irrevocable: bool
    real_factor: float | None = None

    @property
    def real(self) -> float | None:
        return None if self.real_factor is None else self.amount * self.real_factor


def check_amount(amount: float, fine_id: str) -> None:
    if not isinstance(amount, float | int) or math.isnan(amount) or math.isinf(amount):
        raise Refused("rates", f"{fine_id}: amount {amount!r} is not a finite number")
    if amount <= 0:
        raise Refused("rates", f"{fine_id}: amount {amount!r} is not positive")


def convert_amount(
    rates: Rates,
    amount: float,
    currency: str,
    to: str,
    *,
    day: dt.date | None,
    year_average: bool,
    fine_id: str,
) -> Converted:
    """One amount in ``to``: at the fixings of ``day``, or at ``day``'s year averages."""
    check_amount(amount, fine_id)
    if day is None:
        raise Refused("rates", f"{fine_id}: no date to convert at")
    if year_average:
        src, tgt = rates.year_average(currency, day.year), rates.year_average(to, day.year)
    else:
        src, tgt = rates.fixing(currency, day), rates.fixing(to, day)
    rate = tgt.rate / src.rate
    return Converted(amount * rate, rate, min(src.day, tgt.day), src.irrevocable or tgt.irrevocable)


# -- data files --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    fine_id: str
    regulator: str
    country: str
    defendant: str
    group: str
    matter: str
    decision_date: dt.date
    announced_date: dt.date | None
    amount: float
    currency: str
    status: str
    supersedes: str
    laws: tuple[str, ...]
    articles: tuple[str, ...]
    sector: str

    def date(self, column: str) -> dt.date | None:
        return self.decision_date if column == "decision_date" else self.announced_date

    def year(self, year_of: str) -> int:
        if year_of == "announced_date" and self.announced_date is not None:
            return self.announced_date.year
        return self.decision_date.year

    def with_amount(self, amount: float) -> Record:
        return dataclasses.replace(self, amount=amount)


@dataclass(frozen=True)
class Event:
    fine_id: str
    day: dt.date
    outcome: str


@dataclass(frozen=True)
class Claim:
    regulator: str
    start: dt.date
    end: dt.date
    threshold_eur: float
    laws: frozenset[str]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, skipinitialspace=True))


def _split(text: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in text.split(";") if x.strip())


@dataclass
class Data:
    """The data folder's files, read with ``csv.DictReader``."""

    records: list[Record]
    events: list[Event]
    coverage: list[Claim]
    prices: dict[str, dict[int, float]]  # currency -> year -> annual index
    by_id: dict[str, Record] = field(init=False)

    def __post_init__(self) -> None:
        self.by_id = {r.fine_id: r for r in self.records}

    @classmethod
    def read(cls, folder: str | Path) -> Data:
        folder = Path(folder)
        records = [
            Record(
                fine_id=r["fine_id"].strip(),
                regulator=r["regulator"].strip(),
                country=r["country"].strip(),
                defendant=r["defendant"].strip(),
                group=r["group"].strip(),
                matter=r["matter"].strip(),
                decision_date=_date(r["decision_date"]),
                announced_date=_date(r["announced_date"]),
                amount=float(r["amount"]),
                currency=r["currency"].strip(),
                status=r["status"].strip(),
                supersedes=r["supersedes"].strip(),
                laws=_split(r["law"]),
                articles=_split(r["articles"]),
                sector=r["sector"].strip(),
            )
            for r in _rows(folder / "fines.csv")
        ]
        events = [
            Event(e["fine_id"].strip(), _date(e["date"]), e["outcome"].strip())
            for e in _rows(folder / "events.csv")
        ]
        coverage = [
            Claim(
                c["regulator"].strip(),
                _date(c["period_start"]),
                _date(c["period_end"]),
                float(c["threshold_eur"]),
                frozenset(_split(c["laws"])),
            )
            for c in _rows(folder / "coverage.csv")
        ]
        prices: dict[str, dict[int, float]] = {}
        for p in _rows(folder / "price_indices.csv"):
            prices.setdefault(p["currency"].strip(), {})[int(p["year"])] = float(p["value"])
        return cls(records, events, coverage, prices)


# -- settings ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """What to count and how to convert it (the names of finestats.Query's settings)."""

    currency: str = "EUR"
    view: str = "imposed"
    as_of: dt.date | None = None
    include_provisional: bool = False
    include_penalties: bool = True
    complete_only: bool = False
    years: tuple[int, int] | None = None
    year_of: str = "decision_date"
    regulators: tuple[str, ...] = ()
    exclude_regulators: tuple[str, ...] = ()
    region: str | None = None
    countries: tuple[str, ...] = ()
    defendants: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    matters: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    articles: tuple[str, ...] = ()
    laws: tuple[str, ...] = ()
    on: str = "decision_date"
    at: dt.date | str | None = None  # a date, "year-average" or None
    real: int | None = None

    @classmethod
    def of(cls, given: dict[str, Any]) -> Settings:
        values = dict(given)
        for key in ("as_of", "at"):
            v = values.get(key)
            if isinstance(v, str) and v != "year-average":
                values[key] = dt.date.fromisoformat(v)
        for key, v in list(values.items()):
            if isinstance(v, list):
                values[key] = tuple(v)
        if values.get("years") is not None:
            values["years"] = tuple(values["years"])
        return cls(**values)


# -- counting ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counted:
    """A decision that counts, and the record of it that stands (itself when imposed)."""

    decision: Record
    standing: Record


def counted(records: Sequence[Record], events: Sequence[Event], s: Settings) -> list[Counted]:
    """The decisions that count in ``s``'s view, in the order of ``records``."""
    if s.as_of is not None and s.view != "effective":
        raise Refused("usage", "as_of needs the effective view")
    rows = [r for r in records if s.as_of is None or r.decision_date <= s.as_of]
    superseded = {r.supersedes for r in rows if r.supersedes}
    decisions = []
    for r in rows:
        if r.status == "final":
            decisions.append(r)
        elif r.status == "penalty" and s.include_penalties:
            decisions.append(r)
        elif r.status == "provisional" and s.include_provisional and r.fine_id not in superseded:
            decisions.append(r)
    if s.view == "imposed":
        return [Counted(d, d) for d in decisions]
    by_id = {r.fine_id: r for r in rows}
    successor: dict[str, Record] = {}
    for r in rows:
        if r.supersedes and r.supersedes not in successor:
            successor[r.supersedes] = r
    court = [
        e
        for e in events
        if e.outcome in ("set-aside", "reinstated") and (s.as_of is None or e.day <= s.as_of)
    ]
    out = []
    for d in decisions:
        chain = [d]
        while chain[-1].fine_id in successor and len(chain) <= len(rows):
            chain.append(successor[chain[-1].fine_id])
        names = {r.fine_id for r in chain}
        timeline = [(r.decision_date, 0, "record", r) for r in chain[1:]]
        timeline += [(e.day, 1, e.outcome, by_id[e.fine_id]) for e in court if e.fine_id in names]
        timeline.sort(key=lambda step: (step[0], step[1]))
        standing: Record | None = d
        for _, _, what, record in timeline:
            if what in ("record", "reinstated"):
                standing = record
            elif record is d:  # the decision set aside: nothing stands
                standing = None
            else:  # a later record set aside: what it replaced stands again
                standing = by_id.get(record.supersedes)
        if standing is not None and standing.status != "annulled":
            out.append(Counted(d, standing))
    return out


def _fold(text: str) -> str:
    return text.casefold()


def check_names(every: Sequence[Record], s: Settings) -> None:
    """Refuse a name that no record given has (or a word outside a vocabulary)."""
    regulators = {_fold(r.regulator) for r in every}
    for name in (*s.regulators, *s.exclude_regulators):
        if _fold(name) not in regulators:
            raise Refused("usage", f"unknown regulator {name}")
    countries = {_fold(r.country) for r in every}
    for name in s.countries:
        if _fold(name) not in countries:
            raise Refused("usage", f"unknown country {name}")
    matters = {r.matter for r in every if r.matter}
    for name in s.matters:
        if name not in matters:
            raise Refused("usage", f"unknown matter {name}")
    for name in s.sectors:
        if name not in SECTORS:
            raise Refused("usage", f"unknown sector {name}")
    for text in s.defendants:
        if not any(_fold(text) in _fold(r.defendant) for r in every):
            raise Refused("usage", f"no defendant matches {text}")
    for text in s.groups:
        if not any(_fold(text) in _fold(r.group) for r in every):
            raise Refused("usage", f"no group matches {text}")
    for text in s.laws:
        if not any(under_law(r, (text,)) for r in every):
            raise Refused("usage", f"no law matches {text}")
    for text in s.articles:
        if not ARTICLE_REF.match(text.strip()):
            raise Refused("usage", f"{text!r} is not an article reference")


def under_law(r: Record, wanted: Iterable[str]) -> bool:
    for w in wanted:
        if _fold(w) == "gdpr":
            if any(law in ("GDPR", "UK GDPR") for law in r.laws):
                return True
        elif any(_fold(w) in _fold(law) for law in r.laws):
            return True
    return False


def cites(r: Record, wanted: Iterable[str]) -> bool:
    refs = [_fold(a) for a in r.articles]
    for w in wanted:
        a = _fold(w.strip())
        if any(ref == a or ref.startswith(a + "(") for ref in refs):
            return True
    return False


def passes(c: Counted, s: Settings) -> bool:
    """Whether a counted decision passes every filter of ``s`` except ``complete_only``."""
    d = c.decision
    if s.years is not None and not s.years[0] <= d.year(s.year_of) <= s.years[1]:
        return False
    if s.regulators and _fold(d.regulator) not in {_fold(x) for x in s.regulators}:
        return False
    if _fold(d.regulator) in {_fold(x) for x in s.exclude_regulators}:
        return False
    if s.region == "uk" and d.country != "GB":
        return False
    if s.region == "eu-eea" and d.country == "GB":
        return False
    if s.countries and _fold(d.country) not in {_fold(x) for x in s.countries}:
        return False
    if s.matters and d.matter not in s.matters:
        return False
    if s.sectors and d.sector not in s.sectors:
        return False
    if s.defendants and not any(_fold(t) in _fold(d.defendant) for t in s.defendants):
        return False
    if s.groups and not any(_fold(t) in _fold(d.group) for t in s.groups):
        return False
    if s.laws and not under_law(d, s.laws):
        return False
    return not (s.articles and not cites(d, s.articles))


def in_scope(d: Record, coverage: Sequence[Claim], rates: Rates) -> bool:
    eur = convert_amount(
        rates,
        d.amount,
        d.currency,
        "EUR",
        day=d.decision_date,
        year_average=False,
        fine_id=d.fine_id,
    ).amount
    for claim in coverage:
        if (
            claim.regulator == d.regulator
            and claim.start <= d.decision_date <= claim.end
            and claim.laws & set(d.laws)
            and eur >= claim.threshold_eur
        ):
            return True
    return False


def select(data: Data, records: Sequence[Record], s: Settings, rates: Rates) -> list[Counted]:
    """The counted decisions of ``records`` that pass the filters of ``s``."""
    check_names(records, s)
    rows = [c for c in counted(records, data.events, s) if passes(c, s)]
    if s.complete_only:
        rows = [c for c in rows if in_scope(c.decision, data.coverage, rates)]
    return rows


def outside_scope(data: Data, records: Sequence[Record], s: Settings, rates: Rates) -> int:
    """How many of the counted, selected fines lie outside every claim of the coverage."""
    rows = select(data, records, s, rates)
    return sum(not in_scope(c.decision, data.coverage, rates) for c in rows)


# -- converting --------------------------------------------------------------------------------


def real_factor(data: Data, currency: str, base: int, year: int | None, fine_id: str) -> float:
    index = data.prices.get(currency)
    if not index:
        raise Refused("rates", f"no price index for {currency}")
    if base not in index:
        raise Refused("rates", f"base year {base} is outside the {currency} index")
    if year is None or year not in index:
        raise Refused("rates", f"{fine_id}: year {year} is outside the {currency} index")
    return index[base] / index[year]


def check_real(data: Data, s: Settings) -> None:
    """Constant prices refused whatever the rows: no index, or a base year outside it."""
    if s.real is None:
        return
    index = data.prices.get(s.currency)
    if not index:
        raise Refused("rates", f"no price index for {s.currency}")
    if s.real not in index:
        raise Refused("rates", f"base year {s.real} is outside the {s.currency} index")


def convert_record(
    data: Data, rates: Rates, r: Record, s: Settings, amount_of: Record | None = None
) -> Converted:
    """``r`` (or the amount and currency of ``amount_of``, what stands of it) converted to
    ``s.currency`` as ``s`` says; constant prices by the year of ``r``'s own ``on`` date."""
    money = amount_of or r
    own = r.date(s.on)
    conv = convert_amount(
        rates,
        money.amount,
        money.currency,
        s.currency,
        day=s.at if isinstance(s.at, dt.date) else own,
        year_average=s.at == "year-average",
        fine_id=r.fine_id,
    )
    if s.real is None:
        return conv
    factor = real_factor(data, s.currency, s.real, own.year if own else None, r.fine_id)
    return Converted(conv.amount, conv.rate, conv.fx_date, conv.irrevocable, factor)


def convert_rows(
    data: Data, rates: Rates, records: Sequence[Record], s: Settings
) -> list[Converted]:
    """Every record converted (what ``finestats.convert`` does to a records frame)."""
    check_real(data, s)
    return [convert_record(data, rates, r, s) for r in records]


# -- totals and pivot --------------------------------------------------------------------------


def key_of(c: Counted, key: str, s: Settings) -> str | int:
    d = c.decision
    if key == "year":
        return d.year(s.year_of)
    if key in ("currency", "status"):
        return getattr(c.standing, key)
    value = getattr(d, key)
    return value if value else NONE_LABEL


def _sort_key(values: Sequence[str | int]) -> tuple:
    return tuple(v if isinstance(v, int) else _fold(v) for v in values)


@dataclass(frozen=True)
class Total:
    keys: tuple[str | int, ...]
    n_fines: int
    total: float
    median: float
    max: float
    total_real: float | None


def totals(
    data: Data, records: Sequence[Record], by: Sequence[str], s: Settings, rates: Rates
) -> list[Total]:
    """Totals of the counted, selected fines by ``by``, sorted by the keys ignoring case."""
    rows = select(data, records, s, rates)
    check_real(data, s)
    groups: dict[tuple, list[Converted]] = {}
    for c in rows:
        conv = convert_record(data, rates, c.decision, s, amount_of=c.standing)
        groups.setdefault(tuple(key_of(c, k, s) for k in by), []).append(conv)
    out = []
    for keys in sorted(groups, key=_sort_key):
        amounts = [g.amount for g in groups[keys]]
        real = None
        if s.real is not None:
            real = 0.0
            for g in groups[keys]:
                real += g.real
        total = 0.0
        for a in amounts:
            total += a
        out.append(Total(keys, len(amounts), total, statistics.median(amounts), max(amounts), real))
    return out


@dataclass(frozen=True)
class Pivot:
    rows: list[str]  # labels, "Total" last
    columns: list[str]  # labels, "Total" last
    cells: dict[tuple[str, str], float]


def pivot(
    data: Data,
    records: Sequence[Record],
    rows: str,
    columns: str,
    s: Settings,
    rates: Rates,
) -> Pivot:
    """A ``rows`` x ``columns`` table of totals (in ``s.real`` prices when given), with a
    ``Total`` row and column; empty cells are 0."""
    tidy = totals(data, records, (rows, columns), s, rates)
    row_keys = sorted({t.keys[0] for t in tidy}, key=lambda v: _sort_key([v]))
    col_keys = sorted({t.keys[1] for t in tidy}, key=lambda v: _sort_key([v]))
    cells: dict[tuple[str, str], float] = {}
    for r in row_keys:
        for c in col_keys:
            cells[str(r), str(c)] = 0.0
    for t in tidy:
        cells[str(t.keys[0]), str(t.keys[1])] = t.total if s.real is None else t.total_real
    row_labels = [str(r) for r in row_keys]
    col_labels = [str(c) for c in col_keys]
    for r in row_labels:
        cells[r, "Total"] = sum(cells[r, c] for c in col_labels)
    for c in [*col_labels, "Total"]:
        cells["Total", c] = sum(cells[r, c] for r in row_labels)
    return Pivot([*row_labels, "Total"], [*col_labels, "Total"], cells)
