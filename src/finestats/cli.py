"""The ``finestats`` command line: validate, coverage, rates info/update, summary, convert,
make-data, report.

Bad input, arguments or files exit 2 with one readable message on stderr and no traceback; any
other exception is a bug and keeps its traceback. Heavy packages (matplotlib, papermill) are
imported only by ``report``; the network only by ``rates update``.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any

import click
import pandas as pd

from finestats import paths
from finestats.collection import coverage_table, refreshed_readme
from finestats.conversion import convert
from finestats.coverage import coverage_for, coverage_path, load_coverage, scope_text
from finestats.curation import validate_file
from finestats.errors import FinestatsError, UsageError
from finestats.events import events_for
from finestats.export import export_csv, to_csv_text
from finestats.fileio import atomic_write_text
from finestats.formatting import plain_table
from finestats.query import DATE_COLUMNS, VIEWS, Query, attach, meta_of
from finestats.rate_updates import ECB_ZIP_URL, update
from finestats.records import load_fines
from finestats.report import build_report
from finestats.snapshots import describe_rates, load_rates
from finestats.summary import GROUP_KEYS, result_meta, totals

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _fail(message: str) -> None:
    click.echo(f"finestats: error: {message}", err=True)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the CLI, mapping every expected error to exit code 2."""
    _warnings_to_stderr()
    try:
        code = cli.main(args=argv, prog_name="finestats", standalone_mode=False)
    except FinestatsError as exc:
        _fail(str(exc))
        sys.exit(2)
    except click.exceptions.Abort:
        _fail("aborted")
        sys.exit(1)
    except click.UsageError as exc:  # one line, like every other bad argument
        cmd = exc.ctx.command_path if exc.ctx else "finestats"
        _fail(f"{exc.format_message()} (see '{cmd} --help')")
        sys.exit(2)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except BrokenPipeError:  # e.g. `finestats summary | head`
        sys.exit(0)
    sys.exit(code if isinstance(code, int) else 0)


@click.group(context_settings=CONTEXT)
@click.version_option(package_name="finestats", prog_name="finestats")
def cli() -> None:
    """finestats: regulatory fines across currencies, counted carefully.

    Records come from data/raw/fines.csv (or --data / $FINESTATS_DATA); rates from the newest ECB
    reference-rate snapshot available offline (or --rates PATH to an ECB eurofxref-hist file).
    """


# -- shared options --------------------------------------------------------------------------

data_option = click.option(
    "--data",
    "data_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Fine records CSV (default: $FINESTATS_DATA or data/raw/fines.csv); events.csv and "
    "coverage.csv beside it are used too.",
)
rates_option = click.option(
    "--rates",
    "rates_path",
    default=None,
    metavar="PATH|bundled|forex",
    help="ECB eurofxref-hist .csv or .zip (default: the newest snapshot available offline); "
    "'bundled' for the one shipped with the package; 'forex' for live rates.",
)


#: The selection and conversion options (one per :class:`Query` setting): declarations, settings.
QUERY_OPTIONS: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = (
    (("--currency", "-c"), {"default": "EUR", "show_default": True, "help": "Target currency."}),
    (
        ("--view",),
        {
            "type": click.Choice(VIEWS),
            "default": "imposed",
            "show_default": True,
            "help": "imposed: what regulators decided; effective: after appeals.",
        },
    ),
    (
        ("--as-of", "as_of"),
        {
            "metavar": "YYYY-MM-DD",
            "help": "Effective view: what stood on that date (records and court events up to it).",
        },
    ),
    (
        ("--include-provisional",),
        {"is_flag": True, "help": "Count notices of intent that no final fine replaced."},
    ),
    (("--no-penalties",), {"is_flag": True, "help": "Leave out overdue penalty payments."}),
    (
        ("--complete-only",),
        {"is_flag": True, "help": "Only fines inside the declared scope (coverage.csv)."},
    ),
    (("--years",), {"metavar": "YYYY[-YYYY]", "help": "Decision years, inclusive."}),
    (("--regulator", "regulators"), {"multiple": True, "help": "Only these (repeatable)."}),
    (("--country", "countries"), {"multiple": True, "help": "ISO country codes (repeatable)."}),
    (("--defendant",), {"help": "Case-insensitive substring of the defendant."}),
    (("--matter",), {"help": "One matter, e.g. clearview-ai."}),
    (("--sector", "sectors"), {"multiple": True, "help": "Only these sectors (repeatable)."}),
    (("--article",), {"help": "Fines citing this article, e.g. 6 or 5(1)(f)."}),
    (
        ("--on",),
        {
            "type": click.Choice(DATE_COLUMNS),
            "default": "decision_date",
            "show_default": True,
            "help": "Which date's ECB fixing converts each fine.",
        },
    ),
    (
        ("--at",),
        {
            "metavar": "YYYY-MM-DD|year-average",
            "help": "Convert every fine at one date's rates, or at its year's average rate.",
        },
    ),
    (
        ("--real",),
        {
            "metavar": "YYYY",
            "help": "Also express the totals in that year's prices (consumer price index).",
        },
    ),
)


def query_options(func: Any) -> Any:
    """Add :data:`QUERY_OPTIONS` to a command, in their listed order."""
    for decls, settings in reversed(QUERY_OPTIONS):
        func = click.option(*decls, **settings)(func)
    return func


def _query(kw: dict[str, Any]) -> Query:
    """A :class:`Query` from the CLI options (every value parsed strictly by Query)."""
    return Query(
        currency=kw["currency"],
        view=kw["view"],
        as_of=kw["as_of"],
        include_provisional=kw["include_provisional"],
        include_penalties=not kw["no_penalties"],
        complete_only=kw["complete_only"],
        years=kw["years"],
        regulators=_split(kw["regulators"]),
        countries=_split(kw["countries"]),
        defendant=kw["defendant"],
        matter=kw["matter"],
        sectors=_split(kw["sectors"]),
        article=kw["article"],
        on=kw["on"],
        at=kw["at"],
        real=None if kw["real"] is None else _year_text(kw["real"]),
    )


def _year_text(value: str) -> Any:
    return int(value) if value.strip().isdigit() and len(value.strip()) == 4 else value


def _split(values: tuple[str, ...]) -> list[str]:
    return [v.strip() for raw in values for v in raw.split(",") if v.strip()]


def _out_path(ctx: click.Context, param: click.Parameter, value: str | None) -> Path | None:
    """``--out``: a path that is not empty (click would read '' as the current folder)."""
    if value is None:
        return None
    if value.strip() == "":
        raise UsageError(f"--{param.name}: an empty path; give a file or folder name")
    return Path(value)


def _rates_arg(value: str | None) -> Any:
    if value is None or value.strip().lower() in ("forex", "bundled"):
        return value
    return paths.absolute(value)


# -- validate, coverage ----------------------------------------------------------------------


@cli.command(context_settings=CONTEXT)
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--strict",
    is_flag=True,
    help="Also run the curation checks (sources, block list, duplicates, stale notices, "
    "extended columns, amounts above EUR 1bn).",
)
def validate(path: Path | None, strict: bool) -> None:
    """Validate a fine records file and the events.csv and coverage.csv beside it."""
    df, _ = validate_file(path, strict=strict)  # warnings are issued (main prints them)
    events = events_for(df)
    cov = coverage_for(df)
    first, last = df["decision_date"].min(), df["decision_date"].max()
    name = paths.fines_path(path)
    extra = []
    if events is not None:
        extra.append(f"{len(events)} court events valid")
    if cov is not None:
        extra.append(f"coverage of {cov['regulator'].nunique()} regulators valid")
    click.echo(
        f"{name}: {len(df)} records valid{' (strict)' if strict else ''}; "
        f"{df['regulator'].nunique()} regulators, {df['currency'].nunique()} currencies "
        f"({', '.join(sorted(df['currency'].astype(str).unique()))}), "
        f"decisions {first:%Y-%m-%d} to {last:%Y-%m-%d}" + "".join(f"; {x}" for x in extra)
    )


@cli.command("coverage", context_settings=CONTEXT)
@data_option
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True
)
def coverage_cmd(data_path: Path | None, fmt: str) -> None:
    """The declared scope: per regulator, the period, threshold and laws claimed complete, when and
    how that was checked, and the records inside it."""
    df = load_fines(data_path)
    path = coverage_path(paths.fines_path(data_path))
    if not path.is_file():
        raise UsageError(
            f"no coverage.csv beside {paths.fines_path(data_path)}: the records are a sample"
        )
    cov = load_coverage(path)
    table = coverage_table(df, cov)
    if fmt == "csv":
        click.echo(to_csv_text(table), nl=False)
        return
    click.echo(scope_text(cov))
    click.echo("")
    click.echo(plain_table(table.drop(columns=["method"])), nl=False)


# -- rates -----------------------------------------------------------------------------------


@cli.group(context_settings=CONTEXT)
def rates() -> None:
    """ECB reference rates (units of currency per 1 EUR): snapshots and updates."""


@rates.command("info", context_settings=CONTEXT)
@rates_option
def rates_info(rates_path: str | None) -> None:
    """The rate table in use (source, snapshot date, currencies) and the snapshots available."""
    click.echo(describe_rates(load_rates(_rates_arg(rates_path))))


@rates.command("update", context_settings=CONTEXT)
@click.option(
    "--url", default=None, help="Where to download the ECB history zip (default: the ECB)."
)
@click.option(
    "--timeout", default=30.0, show_default=True, type=float, help="Seconds per network step."
)
def rates_update(url: str | None, timeout: float) -> None:
    """Download the ECB's full rate history, verify it and keep it as the newest snapshot."""
    snap = update(url or ECB_ZIP_URL, timeout=timeout)
    click.echo(
        f"rates updated: snapshot {snap.snapshot_date} (sha256 {snap.sha256[:12]}) in {snap.path}"
    )


# -- summary, convert ------------------------------------------------------------------------


@cli.command(context_settings=CONTEXT)
@click.option(
    "--by",
    default="regulator,year",
    show_default=True,
    help="Group keys, comma separated: " + ", ".join(GROUP_KEYS) + ".",
)
@query_options
@rates_option
@data_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option(
    "--out",
    default=None,
    callback=_out_path,
    help="Write to FILE atomically (csv also writes FILE's .meta.json sidecar).",
)
@click.option(
    "--keep-formulas",
    is_flag=True,
    help="CSV: do not neutralise text cells that start like a formula.",
)
def summary(
    by: str,
    rates_path: str | None,
    data_path: Path | None,
    fmt: str,
    out: Path | None,
    keep_formulas: bool,
    **kw: Any,
) -> None:
    """Totals by regulator and year (or other keys) in one currency."""
    query = _query(kw)
    table = totals(load_fines(data_path), _split((by,)), query=query, rates=_rates_arg(rates_path))
    _emit(table, fmt, out, not keep_formulas)


@cli.command("convert", context_settings=CONTEXT)
@click.option("--to", "to", default="EUR", show_default=True, help="Target currency.")
@click.option("--on", type=click.Choice(DATE_COLUMNS), default="decision_date", show_default=True)
@click.option("--at", default=None, metavar="YYYY-MM-DD|year-average")
@rates_option
@data_option
@click.option(
    "--out",
    required=True,
    callback=_out_path,
    help="CSV file to write (with its .meta.json sidecar).",
)
@click.option(
    "--keep-formulas", is_flag=True, help="Do not neutralise text cells that start like a formula."
)
def convert_cmd(
    to: str,
    on: str,
    at: str | None,
    rates_path: str | None,
    data_path: Path | None,
    out: Path,
    keep_formulas: bool,
) -> None:
    """Every record with its converted amount, rate, fixing date and rate source."""
    table = normalized(
        load_fines(data_path), Query(currency=to, on=on, at=at), _rates_arg(rates_path)
    )
    export_csv(table, out, neutralise_formulas=not keep_formulas)
    click.echo(f"wrote {out} ({len(table)} records in {to.upper()})", err=True)


def normalized(df: pd.DataFrame, query: Query, rates_arg: Any = None) -> pd.DataFrame:
    """All records converted to the query's currency, with the audit columns and metadata."""
    table_rates = load_rates(rates_arg)
    out = convert(df, query.currency, on=query.on, at=query.at, rates=table_rates)
    meta = result_meta(df, query, table_rates, "all records (no counting rules applied)", len(df))
    return attach(out, meta)


def _emit(table: pd.DataFrame, fmt: str, out: Path | None, neutralise: bool) -> None:
    if fmt == "csv":
        if out is not None:
            export_csv(table, out, neutralise_formulas=neutralise)
            click.echo(f"wrote {out} ({len(table)} rows) and its .meta.json", err=True)
            return
        click.echo(to_csv_text(table, neutralise_formulas=neutralise), nl=False)
        return
    if fmt == "json":
        meta = meta_of(table)
        doc = {
            "meta": meta.as_dict() if meta else {},
            "rows": json.loads(table.to_json(orient="records", date_format="iso")),
        }
        text = json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n"
    else:
        text = plain_table(table)
    if out is not None:
        atomic_write_text(out, text)
        click.echo(f"wrote {out} ({len(table)} rows)", err=True)
    else:
        click.echo(text, nl=False)


# -- make-data -------------------------------------------------------------------------------


@cli.command("make-data", context_settings=CONTEXT)
@click.option(
    "--out",
    default=None,
    callback=_out_path,
    help="Folder for the processed files (default: data/processed of the project).",
)
@click.option(
    "--readme",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also refresh the generated counts block of this README (data/README.md).",
)
@data_option
@rates_option
def make_data(
    out: Path | None, readme: Path | None, data_path: Path | None, rates_path: str | None
) -> None:
    """Regenerate data/processed/: normalized records (EUR) and totals in EUR, USD, GBP, SEK."""
    df = load_fines(data_path)
    readme_text = (
        refreshed_readme(readme, df) if readme is not None else None
    )  # checked before writing
    table_rates = load_rates(_rates_arg(rates_path))
    folder = out or paths.processed_dir()
    written = [
        export_csv(
            normalized(df, Query(currency="EUR"), table_rates), folder / "fines_normalized.csv"
        )
    ]
    for cur in ("EUR", "USD", "GBP", "SEK"):
        table = totals(df, ("regulator", "year"), cur, rates=table_rates)
        written.append(export_csv(table, folder / f"totals_by_regulator_year_{cur.lower()}.csv"))
    if readme is not None and readme_text is not None:
        written.append(atomic_write_text(readme, readme_text))
    for p in written:
        click.echo(f"wrote {p}")


# -- report ----------------------------------------------------------------------------------


@cli.command(context_settings=CONTEXT)
@click.option("--currency", "-c", default="EUR", show_default=True)
@click.option(
    "-p",
    "--parameter",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="Notebook parameter (repeatable); VALUE is read as JSON when it parses "
    '(true, false, 2021, ["ICO"]), else as text.',
)
@click.option(
    "--out",
    default="reports",
    show_default=True,
    callback=_out_path,
    help="The report archive: each run adds a folder; latest and index.html are updated.",
)
@click.option(
    "--keep", type=click.IntRange(min=1), default=None, help="Keep only the newest N reports."
)
@click.option("--quiet", is_flag=True, help="No progress lines on stderr.")
def report(
    currency: str, params: tuple[str, ...], out: Path, keep: int | None, quiet: bool
) -> None:
    """Render every notebook with papermill into a new folder of OUT."""
    parsed: dict[str, Any] = {}
    for item in params:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"bad parameter {item!r}: expected NAME=VALUE")
        if name.strip() in parsed:
            raise UsageError(f"parameter {name.strip()} is given twice")
        try:
            parsed[name.strip()] = json.loads(value)
        except json.JSONDecodeError:
            parsed[name.strip()] = value
    folder = build_report(
        currency=currency, parameters=parsed, out=out, progress=not quiet, keep=keep
    )
    click.echo(f"report written to {folder}")


def _warnings_to_stderr() -> None:
    def show(message: Any, category: Any, *_: Any, **__: Any) -> None:
        click.echo(f"finestats: warning: {message}", err=True)

    warnings.showwarning = show
