"""The report's HTML: each notebook as a self-contained page with the code hidden (nbconvert),
the report's own ``index.html`` and the archive's ``index.html``.

Every value that comes from the data or from parameters is escaped where it is written: here,
in the notebooks' Markdown (:func:`finestats.formatting.escape_markdown`) and in their tables
(:func:`finestats.notebook.show_table`), so that HTML in a defendant's name is shown as text and
never runs (tested in a real browser). nbconvert's own sanitizer is left off: it escapes the
paragraph tags of every Markdown output along with anything dangerous.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from finestats.archive import NAME_RE
from finestats.fileio import atomic_write_text
from finestats.formatting import format_amount, scope_line

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto;
       max-width: 1100px; padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { margin-bottom: .2rem; } .sub { color: #555; margin-top: 0; }
.headline { display: flex; gap: 1rem; flex-wrap: wrap; margin: 1.2rem 0; }
.figure { background: #f4f6f8; border-radius: 8px; padding: .8rem 1.1rem; min-width: 12rem; }
.figure .v { font-size: 1.6rem; font-weight: 700; } .figure .k { color: #555; font-size: .9rem; }
section { border-top: 1px solid #ddd; margin-top: 1.5rem; padding-top: .5rem; }
img { max-width: 100%; height: auto; border: 1px solid #eee; margin: .5rem 0; }
table { border-collapse: collapse; font-size: .9rem; } td, th { padding: .2rem .6rem;
  border-bottom: 1px solid #eee; text-align: left; } td.n { text-align: right; }
.files, .scope { font-size: .9rem; color: #444; }
footer { color: #666; font-size: .85rem; margin-top: 2rem; }
"""
e = html.escape


def notebook_title(nb_path: Path) -> str:
    """The first Markdown heading of a notebook, else its file name."""
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            m = re.search(r"^#+\s*(.+)$", "".join(cell.get("source", "")), flags=re.M)
            if m:
                return m.group(1).strip()
    return nb_path.stem


def html_exporter() -> Any:
    """nbconvert's lab HTML exporter: code hidden, no external scripts
    (require.js, MathJax, mermaid left out: pages are self-contained; images embedded)."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    template = (
        "{%- extends 'index.html.j2' -%}\n"
        "{% block html_head_js %}{% endblock html_head_js %}\n"
        "{% block html_head_js_mathjax %}{% endblock html_head_js_mathjax %}\n"
        "{% block html_head_js_mermaidjs %}{% endblock html_head_js_mermaidjs %}\n"
    )
    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[DictLoader({"finestats-report.html.j2": template})],
        template_file="finestats-report.html.j2",
    )
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.embed_images = True
    return exporter


def write_notebook_page(exporter: Any, executed: Path, folder: Path, files: list[str]) -> Path:
    """The notebook's HTML page, with a bar linking back to the report's index and to the files
    the notebook wrote (CSV, SVG) and the report's workbook."""
    body, _ = exporter.from_filename(str(executed))
    links = [f'<a href="{e(f)}">{e(f)}</a>' for f in files if f.endswith((".csv", ".svg"))]
    bar = (
        '<nav class="finestats-nav" style="font:14px system-ui,sans-serif;padding:.5rem 1rem;'
        'background:#f4f6f8;border-bottom:1px solid #ddd">'
        '<a href="index.html">&larr; report index</a>'
        + (" &middot; files: " + ", ".join(links) if links else "")
        + ' &middot; <a href="../index.html">all reports</a></nav>'
    )
    body = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + bar, body, count=1)
    return atomic_write_text(folder / f"{executed.stem}.html", body)


def _page(title: str, parts: list[str]) -> str:
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{e(title)}</title>",
            f"<style>{_CSS}</style></head><body>",
            *parts,
            "</body></html>\n",
        ]
    )


def _headline(folder: Path, manifest: dict[str, Any]) -> list[str]:
    cur = manifest["currency"]
    head_file = folder / "headline.json"
    if not head_file.is_file():
        return []
    head = json.loads(head_file.read_text(encoding="utf-8"))
    largest = head.get("largest") or {}
    big = (
        f": {largest.get('regulator')} against {largest.get('defendant')} "
        f"({largest.get('decision_date')})"
        if largest
        else ""
    )
    counted = f"fines counted (of {head['n_records']} records)" if "n_records" in head else "fines"
    figures = [
        (format_amount(head["total"], cur, significant=3), "total"),
        (f"{head['n_fines']}", counted),
        (
            format_amount(head["max"], cur, significant=3)
            if head.get("max") is not None
            else "n/a",
            "largest fine" + big,
        ),
    ]
    out = ['<div class="headline">']
    out += [
        f'<div class="figure"><div class="v">{e(v)}</div><div class="k">{e(k)}</div></div>'
        for v, k in figures
    ]
    out.append("</div>")
    out.append(f"<p>{e(head.get('convention', ''))}. Counting view: {e(head.get('view', ''))}.</p>")
    if head.get("filters"):
        out.append(f'<p class="scope"><strong>Filters:</strong> {e(head["filters"])}</p>')
    if "n_records" in head:
        out.append(
            f'<p class="scope">{head["n_records"]} records are in the collection; '
            f"{head['n_counted']} count in this view (notices of intent, court outcomes and "
            "overturned fines are records, not fines of their own), and "
            f"{head['n_fines']} of those match the filters.</p>"
        )
    if head.get("scope"):
        line = scope_line(head["scope"], head.get("n_outside_scope"), head["n_fines"])
        out.append(f'<p class="scope">{e(line)}</p>')
    return out


def _changes(manifest: dict[str, Any]) -> list[str]:
    ch = manifest.get("changes") or {}
    out = ["<section><h2>What changed since the previous report</h2>"]
    if not ch.get("previous"):
        out.append("<p>No earlier report of these settings in the archive to compare with.</p>")
    elif not (ch["added"] or ch["changed"] or ch["removed"]):
        out.append(f"<p>Nothing changed since {e(ch['previous'])}.</p>")
    else:
        delta = (ch["total_after"] or 0) - (ch["total_before"] or 0)
        sign = "+" if delta >= 0 else "-"
        out.append(
            f"<p>Since {e(ch['previous'])}: {ch['added']} added, {ch['changed']} changed, "
            f"{ch['removed']} removed; effect on the total: {sign}"
            f"{e(format_amount(abs(delta), manifest['currency'], significant=3))}. "
            '<a href="changes.csv">changes.csv</a> lists them by fine_id.</p>'
        )
    out.append("</section>")
    return out


def write_report_index(folder: Path, manifest: dict[str, Any]) -> Path:
    """The report's ``index.html``: headline, filters, scope, period, what changed, skipped
    notebooks with the reason, and each notebook's charts and files."""
    cur = manifest["currency"]
    workbook = manifest.get("workbook")
    parts = [
        f"<h1>Regulatory fines in {e(cur)}</h1>",
        f'<p class="sub">Report {e(manifest["report"])}; {e(manifest.get("period", ""))}; ECB '
        f"reference rates, snapshot {e(str(manifest['rate_snapshot']))} "
        f"({e(manifest['rate_source'])}).</p>",
        *_headline(folder, manifest),
        *(
            [
                f'<p class="files">All tables in one workbook: <a href="{e(workbook)}">'
                f"{e(workbook)}</a>; every fine counted: "
                '<a href="counted_fines.csv">counted_fines.csv</a>.</p>'
            ]
            if workbook
            else []
        ),
        *_changes(manifest),
    ]
    for nb in manifest["notebooks"]:
        parts.append("<section>")
        parts.append(f'<h2><a href="{e(nb["html"])}">{e(nb["title"])}</a></h2>')
        if nb.get("status") == "skipped":
            parts.append(
                f'<p class="scope"><strong>Nothing to show:</strong> {e(nb["reason"])}</p>'
            )
        links = ", ".join(
            f'<a href="{e(f)}">{e(f)}</a>'
            for f in nb["files"]
            if f.endswith((".csv", ".svg", ".json"))
        )
        parts.append(
            f'<p class="files">Notebook <a href="{e(nb["executed"])}">{e(nb["executed"])}</a>'
            f" ({nb['duration_s']:.1f} s){'; files: ' + links if links else ''}</p>"
        )
        for png in (f for f in nb["files"] if f.endswith(".png")):
            alt = png.removesuffix(".png").replace("_", " ")
            parts.append(f'<a href="{e(png)}"><img src="{e(png)}" alt="{e(alt)}"></a>')
        parts.append("</section>")
    versions = ", ".join(f"{k} {v}" for k, v in manifest["versions"].items())
    parts.append(
        f"<footer>Data file {e(Path(str(manifest['data_file'])).name)} (SHA-256 "
        f"{e(str(manifest['data_sha256']))}). {e(versions)}. "
        '<a href="manifest.json">manifest.json</a> · '
        '<a href="../index.html">all reports</a></footer>'
    )
    return atomic_write_text(
        folder / "index.html", _page(f"finestats report {manifest['report']}", parts)
    )


def write_archive_index(out_dir: Path, manifests: list[dict[str, Any]]) -> Path:
    """``out/index.html``: every report in the archive, newest first, with what it selected.
    Links are built from report folder names checked by :mod:`finestats.archive` (letters,
    digits and dashes), never from text inside a manifest."""
    rows = []
    for m in reversed(manifests):
        name = str(m["report"])
        if not NAME_RE.match(name):
            continue
        ch = m.get("changes") or {}
        what = (
            "first"
            if not ch.get("previous")
            else f"+{ch.get('added')} / ~{ch.get('changed')} / -{ch.get('removed')}"
        )
        skipped = len(m.get("skipped") or [])
        rows.append(
            f'<tr><td><a href="{e(name)}/index.html">{e(name)}</a></td>'
            f"<td>{e(str(m.get('currency')))}</td>"
            f"<td>{e(str(m.get('filters') or 'all fines'))}; {e(str(m.get('view') or ''))}</td>"
            f"<td>{e(str(m.get('rate_snapshot')))}</td>"
            f"<td><code>{e(str(m.get('data_sha256'))[:12])}</code></td>"
            f'<td class="n">{e(str(m.get("n_fines")))}</td>'
            f'<td class="n">{e(_total(m))}</td>'
            f"<td>{e(what)}{f' ({skipped} skipped)' if skipped else ''}</td></tr>"
        )
    parts = [
        "<h1>finestats reports</h1>",
        f'<p class="sub">{len(manifests)} reports; <a href="latest/index.html">the latest</a>.</p>',
        "<table><tr><th>report</th><th>currency</th><th>selection</th><th>rate snapshot</th>"
        "<th>data file</th><th>fines</th><th>total</th>"
        "<th>changes (added / changed / removed)</th></tr>",
        *rows,
        "</table>",
    ]
    return atomic_write_text(out_dir / "index.html", _page("finestats reports", parts))


def _total(m: dict[str, Any]) -> str:
    return format_amount(m.get("total"), str(m.get("currency")), significant=3)
