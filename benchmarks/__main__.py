"""Run every benchmark module and print a table (or one JSON object with --json)."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from benchmarks import MODULES  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--only", help="run only modules whose name contains this")
    args = p.parse_args(argv)
    results = []
    for name in MODULES:
        if args.only and args.only not in name:
            continue
        module = importlib.import_module(name)
        for result in module.run():
            results.append(result)
            if not args.json:
                print(line(result), flush=True)
    if args.json:
        print(json.dumps({r.name: {"value": r.value, "unit": r.unit, "baseline": r.baseline,
                                   "ratio": r.ratio} for r in results}, indent=1))
    return 0


def line(r) -> str:
    text = f"{r.name:<44} {r.value:>10.4g} {r.unit:<9}"
    if r.baseline is not None:
        text += f" | {r.baseline_name or 'baseline'} {r.baseline:.4g} → ×{r.ratio:.2f}"
    if r.target:
        verdict = {True: "met", False: "MISSED", None: ""}[r.met]
        text += f" | target {r.target} {verdict}"
    return text


if __name__ == "__main__":
    sys.exit(main())
