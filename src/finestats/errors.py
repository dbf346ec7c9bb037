"""The finestats exception and warning family, rooted in :class:`FinestatsError`.

Every error carries its facts as attributes (file, line, column, fine_ids, notebook...) and
renders a readable, bounded message from them; nothing parses the message text back. The CLI
catches ``FinestatsError`` once, prints ``str(exc)`` to stderr and exits 2; any other exception is
a bug and keeps its traceback.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Longest value shown in a message; longer ones are cut (the attribute keeps them whole).
MAX_SHOWN = 80
#: How many fine_ids a message names per reason before "and N more".
MAX_IDS = 10


#: Characters a terminal would not show as themselves: line and paragraph breaks (``\v``,
#: ``\f``, ``\x1c``..., U+2028), other C0/C1 controls and the bidirectional overrides. A tab
#: stays a tab.
_UNSHOWN = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def _escaped(match: re.Match[str]) -> str:
    ch = match.group()
    return {"\n": "\\n", "\r": "\\r"}.get(ch) or ascii(ch)[1:-1]


def shorten(value: object, limit: int = MAX_SHOWN) -> str:
    """``value`` as one line of at most ``limit`` characters (``...`` and the length when cut);
    line breaks and other characters a terminal would not show are escaped (``\\n``,
    ``\\x00``, ``\\u2028``)."""
    text = _UNSHOWN.sub(_escaped, str(value))
    if len(text) <= limit:
        return text
    return f"{text[: limit - 1]}… ({len(text)} characters)"


class FinestatsError(Exception):
    """Base class of every error finestats raises on purpose (bad input, missing rates...)."""


class UsageError(FinestatsError, ValueError):
    """A bad argument or parameter (unknown regulator, start year after end year...).

    ``cli`` is the same message worded for the command line, where it differs (naming
    ``--view effective`` rather than ``view='effective'``)."""

    def __init__(self, message: str = "", *, cli: str | None = None):
        super().__init__(message)
        self.cli = cli or message


class NothingToShow(FinestatsError):
    """A notebook's selection leaves it nothing to show (no fine, no decision of its matter):
    not a failure. A notebook shows the sentence and stops; a report lists it as skipped."""


@dataclass(frozen=True)
class Problem:
    """One validation problem, located in a file: ``FILE:LINE: column 'C' value 'V': expected E``.

    ``line`` is the 1-based physical line in the file (the header is line 1); 0 means the whole
    file. ``column`` may be empty for problems that concern a whole row or file. ``value`` is kept
    whole; the message shows at most :data:`MAX_SHOWN` characters of it.
    """

    file: str
    line: int
    column: str
    value: str
    expected: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        shown = shorten(self.value)
        column = shorten(self.column)
        what = f"column '{column}' value '{shown}'" if self.column else f"'{shown}'"
        return f"{where}: {what}: {self._verb()}{self.expected}"

    def _verb(self) -> str:
        return "expected "


class Notice(Problem):
    """A located warning: ``FILE:LINE: column 'C' value 'V': MESSAGE`` (held in ``expected``)."""

    def _verb(self) -> str:
        return ""


class FineDataError(FinestatsError, ValueError):
    """A data file failed validation; ``problems`` lists every problem found, in file order."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: list[Problem] = list(problems)
        super().__init__(self._render())

    def _render(self) -> str:
        n = len(self.problems)
        if n == 1:
            return str(self.problems[0])
        files = sorted({p.file for p in self.problems})
        where = "the data" if len(files) != 1 else Path(files[0]).name
        return "\n".join([f"{n} problems in {where}:", *(str(p) for p in self.problems)])


class FineDataWarning(UserWarning):
    """Something in the records worth a look that is not an error (e.g. a very large amount)."""


class ReportWarning(UserWarning):
    """Something about the report archive worth knowing (a damaged state file, a foreign
    manifest) that does not stop a report."""


class RatesWarning(UserWarning):
    """Something about the rate snapshots worth knowing (e.g. a stored file that is ignored)."""


@dataclass(frozen=True)
class Unconverted:
    """A group of rows that could not be converted for one reason: ``fine_ids`` (all of them)."""

    reason: str
    fine_ids: tuple[str, ...]


class RatesError(FinestatsError, LookupError):
    """A conversion could not be done exactly, or a rate source failed.

    ``unconverted`` holds every failing row by fine_id, grouped by reason (empty when the error is
    about the rate source itself, e.g. an unreadable file); ``n_rows`` is the number of rows asked
    for. The message names at most :data:`MAX_IDS` fine_ids per reason; the attribute has them all.
    """

    def __init__(self, message: str = "", unconverted: Sequence[Unconverted] = (), n_rows: int = 0):
        self.unconverted: tuple[Unconverted, ...] = tuple(unconverted)
        self.n_rows = n_rows
        self.detail = message
        super().__init__(self._render())

    @property
    def fine_ids(self) -> list[str]:
        """Every fine_id that could not be converted, in the order reported."""
        return [i for u in self.unconverted for i in u.fine_ids]

    def _render(self) -> str:
        if not self.unconverted:
            return self.detail
        total = len(self.fine_ids)
        n = self.n_rows or total
        head = self.detail or f"cannot convert {total} of {n} fine{'s' if n != 1 else ''}:"
        lines = []
        for u in self.unconverted:
            shown = ", ".join(u.fine_ids[:MAX_IDS])
            more = len(u.fine_ids) - MAX_IDS
            lines.append(f"{u.reason}: fine_id {shown}{f' and {more} more' if more > 0 else ''}")
        if len(lines) == 1:  # one reason: one line
            return f"{head} {lines[0]}"
        return "\n".join([head, *lines])


class ReportError(FinestatsError):
    """A notebook failed while building the report.

    ``notebook`` is its file name, ``cell_index`` the 0-based index of the failing cell in the
    executed copy (None if the failure was not in a cell), ``ename``/``evalue`` the exception
    raised there and ``kept`` the path of the executed copy kept for debugging.
    """

    def __init__(
        self,
        notebook: str,
        *,
        cell_index: int | None = None,
        exec_count: int | None = None,
        ename: str = "",
        evalue: str = "",
        kept: Path | None = None,
    ):
        self.notebook = notebook
        self.cell_index = cell_index
        self.exec_count = exec_count
        self.ename = ename
        self.evalue = evalue
        self.kept = kept
        super().__init__(str(self))

    def __str__(self) -> str:
        where = "failed"
        if self.cell_index is not None:
            where += f" in cell {self.cell_index}"
            if self.exec_count is not None:
                where += f" (In [{self.exec_count}])"
        what = f"{self.ename}: {self.evalue}" if self.ename else self.evalue
        what = " ".join(what.split())  # one line
        kept = f"; executed copy kept at {self.kept}" if self.kept else ""
        return f"notebook {self.notebook} {where}: {what}{kept}"
