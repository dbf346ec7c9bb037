"""The ``finestats`` command line: validate, coverage, rates, summary, fines, notices, convert,
crosscheck, make-data, report.

The selection and conversion options of ``summary``, ``fines``, ``notices`` and ``crosscheck``
are generated from the declarations of :class:`finestats.query.Query`, so that every setting has
one flag everywhere. Bad input, arguments or files exit 2 with one readable message on stderr
and no traceback; any other exception is a bug and keeps its traceback. Heavy packages
(matplotlib, papermill) are imported only by ``report``; the network only by ``rates update``.
Tables fit the terminal; ``--format csv|json|xlsx`` give everything.
"""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import numpy as np
import pandas as pd

from finestats import paths
from finestats.analyses import all_converted, fines_behind, notices_and_finals
from finestats.collection import load
from finestats.conversion import convert
from finestats.coverage import coverage_table, scope_text
from finestats.curation import validate_file
from finestats.datadoc import refreshed_readme
from finestats.ecb import ECB_HIST_URL
from finestats.errors import FinestatsError, UsageError
from finestats.export import export_csv, to_csv_text
from finestats.fileio import atomic_write_text
from finestats.formatting import is_money
from finestats.notebook import OWN, notebook_params
from finestats.query import Query, ResultMeta, attach, meta_of, settings
from finestats.rates import describe_rates, load_rates, rates_keyword
from finestats.reconcile import crosscheck
from finestats.snapshots import describe_store, newest_snapshot, remove, update
from finestats.terminal import figures_text, plain_table, wrap
from finestats.totals import GROUP_KEYS, NO_VALUE, totals
from finestats.workbook import export_xlsx

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
FORMATS = ("table", "csv", "json", "xlsx")
#: Where the value starts on a line of `rates info` ("snapshot date: ..."): continuations align.
FIELD = 15


def _fail(message: str) -> None:
    click.echo(_to_stderr(f"finestats: error: {message}"), err=True)


def _to_stderr(text: str) -> str:
    """An error or warning as it goes to stderr: one line per problem, as editors and logs
    read ``FILE:LINE: ...``; on a terminal, each wrapped to its width (continuations indented)."""
    return wrap(text, indent=4) if sys.stderr.isatty() else text


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the CLI, mapping every expected error to exit code 2."""
    _warnings_to_stderr()
    try:
        code = cli.main(args=argv, prog_name="finestats", standalone_mode=False)
    except UsageError as exc:
        _fail(exc.cli)
        sys.exit(2)
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
    help="Fine records CSV (default: $FINESTATS_DATA or data/raw/fines.csv); events.csv, "
    "coverage.csv and price_indices.csv beside it are used too.",
)
rates_option = click.option(
    "--rates",
    "rates_path",
    default=None,
    metavar="PATH|bundled|forex",
    help="ECB eurofxref-hist .csv or .zip (default: the newest snapshot available offline); "
    "'bundled' for the one shipped with the package; 'forex' for live rates.",
)


def _out_path(ctx: click.Context, param: click.Parameter, value: str | None) -> Path | None:
    """``--out``: a path that is not empty (click would read '' as the current folder)."""
    if value is None:
        return None
    if value.strip() == "":
        raise UsageError(f"--{param.name}: an empty path; give a file or folder name")
    return Path(value)


def output_options(func: Any) -> Any:
    """--format, --out, --keep-formulas, --excel, --top, --sort."""
    for decorator in reversed(
        [
            click.option(
                "--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True
            ),
            click.option(
                "--out",
                default=None,
                callback=_out_path,
                help="Write to FILE atomically (csv also writes FILE's .meta.json sidecar; "
                "xlsx holds it in an 'about' sheet).",
            ),
            click.option(
                "--keep-formulas",
                is_flag=True,
                help="CSV: do not neutralise text cells that start like a formula.",
            ),
            click.option(
                "--excel",
                is_flag=True,
                help="CSV for spreadsheets: a byte-order mark and every text cell quoted "
                "(--format xlsx is better still).",
            ),
            click.option(
                "--top",
                type=click.IntRange(min=1),
                default=None,
                help="Only N rows: the N largest (by the first total or amount column) unless "
                "--sort says otherwise.",
            ),
            click.option(
                "--sort",
                default=None,
                metavar="COLUMN[:asc]",
                help="Sort the rows by a column, largest first (':asc' for smallest first).",
            ),
        ]
    ):
        func = decorator(func)
    return func


def _click_option(name: str, s: Any) -> Any:
    kw: dict[str, Any] = {"help": s.help}
    if s.kind == "flag":
        kw.update(is_flag=True, default=False)
    elif s.kind in ("choice", "optional_choice"):
        default = Query.__dataclass_fields__[name].default
        kw.update(type=click.Choice(s.choices), default=default, show_default=default is not None)
    elif s.kind == "names":
        kw.update(multiple=True, metavar=s.metavar or "NAME")
    elif s.kind == "currency":
        kw.update(default="EUR", show_default=True, metavar=s.metavar)
    else:
        kw.update(default=None, metavar=s.metavar or None)
    return click.option(*s.cli, name, **kw)


def query_options(func: Any) -> Any:
    """One option per :class:`Query` setting, generated from its declaration, in order."""
    for name, s in reversed(settings().items()):
        func = _click_option(name, s)(func)
    return func


def _query(kw: dict[str, Any]) -> Query:
    """A :class:`Query` from the generated options (each value parsed strictly by Query)."""
    given: dict[str, Any] = {}
    for name, s in settings().items():
        value = kw.pop(name)
        if s.kind == "flag":
            value = not value if s.invert else value
        elif s.kind == "names":
            value = _split(value)
        elif s.kind == "year" and value is not None:
            value = _year_text(value)
        if value is not None:
            given[name] = value
    return Query(**given)


def _year_text(value: str) -> Any:
    return int(value) if value.strip().isdigit() and len(value.strip()) == 4 else value


def _split(values: tuple[str, ...]) -> list[str]:
    out = []
    for raw in values:
        parts = [v.strip() for v in raw.split(",")]
        if any(not p for p in parts):
            raise UsageError(f"an empty name in {raw!r}: give a name, or leave the option out")
        out += parts
    return out


def _rates_arg(value: str | None) -> Any:
    return value if value is None or rates_keyword(value) else paths.absolute(value)


# -- validate, coverage ----------------------------------------------------------------------


@cli.command(context_settings=CONTEXT)
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--strict",
    is_flag=True,
    help="Also run the curation checks (sources, block list, duplicates, stale notices, "
    "extended columns, the scope and price files, amounts above EUR 1bn).",
)
def validate(path: Path | None, strict: bool) -> None:
    """Validate a fine records file and the events, coverage and price files beside it."""
    validate_file(path, strict=strict)  # warnings are issued (main prints them)
    data = load(path)
    df = data.fines
    first, last = df["decision_date"].min(), df["decision_date"].max()
    extra = [f"{len(data.events)} court events valid"]
    if data.coverage is not None:
        extra.append(f"coverage of {data.coverage['regulator'].nunique()} regulators valid")
    if data.prices is not None:
        extra.append(f"price indices of {data.prices['area'].nunique()} areas valid")
    click.echo(
        wrap(
            f"{paths.fines_path(path)}: {len(df)} records valid{' (strict)' if strict else ''}; "
            f"{df['regulator'].nunique()} regulators, {df['currency'].nunique()} currencies "
            f"({', '.join(sorted(df['currency'].astype(str).unique()))}), "
            f"decisions {first:%Y-%m-%d} to {last:%Y-%m-%d}" + "".join(f"; {x}" for x in extra),
            indent=4,
        )
    )


@cli.command("coverage", context_settings=CONTEXT)
@data_option
@rates_option
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True
)
def coverage_cmd(data_path: Path | None, rates_path: str | None, fmt: str) -> None:
    """The declared scope: per regulator, the period, threshold and laws claimed complete, when and
    how that was checked, and the records inside it."""
    data = load(data_path, lazy=True)
    if data.coverage is None:
        raise UsageError(
            f"no coverage.csv beside {paths.fines_path(data_path)}: the records are a sample"
        )
    eur = convert(data.fines, "EUR", rates=load_rates(_rates_arg(rates_path)))["amount_eur"]
    table = coverage_table(data.fines, data.coverage, eur.to_numpy())
    if fmt == "csv":
        click.echo(to_csv_text(table), nl=False)
        return
    click.echo(wrap(scope_text(data.coverage)))
    click.echo("")
    click.echo(plain_table(table.drop(columns=["method"])), nl=False)


# -- rates -----------------------------------------------------------------------------------


@cli.group(context_settings=CONTEXT, invoke_without_command=True)
@click.pass_context
def rates(ctx: click.Context) -> None:
    """ECB reference rates (units of currency per 1 EUR): snapshots and updates."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


@rates.command("info", context_settings=CONTEXT)
@rates_option
def rates_info(rates_path: str | None) -> None:
    """The rate table in use (source, snapshot date, currencies) and the snapshots available."""
    click.echo(wrap(describe_rates(load_rates(_rates_arg(rates_path))), indent=FIELD))


@rates.command("list", context_settings=CONTEXT)
def rates_list() -> None:
    """Every snapshot available offline (the default marked) and stored files that are ignored."""
    click.echo(wrap("\n".join(describe_store()), indent=FIELD))


@rates.command("remove", context_settings=CONTEXT)
@click.argument("snapshot")
def rates_remove(snapshot: str) -> None:
    """Delete a stored snapshot: its date, file name or SHA-256 prefix (see `rates list`)."""
    for path in remove(snapshot):
        click.echo(f"removed {path}")
    now = newest_snapshot()
    click.echo(f"in use now: {now.snapshot_date} ({now.source})")


@rates.command("update", context_settings=CONTEXT)
@click.option(
    "--url", default=ECB_HIST_URL, show_default=True, help="Where to download the ECB history."
)
@click.option(
    "--timeout",
    default=30.0,
    show_default=True,
    type=float,
    help="Seconds for the whole download (at most 3600).",
)
def rates_update(url: str, timeout: float) -> None:
    """Download the ECB's full rate history, verify it and keep it as the newest snapshot.

    Updates of one store are serialised by a lock; a cron line such as
    `finestats rates update; finestats report --quiet` never races another update.
    """
    before = newest_snapshot()
    snap = update(url, timeout=timeout)
    if snap == before:
        click.echo(f"rates already up to date: snapshot {snap.snapshot_date} ({snap.source})")
        return
    click.echo(
        f"rates updated: snapshot {snap.snapshot_date} (sha256 {snap.sha256[:12]}) in {snap.path}"
    )


# -- summary, fines, notices, convert ----------------------------------------------------------


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
@output_options
def summary(by: str, rates_path: str | None, data_path: Path | None, **kw: Any) -> None:
    """Totals by regulator and year (or other keys) in one currency."""
    out = _output(kw)
    query = _query(kw)
    table = totals(
        load(data_path, lazy=True), _split((by,)), query=query, rates=_rates_arg(rates_path)
    )
    _emit(table, out)


@cli.command("fines", context_settings=CONTEXT)
@query_options
@rates_option
@data_option
@output_options
def fines_cmd(rates_path: str | None, data_path: Path | None, **kw: Any) -> None:
    """The counted fines behind a summary (same options), largest first: amount as decided and
    converted, rate, fixing date, status, court events and source."""
    out = _output(kw)
    table = fines_behind(load(data_path, lazy=True), _query(kw), _rates_arg(rates_path))
    if out["fmt"] == "table":  # sorted by any column, then shown without the longest ones
        table = _sorted(table, out["sort"], out["top"])
        out.update(sort=None, top=None)
        table = attach(table.drop(columns=["source_url", "court_events", "group"]), meta_of(table))
    _emit(table, out)


@cli.command("notices", context_settings=CONTEXT)
@query_options
@rates_option
@data_option
@output_options
def notices_cmd(rates_path: str | None, data_path: Path | None, **kw: Any) -> None:
    """Each notice of intent beside the final fine that replaced it (if any), both converted."""
    out = _output(kw)
    _emit(notices_and_finals(load(data_path, lazy=True), _query(kw), _rates_arg(rates_path)), out)


@cli.command("crosscheck", context_settings=CONTEXT)
@query_options
@rates_option
@data_option
@output_options
@click.option("--publisher", default=None, help="Only this publisher's figures (ignoring case).")
@click.option("--edition", default=None, help="Only editions whose name contains this text.")
def crosscheck_cmd(
    rates_path: str | None,
    data_path: Path | None,
    publisher: str | None,
    edition: str | None,
    **kw: Any,
) -> None:
    """Published figures (published_figures.csv) beside finestats' own at the same cut-off and
    scope, the gap and what explains it."""
    out = _output(kw)
    query = _query(kw)
    table = crosscheck(
        load(data_path, lazy=True),
        query,
        _rates_arg(rates_path),
        publisher=publisher,
        edition=edition,
    )
    _emit(table, out, render=figures_text)


@cli.command("convert", context_settings=CONTEXT)
@click.option("--to", "to", default="EUR", show_default=True, help="Target currency.")
@click.option(
    "--on",
    type=click.Choice(settings()["on"].choices),
    default="decision_date",
    show_default=True,
)
@click.option("--at", default=None, metavar="YYYY-MM-DD|year-average")
@rates_option
@data_option
@click.option(
    "--out",
    required=True,
    callback=_out_path,
    help="File to write: CSV with its .meta.json sidecar, or .xlsx.",
)
@click.option(
    "--keep-formulas", is_flag=True, help="Do not neutralise text cells that start like a formula."
)
@click.option("--excel", is_flag=True, help="CSV for spreadsheets (BOM, text quoted).")
def convert_cmd(
    to: str,
    on: str,
    at: str | None,
    rates_path: str | None,
    data_path: Path | None,
    out: Path,
    keep_formulas: bool,
    excel: bool,
) -> None:
    """Every record with its converted amount, rate, fixing date and rate source."""
    table = all_converted(
        load(data_path, lazy=True), Query(currency=to, on=on, at=at), _rates_arg(rates_path)
    )
    if out.suffix.lower() == ".xlsx":
        export_xlsx(table, out)
    else:
        export_csv(table, out, neutralise_formulas=not keep_formulas, excel=excel)
    click.echo(f"wrote {out} ({len(table)} records in {to.upper()})", err=True)


def _output(kw: dict[str, Any]) -> dict[str, Any]:
    """Take the output options out of ``kw`` (the rest are query settings)."""
    out = {k: kw.pop(k) for k in ("fmt", "out", "keep_formulas", "excel", "top", "sort")}
    if out["fmt"] == "xlsx" and out["out"] is None:
        raise UsageError("--format xlsx needs --out FILE.xlsx (a workbook is not terminal text)")
    return out


def _sorted(table: pd.DataFrame, sort: str | None, top: int | None) -> pd.DataFrame:
    meta = meta_of(table)
    if sort:
        col, _, order = sort.partition(":")
        if col not in table.columns:
            raise UsageError(
                f"--sort {col}: no such column; columns are {', '.join(table.columns)}"
            )
        if order not in ("", "asc", "desc"):
            raise UsageError(f"--sort {sort}: expected COLUMN, COLUMN:asc or COLUMN:desc")
        table = table.sort_values(col, ascending=order == "asc", kind="stable")
    if top is not None:
        if not sort:  # the largest N: the first money column, largest first
            money = next((c for c in table.columns if is_money(c) and c != "amount"), None)
            if money is not None:
                table = table.sort_values(money, ascending=False, kind="stable")
        table = table.head(top)
    table = table.reset_index(drop=True) if not any(table.index.names) else table
    return attach(table, meta) if meta is not None else table


def _emit(
    table: pd.DataFrame, out: dict[str, Any], render: Callable[[pd.DataFrame], str] | None = None
) -> None:
    table = _sorted(table, out["sort"], out["top"])
    fmt, path = out["fmt"], out["out"]
    neutralise = not out["keep_formulas"]
    if fmt == "xlsx":
        export_xlsx(table, path)
        click.echo(f"wrote {path} ({len(table)} rows; an 'about' sheet says what it is)", err=True)
        return
    if fmt == "csv":
        if path is not None:
            export_csv(table, path, neutralise_formulas=neutralise, excel=out["excel"])
            click.echo(f"wrote {path} ({len(table)} rows) and its .meta.json", err=True)
            return
        click.echo(to_csv_text(table, neutralise_formulas=neutralise, excel=out["excel"]), nl=False)
        return
    text = json_text(table) if fmt == "json" else (render or plain_table)(table)
    if path is not None:
        atomic_write_text(path, text)
        click.echo(f"wrote {path} ({len(table)} rows)", err=True)
    else:
        click.echo(text, nl=False)


def json_text(table: pd.DataFrame) -> str:
    """A table as JSON: its description and its rows, money to the cent, missing as null."""
    meta: ResultMeta | None = meta_of(table)
    rows = table.reset_index() if any(table.index.names) else table
    records = []
    for rec in rows.to_dict(orient="records"):
        item = {}
        for key, value in rec.items():
            if isinstance(value, pd.Timestamp):
                value = f"{value:%Y-%m-%d}"
            elif isinstance(value, float | np.floating):
                value = None if np.isnan(value) else float(value)
                if value is not None and is_money(str(key)):
                    value = round(value, 2)
            elif value is NO_VALUE or (isinstance(value, str) and value == NO_VALUE):
                value = None
            elif value is pd.NA or value is pd.NaT:
                value = None
            elif isinstance(value, np.integer):
                value = int(value)
            item[str(key)] = value
        records.append(item)
    doc = {"meta": meta.as_dict() if meta else {}, "rows": records}
    return json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n"


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
    help="Also refresh the generated blocks (counts, scope, schemas) of this README.",
)
@data_option
@rates_option
def make_data(
    out: Path | None, readme: Path | None, data_path: Path | None, rates_path: str | None
) -> None:
    """Regenerate data/processed/: normalized records (EUR) and totals in EUR, USD, GBP, SEK."""
    data = load(data_path, lazy=True)
    table_rates = load_rates(_rates_arg(rates_path))
    eur = all_converted(data, Query(currency="EUR"), table_rates)
    readme_text = (
        refreshed_readme(readme, data.fines, data.coverage, eur["amount_eur"].to_numpy())
        if readme is not None
        else None
    )  # checked before writing
    folder = out or paths.processed_dir()
    written = [export_csv(eur, folder / "fines_normalized.csv")]
    for cur in ("EUR", "USD", "GBP", "SEK"):
        table = totals(data, ("regulator", "year"), cur, rates=table_rates)
        written.append(export_csv(table, folder / f"totals_by_regulator_year_{cur.lower()}.csv"))
    if readme is not None and readme_text is not None:
        written.append(atomic_write_text(readme, readme_text))
    for p in written:
        click.echo(f"wrote {p}")


# -- report ----------------------------------------------------------------------------------


def _report_help() -> str:
    lines = [
        "Render every notebook with papermill into a new folder of OUT (not the interactive "
        "ones numbered 00, such as the explorer).",
        "",
        "Notebook parameters (-p NAME=VALUE; every notebook takes every selection setting; "
        "names ignore case):",
        "",
    ]
    for p in notebook_params(list(OWN)):
        if p.name in ("currency", "output_dir"):
            continue
        own = " (notebook's own)" if p.name in OWN else ""
        lines.append(f"\b\n  {p.name}: {p.annotation} = {p.default}{own}\n      {p.help}")
    return "\n".join(lines)


@cli.command(context_settings=CONTEXT, help=_report_help())
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
    # This process only builds the report and exits: jsonschema (imported by papermill and
    # nbconvert through nbformat) then skips the optional grammar of rfc3987_syntax, which it
    # compiles at import (1.3 s) for URI formats nbformat never checks. A library user's own
    # process is left alone.
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]
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
    from finestats.report import build_report  # the report machinery, for this command only

    folder = build_report(
        currency=currency, parameters=parsed, out=out, progress=not quiet, keep=keep
    )
    click.echo(f"report written to {folder}")


def _warnings_to_stderr() -> None:
    def show(message: Any, category: Any, *_: Any, **__: Any) -> None:
        click.echo(_to_stderr(f"finestats: warning: {message}"), err=True)

    warnings.showwarning = show
