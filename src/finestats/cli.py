"""The ``finestats`` command line: validate, rates info, summary, convert, make-data, report.

Bad input or arguments exit 2 with one readable message on stderr and no traceback; any other
exception is a bug and keeps its traceback. Heavy packages (matplotlib, papermill) are imported
only by ``report``.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any

import click

from finestats.errors import FinestatsError, UsageError

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
    sys.exit(code if isinstance(code, int) else 0)


@click.group(context_settings=CONTEXT)
@click.version_option(package_name="finestats", prog_name="finestats")
def cli() -> None:
    """finestats: regulatory fines across currencies, counted carefully.

    Records come from data/raw/fines.csv (or --data / $FINESTATS_DATA); rates from the ECB
    reference-rate snapshot shipped offline (or --rates PATH to an ECB eurofxref-hist file).
    """


# -- shared options --------------------------------------------------------------------------

data_option = click.option(
    "--data",
    "data_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Fine records CSV (default: $FINESTATS_DATA or data/raw/fines.csv).",
)
rates_option = click.option(
    "--rates",
    "rates_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="ECB eurofxref-hist .csv or .zip (default: the offline snapshot); 'forex' for live.",
)
on_option = click.option(
    "--on",
    type=click.Choice(["decision_date", "announced_date"]),
    default="decision_date",
    show_default=True,
    help="Which date's ECB fixing converts each fine.",
)
at_option = click.option(
    "--at",
    default=None,
    metavar="DATE|year-average",
    help="Convert every fine at one date's rates (YYYY-MM-DD), or at its year's average rate.",
)


def _rates_arg(rates_path: Path | None) -> Any:
    if rates_path is None:
        return None
    return "forex" if str(rates_path) == "forex" else rates_path


def _load(data_path: Path | None):
    from finestats.records import load_fines

    return load_fines(data_path)


# -- validate --------------------------------------------------------------------------------


@cli.command(context_settings=CONTEXT)
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--strict",
    is_flag=True,
    help="Also run the curation checks (sources, duplicates,"
    " stale notices of intent, amounts above EUR 1bn).",
)
def validate(path: Path | None, strict: bool) -> None:
    """Validate a fine records file; print one summary line, or every problem and exit 2."""
    from finestats.records import default_data_path, validate_file

    df, warns = validate_file(path, strict=strict)
    for w in warns:
        click.echo(f"finestats: warning: {w}", err=True)
    first, last = df["decision_date"].min(), df["decision_date"].max()
    name = path or default_data_path()
    click.echo(
        f"{name}: {len(df)} records valid{' (strict)' if strict else ''}; "
        f"{df['regulator'].nunique()} regulators, {df['currency'].nunique()} currencies "
        f"({', '.join(sorted(df['currency'].astype(str).unique()))}), "
        f"decisions {first:%Y-%m-%d} to {last:%Y-%m-%d}"
    )


# -- rates -----------------------------------------------------------------------------------


@cli.group(context_settings=CONTEXT)
def rates() -> None:
    """ECB reference rates (units of currency per 1 EUR)."""


@rates.command("info", context_settings=CONTEXT)
@rates_option
def rates_info(rates_path: Path | None) -> None:
    """Source, snapshot date, first and last fixing, and each currency's date range."""
    from finestats.rates import RateTable, load_rates

    table = load_rates(_rates_arg(rates_path))
    if not isinstance(table, RateTable):
        click.echo(f"source:        {table.source}")
        click.echo("snapshot date: none (live source: rates are fetched per date, then cached)")
        return
    info = table.info()
    click.echo(f"source:        {table.source}")
    click.echo(f"snapshot date: {table.snapshot_date:%Y-%m-%d} (last fixing)")
    click.echo(
        f"fixings:       {table.frame.index.min():%Y-%m-%d} to {table.frame.index.max():%Y-%m-%d}"
        f" ({len(table.frame)} days)"
    )
    click.echo(f"currencies:    {len(info)}")
    shown = info.copy()
    for col in shown.columns:
        if pd_is_datetime(shown[col]):
            shown[col] = shown[col].dt.strftime("%Y-%m-%d")
    click.echo(shown.to_string(index=False))


def pd_is_datetime(s: Any) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_datetime64_any_dtype(s))


def pd_is_numeric(s: Any) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(s))


# -- summary ---------------------------------------------------------------------------------


def _split(values: tuple[str, ...]) -> list[str]:
    return [v.strip() for raw in values for v in raw.split(",") if v.strip()]


@cli.command(context_settings=CONTEXT)
@click.option(
    "--by",
    default="regulator,year",
    show_default=True,
    help="Group keys, comma separated: regulator, country, year, defendant, currency, status.",
)
@click.option("--currency", "-c", default="EUR", show_default=True, help="Target currency.")
@click.option(
    "--view",
    type=click.Choice(["imposed", "effective"]),
    default="imposed",
    show_default=True,
    help="imposed: what regulators decided; effective: after "
    "appeals (reduced amounts, annulled fines dropped).",
)
@click.option(
    "--include-provisional",
    is_flag=True,
    help="Count notices of intent that no final fine replaced.",
)
@click.option("--no-penalties", is_flag=True, help="Leave out overdue penalty payments.")
@click.option("--years", default=None, metavar="YYYY[-YYYY]", help="Decision years, inclusive.")
@click.option("--regulator", "regulators", multiple=True, help="Only these (repeatable).")
@click.option("--country", "countries", multiple=True, help="ISO country codes (repeatable).")
@click.option("--defendant", default=None, help="Case-insensitive substring of the defendant.")
@on_option
@at_option
@rates_option
@data_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to FILE atomically (csv also writes FILE's .meta.json sidecar).",
)
def summary(
    by: str,
    currency: str,
    view: str,
    include_provisional: bool,
    no_penalties: bool,
    years: str | None,
    regulators: tuple[str, ...],
    countries: tuple[str, ...],
    defendant: str | None,
    on: str,
    at: str | None,
    rates_path: Path | None,
    data_path: Path | None,
    fmt: str,
    out: Path | None,
) -> None:
    """Totals by regulator and year (or other keys) in one currency."""
    from finestats.summary import totals

    df = _load(data_path)
    table = totals(
        df,
        by=_split((by,)),
        currency=currency,
        view=view,  # type: ignore[arg-type]
        include_provisional=include_provisional,
        include_penalties=not no_penalties,
        years=years,
        regulators=_split(regulators),
        countries=_split(countries),
        defendant=defendant,
        on=on,
        at=at,
        rates=_rates_arg(rates_path),
    )
    _emit(table, fmt, out, data_path)


def _emit(table: Any, fmt: str, out: Path | None, data_path: Path | None) -> None:
    from finestats.export import atomic_write_text, export_csv, to_csv_text

    if fmt == "csv":
        if out is not None:
            export_csv(table, out, data_path=data_path)
            click.echo(f"wrote {out} ({len(table)} rows) and its .meta.json", err=True)
            return
        click.echo(to_csv_text(table), nl=False)
        return
    if fmt == "json":
        text = json.dumps(
            {
                "meta": table.attrs.get("finestats", {}),
                "rows": json.loads(table.to_json(orient="records", date_format="iso")),
            },
            indent=2,
            ensure_ascii=False,
            default=str,
        )
        text += "\n"
    else:
        text = render_table(table)
    if out is not None:
        atomic_write_text(out, text)
        click.echo(f"wrote {out} ({len(table)} rows)", err=True)
    else:
        click.echo(text, nl=False)


def render_table(table: Any) -> str:
    """An aligned plain-text table with thousands separators, plus a note on what was counted."""
    shown = table.copy()
    for col in shown.columns:
        if str(col).startswith(("total_", "median_", "max_", "amount_")):
            shown[col] = shown[col].map("{:,.0f}".format)
        elif not pd_is_numeric(shown[col]):  # text reads better left-aligned
            width = max(len(str(col)), int(shown[col].astype(str).str.len().max() or 0))
            shown[col] = shown[col].astype(str).str.ljust(width)
            shown = shown.rename(columns={col: str(col).ljust(width)})
    body = shown.to_string(index=False) if len(shown) else "(no fines match)"
    meta = table.attrs.get("finestats", {})
    note = (
        f"{meta.get('currency', '')} at ECB rates "
        f"({'at ' + meta['at'] if meta.get('at') else 'of each ' + meta.get('on', '')}), "
        f"snapshot {meta.get('rate_snapshot', '?')}; view {meta.get('view', '?')}"
        f"{', provisional notices included' if meta.get('include_provisional') else ''}"
        f"{'' if meta.get('include_penalties', True) else ', penalties excluded'}"
    )
    return f"{body}\n\n{note}\n"


# -- convert ---------------------------------------------------------------------------------


@cli.command("convert", context_settings=CONTEXT)
@click.option("--to", "to", default="EUR", show_default=True, help="Target currency.")
@on_option
@at_option
@rates_option
@data_option
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="CSV file to write (with its .meta.json sidecar).",
)
def convert_cmd(
    to: str,
    on: str,
    at: str | None,
    rates_path: Path | None,
    data_path: Path | None,
    out: Path,
) -> None:
    """Every record with its converted amount, rate, fixing date and rate source."""
    from finestats.export import export_csv

    table = normalized(_load(data_path), to, on=on, at=at, rates=_rates_arg(rates_path))
    export_csv(table, out, data_path=data_path)
    click.echo(f"wrote {out} ({len(table)} records in {to.upper()})", err=True)


def normalized(df: Any, to: str, **kw: Any) -> Any:
    """All records converted to ``to`` with their audit columns and export metadata."""
    from finestats.rates import convert, load_rates, snapshot_label

    table_rates = load_rates(kw.pop("rates", None))
    out = convert(df, to, rates=table_rates, **kw)
    out.attrs["finestats"] = {
        "currency": to.upper(),
        "on": kw.get("on", "decision_date"),
        "at": kw.get("at"),
        "view": "all records (no counting rules applied)",
        "rate_source": table_rates.source,
        "rate_snapshot": snapshot_label(table_rates),
    }
    return out


# -- make-data -------------------------------------------------------------------------------


@cli.command("make-data", context_settings=CONTEXT)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("data/processed"),
    show_default=True,
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
    out: Path, readme: Path | None, data_path: Path | None, rates_path: Path | None
) -> None:
    """Regenerate data/processed/: normalized records (EUR) and totals in EUR, USD, GBP, SEK."""
    from finestats.export import atomic_write_text, export_csv
    from finestats.rates import load_rates
    from finestats.summary import totals, update_readme

    df = _load(data_path)
    table_rates = load_rates(_rates_arg(rates_path))
    written = [
        export_csv(
            normalized(df, "EUR", rates=table_rates),
            out / "fines_normalized.csv",
            data_path=data_path,
        )
    ]
    for cur in ("EUR", "USD", "GBP", "SEK"):
        table = totals(df, ("regulator", "year"), cur, rates=table_rates)
        path = out / f"totals_by_regulator_year_{cur.lower()}.csv"
        written.append(export_csv(table, path, data_path=data_path))
    if readme is not None:
        text = readme.read_text(encoding="utf-8")
        new = update_readme(text, df)
        if new != text:
            written.append(atomic_write_text(readme, new))
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
    help="Notebook parameter (repeatable); VALUE is read as JSON when it parses.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports"),
    show_default=True,
)
@click.option("--quiet", is_flag=True, help="No progress display.")
def report(currency: str, params: tuple[str, ...], out: Path, quiet: bool) -> None:
    """Render every notebook with papermill into OUT/<YYYY-MM-DD>-<currency>/."""
    from finestats.report import build_report

    parsed: dict[str, Any] = {}
    for item in params:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"bad parameter {item!r}: expected NAME=VALUE")
        try:
            parsed[name.strip()] = json.loads(value)
        except json.JSONDecodeError:
            parsed[name.strip()] = value
    folder = build_report(currency=currency, parameters=parsed, out=out, progress=not quiet)
    click.echo(f"report written to {folder}")


def _warnings_to_stderr() -> None:
    def show(message: Any, category: Any, *_: Any, **__: Any) -> None:
        click.echo(f"finestats: warning: {message}", err=True)

    warnings.showwarning = show
