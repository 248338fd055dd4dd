"""Regenerate the parameter tables of docs/model.md from the engine's model library.

Usage (from the repository root, after ``bash scripts/dev_build.sh``)::

    PYTHONPATH=python python scripts/gen_model_docs.py          # rewrite docs/model.md in place
    PYTHONPATH=python python scripts/gen_model_docs.py --check  # exit 1 if the tables are stale

Every block between ``<!-- params:NAME -->`` and ``<!-- /params -->`` is replaced by the table of
model NAME as ``septrial.model_info(NAME)`` reports it: name, value, unit, allowed range and doc
string (meaning and source) of each parameter. A composition (a model made of other models) gets
the list of its components instead, plus any parameter that is not a plain copy of a component's.
Text outside the markers is left alone; tests/test_docs_model.py fails when the committed tables
differ from the generated ones or when a registered model has no block.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "model.md"
BLOCK = re.compile(
    r"(?P<open><!-- params:(?P<name>[A-Za-z0-9_.-]+) -->\n)"
    r"(?P<body>.*?)"
    r"(?P<close><!-- /params -->)",
    re.S,
)


def _number(x: float) -> str:
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    return f"{x:.6g}"


def _range(p: dict) -> str:
    lo, hi = p["lower"], p["upper"]
    left = "(" if math.isinf(lo) or not p["lower_inclusive"] else "["
    right = ")" if math.isinf(hi) or not p["upper_inclusive"] else "]"
    return f"{left}{_number(lo)}, {_number(hi)}{right}"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def _parameter_table(parameters) -> list[str]:
    lines = [
        "| parameter | value | unit | allowed range | meaning and source |",
        "|---|---|---|---|---|",
    ]
    for p in parameters:
        lines.append(
            f"| `{p['name']}` | {_number(p['value'])} | {_cell(p['unit'])} | {_range(p)} | "
            f"{_cell(p['doc'])} |"
        )
    return lines


def _is_composition(info) -> bool:
    return len(info.components) != 1 or info.components[0]["module"] != info.name


def render(name: str) -> str:
    """The generated Markdown for one model (without the marker lines)."""
    from septrial.library import model_info

    info = model_info(name)
    lines = [f"*{_cell(info.description)}.* Generated from `septrial.model_info({name!r})`.", ""]
    if not _is_composition(info):
        lines += _parameter_table(info.parameters)
        return "\n".join(lines) + "\n"

    lines += [
        "| prefix | module | covariates read |",
        "|---|---|---|",
    ]
    copies: dict[str, dict] = {}
    for c in info.components:
        prefix = c["prefix"]
        lines.append(
            f"| `{prefix or '(none)'}` | `{c['module']}` | "
            f"{', '.join(f'`{v}`' for v in c['covariates']) or '-'} |"
        )
        for p in model_info(c["module"]).parameters:
            copies[f"{prefix}.{p['name']}" if prefix else p["name"]] = p
    own = [
        p
        for p in info.parameters
        if p["name"] not in copies
        or any(p[k] != copies[p["name"]][k] for k in ("value", "unit", "doc", "lower", "upper"))
    ]
    lines += [
        "",
        f"All {len(info.parameters)} parameters are the components' own, named `prefix.name` "
        "(bare name where the prefix is empty); their values and sources are in the component "
        "tables.",
    ]
    if own:
        lines += ["", "Parameters that differ from the components:", ""]
        lines += _parameter_table(own)
    return "\n".join(lines) + "\n"


def update(text: str) -> str:
    """``text`` with every marker block regenerated."""

    def sub(m: re.Match) -> str:
        return f"{m['open']}\n{render(m['name'])}\n{m['close']}"

    return BLOCK.sub(sub, text)


def documented(text: str) -> set[str]:
    return {m["name"] for m in BLOCK.finditer(text)}


def missing(text: str) -> list[str]:
    """Library models without a parameter block (compositions made at run time are the user's)."""
    from septrial import _core

    return sorted(set(_core.models(include_run_time=False)) - documented(text))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/model.md is stale")
    parser.add_argument("--doc", type=Path, default=DOC)
    args = parser.parse_args(argv)
    text = args.doc.read_text(encoding="utf-8")
    new = update(text)
    absent = missing(new)
    if absent:
        print(f"models without a <!-- params:NAME --> block: {', '.join(absent)}", file=sys.stderr)
    if args.check:
        if new != text:
            print(f"{args.doc} is stale: run python scripts/gen_model_docs.py", file=sys.stderr)
            return 1
        return 1 if absent else 0
    if new != text:
        args.doc.write_text(new, encoding="utf-8")
        print(f"rewrote {args.doc}")
    return 1 if absent else 0


if __name__ == "__main__":
    sys.exit(main())
