"""The shape of the library: modules of one job and bounded size, imports at the top, no cycles,
the core below the report, CLI and charts.

Run as a script to print the import graph and the longest functions:

    .venv/bin/python -m tests.test_layout
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "finestats"
#: Heavy or optional packages that may be imported inside functions, where they are needed.
LAZY_OK = {
    "matplotlib",
    "papermill",
    "nbconvert",
    "jupyter_client",
    "nbclient",
    "forex_python",
    "IPython",
    "jinja2",
    "platformdirs",
    "ipykernel",
    "ipywidgets",
    "xlsxwriter",
    "urllib",  # the network stack, only in snapshots.download
    "http",
}
#: Modules that face the user (notebooks, charts, the terminal): the core never imports them.
OUTER = {
    "cli",
    "report",
    "archive",
    "charts",
    "timeline",
    "notebook",
    "jupyter",
    "pages",
    "changes",
    "terminal",
    "workbook",
    "explorer",
    "__main__",
}
#: Limits that keep a module readable without forcing one job apart for size alone.
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 800, 80


def modules() -> dict[str, ast.Module]:
    return {p.stem: ast.parse(p.read_text(encoding="utf-8")) for p in sorted(PACKAGE.glob("*.py"))}


def own_imports(tree: ast.Module, top_only: bool) -> set[str]:
    """finestats modules imported (at the top of the module, or anywhere)."""
    nodes = tree.body if top_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("finestats"):
            parts = node.module.split(".")
            if len(parts) > 1:
                found.add(parts[1])
            else:
                found |= {a.name for a in node.names if (PACKAGE / f"{a.name}.py").exists()}
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("finestats.")}
    return found


def graph() -> dict[str, set[str]]:
    return {name: own_imports(tree, top_only=False) - {name} for name, tree in modules().items()}


def functions() -> list[tuple[int, str]]:
    """(lines of code, module.function), longest first; a docstring is not code."""
    out = []
    for name, tree in modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                doc = node.body[0]
                has_doc = ast.get_docstring(node, clean=False) is not None
                doc_lines = doc.end_lineno - doc.lineno + 1 if has_doc else 0
                lines = node.end_lineno - node.lineno + 1 - doc_lines
                out.append((lines, f"{name}.{node.name}"))
    return sorted(out, reverse=True)


def test_modules_are_small() -> None:
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in PACKAGE.glob("*.py")}
    assert max(sizes.values()) <= MAX_MODULE_LINES, sorted(sizes.items(), key=lambda kv: -kv[1])[:3]


def test_functions_are_short() -> None:
    longest = functions()[:3]
    assert longest[0][0] <= MAX_FUNCTION_LINES, longest


def test_no_import_cycles() -> None:
    g = graph()
    for module, deferred in DEFERRED:  # a deliberate lazy import is not an import-time cycle
        g[module].discard(deferred.split(".")[1])

    def visit(node: str, path: list[str]) -> None:
        for nxt in g.get(node, ()):
            assert nxt not in path, " -> ".join([*path, nxt])
            visit(nxt, [*path, nxt])

    for start in g:
        visit(start, [start])


def test_the_core_never_imports_the_outer_modules() -> None:
    for name, deps in graph().items():
        if name not in OUTER and name != "__init__":
            assert not deps & OUTER, f"{name} imports {deps & OUTER}"


def test_imports_inside_functions_are_only_heavy_packages() -> None:
    for name, tree in modules().items():
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    mod = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
                    root = (mod or "").split(".")[0]
                    allowed = root in LAZY_OK or (name, mod) in DEFERRED
                    assert allowed, f"{name}.{fn.name} imports {mod} inside a function"


#: The finestats imports deferred on purpose: rates -> forex, so that choosing the live source
#: imports forex_python only when it is chosen; the package's ``explore`` (ipywidgets, charts),
#: imported on first use so that ``import finestats`` stays light; the report machinery
#: (archive, kernels, pages, what changed), which only ``finestats report`` needs; and
#: importlib.metadata (~7 ms of every CLI start), read only when CurrencyConverter's dist-info
#: folder is not beside its package.
DEFERRED = {
    ("rates", "finestats.forex"),
    ("snapshots", "importlib.metadata"),
    ("__init__", "finestats.explorer"),
    ("cli", "finestats.report"),
}


def main() -> None:
    g = graph()
    print("finestats import graph (module: the finestats modules it imports)")
    for name in sorted(g, key=lambda n: (n in OUTER, n)):
        print(f"  {name:14s} {', '.join(sorted(g[name])) or '-'}")
    print("\nlongest functions (lines of code, docstrings not counted):")
    for n, qual in functions()[:5]:
        print(f"  {n:3d}  {qual}")
    sizes = sorted(
        ((len(p.read_text().splitlines()), p.name) for p in PACKAGE.glob("*.py")), reverse=True
    )
    print("\nlargest modules (lines): " + ", ".join(f"{f} {n}" for n, f in sizes[:5]))


if __name__ == "__main__":
    sys.exit(main())
