"""``python -m benchmarks [--quick]``: run the benchmarks, print the table, write the JSON."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from benchmarks import report, runner

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small counts: about 20-30 s (CI smoke run)")
    parser.add_argument("--output", type=Path, default=RESULTS, metavar="DIR",
                        help=f"where the JSON goes (default {RESULTS})")
    parser.add_argument("--rounds", type=int, help="rounds per pair (default 4; fewer is for debugging only)")
    parser.add_argument("--section", action="append", choices=sorted(runner.SECTIONS),
                        help="run only this section (repeatable)")
    parser.add_argument("--exchange", action="append", help="run only this exchange's entries (repeatable)")
    parser.add_argument("--peers", action="store_true",
                        help="run the peers section (exwire, the bare loop and the peers of "
                             "benchmarks/requirements-peers.txt that are installed); alone, only that section")
    parser.add_argument("--peer", action="append", metavar="NAME", help="with --peers: only this peer (repeatable)")
    args = parser.parse_args(argv)

    config = runner.QUICK if args.quick else runner.FULL
    changes = {}
    if args.rounds is not None:
        changes["rounds"] = max(1, args.rounds)
    if args.section:
        changes["sections"] = tuple(dict.fromkeys(args.section + (["peers"] if args.peers else [])))
    elif args.peers:
        changes["sections"] = ("peers",)
    if args.peer:
        changes["peers"] = tuple(args.peer)
    if args.exchange:
        changes["exchanges"] = tuple(args.exchange)
    config = dataclasses.replace(config, **changes)

    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    environment = report.environment()
    results = {"schema": 1, "started_at": started_at, "environment": environment}
    results.update(runner.run(config))
    results["environment"]["load_average_after"] = report.environment()["load_average"]
    report.summarise(results)
    results["targets"] = report.targets(results)
    print()
    print(report.render(results))
    path = report.write(results, args.output)
    print(f"\nresults: {path}")
    return 2 if results["errors"] else 0


if __name__ == "__main__":
    started = time.perf_counter()
    code = main()
    print(f"({time.perf_counter() - started:.1f} s)")
    sys.exit(code)
