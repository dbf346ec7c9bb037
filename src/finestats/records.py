"""Fine records: the schema of ``data/raw/fines.csv``, its loader and its validation.

One row is one decision: a fine, a notice of intent, a penalty payment or a court outcome, in the
currency the regulator used. ``load_fines`` returns every row typed, or raises one
:class:`~finestats.errors.FineDataError` listing every problem with its file line; it never drops
or alters a row silently (rows in == rows out).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from finestats.errors import FineDataError, Notice, Problem, RatesError

COLUMNS: tuple[str, ...] = (
    "fine_id",
    "regulator",
    "regulator_name",
    "country",
    "defendant",
    "decision_date",
    "announced_date",
    "date_precision",
    "amount",
    "currency",
    "status",
    "supersedes",
    "law",
    "source_url",
    "notes",
)
#: Columns that may be empty.
OPTIONAL: frozenset[str] = frozenset({"announced_date", "supersedes", "notes"})

STATUSES: tuple[str, ...] = ("final", "provisional", "penalty", "reduced", "annulled")
PRECISIONS: tuple[str, ...] = ("day", "month", "year")
#: Which statuses a record of a given status may supersede.
SUPERSEDABLE: dict[str, frozenset[str]] = {
    "final": frozenset({"provisional"}),
    "reduced": frozenset({"final", "penalty", "reduced"}),
    "annulled": frozenset({"final", "penalty", "reduced"}),
    "provisional": frozenset(),
    "penalty": frozenset(),
}

#: ISO 4217 codes in use, plus the withdrawn ones the ECB published rates for.
ISO_4217: frozenset[str] = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP
    BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
    GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR
    KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK
    MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR
    SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS
    UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
    CYP EEK HRK LTL LVL MTL ROL SIT SKK TRL
    """.split()
)

_DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
_AMOUNT_RE = r"^\d+(\.\d+)?$"
_SLUG_RE = r"^[a-z0-9]+(-[a-z0-9]+)*$"
_COUNTRY_RE = r"^[A-Z]{2}$"
_URL_RE = r"^https?://\S+$"

_CATEGORICAL = ("regulator", "country", "currency", "status", "date_precision")
_TEXT = ("fine_id", "regulator_name", "defendant", "supersedes", "law", "source_url", "notes")


class FineDataWarning(UserWarning):
    """Something in the records worth a look that is not an error (e.g. a very large amount)."""


def default_data_path() -> Path:
    """``$FINESTATS_DATA`` if set, else the repository's ``data/raw/fines.csv``."""
    env = os.environ.get("FINESTATS_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "data" / "raw" / "fines.csv"


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file's bytes (the data fingerprint exports record)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass
class _Raw:
    """The file as text cells, with each row's physical line number."""

    path: str
    cells: pd.DataFrame
    lines: np.ndarray


def load_fines(path: str | os.PathLike[str] | None = None, *, strict: bool = False) -> pd.DataFrame:
    """Load and validate the fine records; return one typed row per record, in file order.

    ``path`` defaults to :func:`default_data_path`. Columns: the schema in ``data/README.md``, with
    ``decision_date``/``announced_date`` as datetime64 (``announced_date`` NaT when empty),
    ``amount`` float64 in the original ``currency``, text as string or categorical dtype, plus
    ``year`` (int, of the decision date). Raises :class:`FineDataError` listing every problem.
    ``strict=True`` adds the curation checks of :func:`strict_problems` (its warnings are issued as
    :class:`FineDataWarning`).
    """
    df, notes = validate_file(path, strict=strict)
    for w in notes:
        warnings.warn(str(w), FineDataWarning, stacklevel=2)
    return df


def _read(p: Path) -> _Raw:
    name = str(p)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise FineDataError([Problem(name, 0, "", name, "an existing CSV file")]) from None
    except OSError as exc:
        raise FineDataError([Problem(name, 0, "", name, f"a readable file ({exc})")]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.end].hex(" ")
        raise FineDataError(
            [Problem(name, line, "", f"bytes {bad}", "UTF-8 text (save the file as UTF-8)")]
        ) from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise FineDataError([Problem(name, 0, "", "", "a header row and at least one record")])
    try:
        cells = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            skipinitialspace=False,
        )
    except pd.errors.ParserError as exc:
        m = re.search(r"line (\d+), saw (\d+)", str(exc))
        line = int(m.group(1)) if m else 0
        saw = m.group(2) if m else "?"
        raise FineDataError(
            [Problem(name, line, "", f"{saw} fields", f"{len(COLUMNS)} fields (quote commas)")]
        ) from None
    cells.columns = [str(c).strip() for c in cells.columns]
    # Physical line of each record: header is line 1; quoted fields may hold newlines.
    newlines = np.zeros(len(cells), dtype=np.int64)
    for col in cells.columns:
        newlines += cells[col].str.count("\n").to_numpy(dtype=np.int64)
    lines = 2 + np.concatenate([[0], np.cumsum(newlines + 1)[:-1]]) if len(cells) else newlines
    cells = cells.apply(lambda s: s.str.strip())
    return _Raw(name, cells, np.asarray(lines, dtype=np.int64))


def _validate(raw: _Raw) -> list[Problem]:
    """Every problem in the file, sorted by line then column order."""
    name, df, lines = raw.path, raw.cells, raw.lines
    found: list[tuple[int, int, Problem]] = []
    order = {c: i for i, c in enumerate(COLUMNS)}

    def flag(mask: pd.Series | np.ndarray, column: str, expected: str) -> None:
        mask = np.asarray(mask, dtype=bool)
        for i in np.flatnonzero(mask):
            value = df[column].iat[i] if column in df.columns else ""
            p = Problem(name, int(lines[i]), column, value, expected)
            found.append((int(lines[i]), order.get(column, 99), p))

    cols = list(df.columns)
    missing = [c for c in COLUMNS if c not in cols]
    extra = [c for c in cols if c not in COLUMNS]
    header: list[Problem] = []
    for c in missing:
        header.append(Problem(name, 1, c, "", "this column in the header (it is missing)"))
    for c in extra:
        header.append(Problem(name, 1, c, c, "no such column; known: " + ", ".join(COLUMNS)))
    if len(set(cols)) != len(cols):
        header.append(Problem(name, 1, "", ",".join(cols), "each column once"))
    if header:
        return header
    if len(df) == 0:
        return [Problem(name, 0, "", "", "at least one record after the header")]

    for col in COLUMNS:
        if col not in OPTIONAL:
            flag(df[col] == "", col, "a value (this column is required)")

    def bad_pattern(col: str, pattern: str) -> pd.Series:
        s = df[col]
        return (s != "") & ~s.str.fullmatch(pattern)

    flag(bad_pattern("fine_id", _SLUG_RE), "fine_id", "a lowercase slug such as imy-2021-polis")
    flag(bad_pattern("country", _COUNTRY_RE), "country", "an ISO 3166-1 alpha-2 code such as SE")

    dec = _parse_dates(df["decision_date"])
    ann = _parse_dates(df["announced_date"])
    today = pd.Timestamp.today().normalize()
    flag((df["decision_date"] != "") & dec.isna(), "decision_date", "an ISO date (YYYY-MM-DD)")
    flag(dec > today, "decision_date", "a date that is not in the future")
    flag((df["announced_date"] != "") & ann.isna(), "announced_date", "an ISO date (YYYY-MM-DD)")
    flag(ann > today, "announced_date", "a date that is not in the future")
    flag(ann < dec, "announced_date", "a date on or after decision_date")

    prec = df["date_precision"]
    flag((prec != "") & ~prec.isin(PRECISIONS), "date_precision", "one of day, month, year")
    flag(
        (prec == "month") & (dec.dt.day != 1),
        "decision_date",
        "the first day of the month (date_precision is month)",
    )
    flag(
        (prec == "year") & ((dec.dt.day != 1) | (dec.dt.month != 1)),
        "decision_date",
        "January 1 (date_precision is year)",
    )

    amount = df["amount"]
    amount_ok = amount.str.fullmatch(_AMOUNT_RE)
    flag(
        (amount != "") & ~amount_ok,
        "amount",
        "a positive number without separators or currency sign, such as 2500000",
    )
    flag(
        amount_ok & (pd.to_numeric(amount.where(amount_ok), errors="coerce") <= 0),
        "amount",
        "a positive amount",
    )
    cur = df["currency"]
    flag((cur != "") & ~cur.isin(ISO_4217), "currency", "an ISO 4217 code such as SEK")
    status = df["status"]
    flag((status != "") & ~status.isin(STATUSES), "status", "one of " + ", ".join(STATUSES))

    ids = df["fine_id"]
    dup = ids.duplicated(keep="first") & (ids != "")
    if dup.any():
        first_line = pd.Series(lines, index=df.index).groupby(ids).transform("min")
        for i in np.flatnonzero(dup.to_numpy()):
            p = Problem(
                name,
                int(lines[i]),
                "fine_id",
                ids.iat[i],
                f"a unique fine_id (already used on line {first_line.iat[i]})",
            )
            found.append((int(lines[i]), 0, p))

    found.extend(_supersedes_problems(df, lines, name, order))
    found.sort(key=lambda t: (t[0], t[1]))
    return [p for _, _, p in found]


def _supersedes_problems(
    df: pd.DataFrame, lines: np.ndarray, name: str, order: dict[str, int]
) -> list[tuple[int, int, Problem]]:
    """Cross-row checks of ``supersedes``: target exists, status pairing, one successor, no loop."""
    out: list[tuple[int, int, Problem]] = []
    sup = df["supersedes"]
    col = order["supersedes"]
    status_of = pd.Series(df["status"].to_numpy(), index=df["fine_id"].to_numpy())
    status_of = status_of[~status_of.index.duplicated()]
    has = sup != ""

    def add(i: int, expected: str) -> None:
        out.append(
            (int(lines[i]), col, Problem(name, int(lines[i]), "supersedes", sup.iat[i], expected))
        )

    target_status = sup.map(status_of)
    for i in np.flatnonzero((has & target_status.isna()).to_numpy()):
        add(i, "the fine_id of another record in the file")
    for i in np.flatnonzero((has & (sup == df["fine_id"])).to_numpy()):
        add(i, "another record's fine_id, not the record's own")
    for i in np.flatnonzero((has & target_status.notna()).to_numpy()):
        own, target = df["status"].iat[i], target_status.iat[i]
        allowed = SUPERSEDABLE.get(own)
        if allowed is not None and target not in allowed:
            what = ", ".join(sorted(allowed)) if allowed else "nothing (leave it empty)"
            add(i, f"a {own} record to supersede {what}, not a {target} record")
    needs = df["status"].isin(["reduced", "annulled"]) & ~has
    for i in np.flatnonzero(needs.to_numpy()):
        add(i, f"the fine_id of the decision this {df['status'].iat[i]} court outcome replaces")
    twice = has & sup.duplicated(keep="first")
    for i in np.flatnonzero(twice.to_numpy()):
        add(i, "a record superseded only once (chain later outcomes onto the latest record)")
    # Cycles: follow supersedes links; after len(df) steps only cycles are still moving.
    nxt = pd.Series(sup.where(has).to_numpy(), index=df["fine_id"].to_numpy())
    nxt = nxt[~nxt.index.duplicated()].dropna()
    cur = nxt.copy()
    for _ in range(min(len(nxt), 64)):
        cur = cur.map(nxt).dropna()
        if cur.empty:
            break
    if not cur.empty:
        for i in np.flatnonzero(df["fine_id"].isin(cur.index).to_numpy()):
            add(i, "a chain of supersedes links that ends (this one loops back)")
    return out


def _parse_dates(s: pd.Series) -> pd.Series:
    ok = s.str.fullmatch(_DATE_RE)
    return pd.to_datetime(s.where(ok), format="%Y-%m-%d", errors="coerce")


def _typed(cells: pd.DataFrame) -> pd.DataFrame:
    df = pd.DataFrame(index=pd.RangeIndex(len(cells)))
    for col in COLUMNS:
        s = cells[col].reset_index(drop=True)
        if col in ("decision_date", "announced_date"):
            df[col] = _parse_dates(s).astype("datetime64[ns]")
        elif col == "amount":
            df[col] = s.astype("float64")
        elif col in _CATEGORICAL:
            df[col] = s.astype("category")
        else:
            df[col] = s.astype("string")
            if col in OPTIONAL:
                df[col] = df[col].mask(df[col] == "")
    df["year"] = df["decision_date"].dt.year.astype("int64")
    return df


def strict_problems(
    df: pd.DataFrame, lines: np.ndarray | None = None, name: str = "fines.csv"
) -> tuple[list[Problem], list[Problem]]:
    """Curation checks for ``validate --strict``: (errors, warnings).

    Errors: a ``source_url`` that is not http(s); a regulator with two names or countries; two
    records with the same regulator, defendant, decision date and amount; a ``provisional``
    record decided more than two years ago that no record supersedes and whose notes are empty.
    Warnings: amounts above the equivalent of EUR 1bn at the decision date's ECB rate (an extra
    zero gets noticed; Meta's EUR 1.2bn is real).
    """
    if lines is None:
        lines = np.arange(2, len(df) + 2)
    errors: list[Problem] = []
    warns: list[Problem] = []

    def at(i: int, col: str, value: object, expected: str, into: list[Problem]) -> None:
        kind = Notice if into is warns else Problem
        into.append(kind(name, int(lines[i]), col, str(value), expected))

    url = df["source_url"].astype(str)
    for i in np.flatnonzero(~url.str.fullmatch(_URL_RE).to_numpy()):
        at(i, "source_url", url.iat[i], "an http(s) URL of the page the figures come from", errors)

    key = ["regulator", "defendant", "decision_date", "amount"]
    dup = df.duplicated(subset=key, keep="first").to_numpy()
    for i in np.flatnonzero(dup):
        at(
            i,
            "fine_id",
            df["fine_id"].iat[i],
            "no other record with the same " + ", ".join(key),
            errors,
        )

    for col in ("regulator_name", "country"):
        first = df.groupby("regulator", observed=True)[col].transform("first")
        for i in np.flatnonzero((df[col] != first).to_numpy()):
            at(
                i,
                col,
                df[col].iat[i],
                f"'{first.iat[i]}' as on the regulator's other records",
                errors,
            )

    cutoff = pd.Timestamp.today().normalize() - pd.DateOffset(years=2)
    superseded = df["fine_id"].isin(df["supersedes"].dropna())
    stale = (
        (df["status"] == "provisional")
        & (df["decision_date"] < cutoff)
        & ~superseded
        & (df["notes"].fillna("").str.strip() == "")
    )
    for i in np.flatnonzero(stale.to_numpy()):
        at(
            i,
            "status",
            "provisional",
            "a final record superseding this notice older than two years, or a note saying why not",
            errors,
        )

    from finestats.rates import convert

    try:
        eur = convert(df, "EUR")["amount_eur"].to_numpy()
    except RatesError as exc:
        warns.append(
            Notice(name, 0, "", "", f"size check skipped, amounts not convertible ({exc})")
        )
    else:
        for i in np.flatnonzero(eur > 1e9):
            at(
                i,
                "amount",
                f"{df['amount'].iat[i]:.0f} {df['currency'].iat[i]}",
                f"EUR {eur[i] / 1e9:.2f}bn, above EUR 1bn: check it is real, not an extra zero",
                warns,
            )
    errors.sort(key=lambda p: p.line)
    return errors, warns


def validate_file(
    path: str | os.PathLike[str] | None = None, *, strict: bool = False
) -> tuple[pd.DataFrame, list[Problem]]:
    """Load ``path`` like :func:`load_fines`; return the records and the strict warnings."""
    p = Path(path) if path is not None else default_data_path()
    raw = _read(p)
    problems = _validate(raw)
    if problems:
        raise FineDataError(problems)
    df = _typed(raw.cells)
    warns: list[Problem] = []
    if strict:
        errors, warns = strict_problems(df, raw.lines, str(p))
        if errors:
            raise FineDataError(errors)
    df.attrs["source_path"] = str(p)
    return df, warns
