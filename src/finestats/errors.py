"""The finestats exception family, rooted in :class:`FinestatsError`.

The CLI catches ``FinestatsError`` once, prints ``str(exc)`` to stderr and exits 2; any other
exception is a bug and keeps its traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


class FinestatsError(Exception):
    """Base class of every error finestats raises on purpose (bad input, missing rates...)."""


@dataclass(frozen=True)
class Problem:
    """One validation problem, located in a file: ``FILE:LINE: column 'C' value 'V': expected E``.

    ``line`` is the 1-based physical line in the file (the header is line 1); 0 means the whole
    file. ``column`` may be empty for problems that concern a whole row or file.
    """

    file: str
    line: int
    column: str
    value: str
    expected: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        what = f"column '{self.column}' value '{self.value}'" if self.column else f"'{self.value}'"
        return f"{where}: {what}: expected {self.expected}"


class Notice(Problem):
    """A located warning: ``FILE:LINE: column 'C' value 'V': MESSAGE`` (held in ``expected``)."""

    def __str__(self) -> str:
        return super().__str__().replace(": expected ", ": ", 1)


class FineDataError(FinestatsError, ValueError):
    """The fine records failed validation; ``problems`` lists every problem found, in file order."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(self._render())

    def _render(self) -> str:
        n = len(self.problems)
        if n == 1:
            return str(self.problems[0])
        head = f"{n} problem{'s' if n != 1 else ''} in the fine records:"
        return "\n".join([head, *(str(p) for p in self.problems)])


class RatesError(FinestatsError, LookupError):
    """A conversion could not be done exactly: missing rate, stale snapshot, unknown currency,
    unreadable rate file, or a live source that failed. The message names the fine_ids concerned."""


class UsageError(FinestatsError, ValueError):
    """A bad argument or parameter (unknown regulator, start year after end year...)."""
