"""Strict parsing of settings given as text (CLI options, notebook parameters, ``-p NAME=VALUE``).

One rule everywhere: a value means one thing or is refused with a UsageError naming the setting,
the value and what was expected. ``"False"`` is not true; ``"01/02/2021"`` is not a date; ``1e10``
is not a year.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from finestats.errors import UsageError, shorten

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: ``at="year-average"``: each fine at the mean of its year's daily fixings.
YEAR_AVERAGE = "year-average"
#: The years a setting may name: wide enough for any fine, narrow enough to catch typos.
FIRST_YEAR, LAST_YEAR = 1900, 2199


def _bad(name: str, value: Any, expected: str) -> UsageError:
    return UsageError(f"{name}={shorten(repr(value))}: expected {expected}")


def parse_bool(name: str, value: Any) -> bool:
    """``True``/``False``, or the text ``true``/``false``; anything else is refused."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    raise _bad(name, value, "true or false")


def parse_year(name: str, value: Any) -> int:
    """A whole year between 1900 and 2199, as an int or four digits of text."""
    if isinstance(value, bool | np.bool_):
        raise _bad(name, value, "a year such as 2021")
    if isinstance(value, int | np.integer):
        year = int(value)
    elif isinstance(value, str) and re.fullmatch(r"\d{4}", value.strip()):
        year = int(value)
    else:
        raise _bad(name, value, "a year such as 2021")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise _bad(name, value, f"a year between {FIRST_YEAR} and {LAST_YEAR}")
    return year


def parse_years(value: Any, name: str = "years") -> tuple[int, int] | None:
    """``"2020-2024"``, ``"2021"``, ``2021``, ``(2020, 2024)`` or None -> inclusive (start, end)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        parts = value.split("-")
        if len(parts) not in (1, 2):
            raise _bad(name, value, "YYYY or YYYY-YYYY, e.g. 2020-2024")
        start, end = (parse_year(name, p.strip()) for p in (parts[0], parts[-1]))
    elif isinstance(value, Sequence) and len(value) == 2:
        start, end = parse_year(name, value[0]), parse_year(name, value[1])
    else:
        start = end = parse_year(name, value)
    if start > end:
        raise UsageError(f"{name}: start year {start} is after end year {end}")
    return (start, end)


def parse_date(name: str, value: Any) -> dt.date:
    """A calendar date: a ``datetime.date``/``Timestamp`` (no time of day) or ``YYYY-MM-DD``."""
    if value is pd.NaT or (isinstance(value, float) and value != value):
        raise _bad(name, value, "a date YYYY-MM-DD")
    if isinstance(value, dt.datetime):  # pandas Timestamps included
        if value.time() != dt.time(0) or value.tzinfo is not None:
            raise _bad(name, value, "a date without a time of day or time zone")
        value = value.date()
    if isinstance(value, dt.date):
        day = value
    elif isinstance(value, str) and DATE_RE.match(value.strip()):
        try:
            day = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise _bad(name, value, "a real calendar date (YYYY-MM-DD)") from None
    else:
        raise _bad(name, value, "a date YYYY-MM-DD")
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise _bad(name, value, f"a date between {FIRST_YEAR} and {LAST_YEAR}")
    return day


def parse_currency(name: str, value: Any) -> str:
    """An ISO 4217 code (three ASCII letters, any case): ``"usd"`` -> ``"USD"``."""
    if isinstance(value, str):
        code = value.strip()
        if len(code) == 3 and code.isascii() and code.isalpha():
            return code.upper()
    raise UsageError(f"{name}={value!r}: expected an ISO 4217 currency code such as EUR")


def parse_at(value: Any) -> dt.date | str | None:
    """None, ``"year-average"`` (any case) or a date (``YYYY-MM-DD``)."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lower() == YEAR_AVERAGE:
        return YEAR_AVERAGE
    try:
        return parse_date("at", value)
    except UsageError:
        raise UsageError(f"at={value!r}: expected a date YYYY-MM-DD or 'year-average'") from None


def parse_choice(name: str, value: Any, choices: Iterable[str]) -> str:
    """One of ``choices`` (exact spelling)."""
    options = list(choices)
    if isinstance(value, str) and value in options:
        return value
    raise _bad(name, value, "one of " + ", ".join(options))


def parse_names(name: str, value: Any) -> tuple[str, ...]:
    """A list of names: None, one text (comma separated), or a list of texts."""
    if value is None:
        return ()
    if isinstance(value, str):
        items: list[Any] = value.split(",")
    elif isinstance(value, Iterable):
        items = list(value)
    else:
        raise _bad(name, value, "a list of names, e.g. ['ICO', 'CNIL']")
    out = []
    for item in items:
        if not isinstance(item, str):
            raise _bad(name, item, "a name (text)")
        if item.strip():
            out.append(item.strip())
    if len(set(out)) != len(out):
        dup = next(x for x in out if out.count(x) > 1)
        raise _bad(name, value, f"each name once ({dup!r} is given twice)")
    return tuple(out)


def parse_text(name: str, value: Any) -> str | None:
    """Optional text: None stays None; text must not be blank."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _bad(name, value, "some text, or nothing")
    return value.strip()


def strict_dates(cells: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Text cells as datetime64[D] (NaT where empty or invalid) and a mask of the invalid ones
    (not ``YYYY-MM-DD``, not a calendar date, or outside 1900..2199). Vectorised."""
    s = cells.astype(str).to_numpy(dtype=object)
    shape_ok = pd.Series(s).str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False).to_numpy()
    out = np.full(len(s), np.datetime64("NaT"), dtype="datetime64[D]")
    if shape_ok.any():
        parsed = pd.to_datetime(pd.Series(s[shape_ok]), format="%Y-%m-%d", errors="coerce")
        days = parsed.to_numpy().astype("datetime64[D]")
        year = pd.Series(s[shape_ok]).str.slice(0, 4).astype(int).to_numpy()
        days[(year < FIRST_YEAR) | (year > LAST_YEAR)] = np.datetime64("NaT")
        out[shape_ok] = days
    filled = s != ""
    return out, filled & np.isnat(out)
