"""Summaries (medians, paired ratios), the DESIGN.md targets, the terminal table, the JSON file.

A ratio is computed within each round (exwire's figure over the bare figure of the
same round) and the median of those per-round ratios is reported: only ratios
measured side by side mean anything on a machine whose speed drifts.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from benchmarks.measure import median

__all__ = ["summarise", "targets", "environment", "render", "write"]

#: DESIGN.md "Performance targets".
STREAM_TARGET = 1.2  # typed delivery rate / bare rate, at least, every JSON stream case, 0 drops
RAW_TARGET = 2.0  # raw delivery (decoded JSON, no models) rate / bare rate, at least
COINSUPER_TARGET = 0.5  # Coinsuper MQTT typed delivery rate / bare rate, at least
ROUND_TRIP_TARGET = 1.0  # exwire p50 / bare p50, at most
BOOK_TARGET = 100_000  # Kraken book updates maintained offline with checksums per second, at least
REPLAY_TARGET = 0.8  # client replay of the Kraken capture / bare client reading it, at least (issue 16)
SCALE_TARGET = 0.9  # 1,000 subscriptions' rate / one subscription's, at least
#: Stream-section variants that are raw delivery (decoded JSON, no models); ``exwire_raw`` is
#: ``keep_raw=True`` (typed models plus the frame text), not raw delivery.
RAW_VARIANTS = ("raw", "exwire_raw_delivery", "exwire-raw")


def _variants(runs: Sequence[dict]) -> list[str]:
    return list(dict.fromkeys(run["variant"] for run in runs))


def _paired_ratio(runs: Sequence[dict], variant: str, reference: str, metric: str) -> float | None:
    """Median over rounds of ``variant[metric] / reference[metric]`` within the same round."""
    by_round: dict[int, dict[str, dict]] = {}
    for run in runs:
        by_round.setdefault(run["round"], {})[run["variant"]] = run
    ratios = []
    for pair in by_round.values():
        a, b = pair.get(variant, {}).get(metric), pair.get(reference, {}).get(metric)
        if a is not None and b:
            ratios.append(a / b)
    value = median(ratios)
    return None if value is None else round(value, 3)


def _medians(runs: Sequence[dict], variant: str, metrics: Sequence[str]) -> dict[str, Any]:
    chosen = [run for run in runs if run["variant"] == variant]
    out: dict[str, Any] = {"runs": len(chosen)}
    for metric in metrics:
        value = median([run[metric] for run in chosen if run.get(metric) is not None])
        out[metric] = None if value is None else round(value, 2)
    return out


def _summary(runs: Sequence[dict], metrics: Sequence[str], reference: str, ratio_metrics: Sequence[str]) -> dict:
    summary = {}
    for variant in _variants(runs):
        entry = _medians(runs, variant, metrics)
        if variant != reference:
            for metric in ratio_metrics:
                entry[f"{metric}_ratio"] = _paired_ratio(runs, variant, reference, metric)
        summary[variant] = entry
    return summary


def summarise(results: dict[str, Any]) -> None:
    """Add a ``summary`` beside every list of runs (in place)."""
    sections = results["sections"]
    for case in sections.get("stream") or []:
        if not isinstance(case, dict) or "runs" not in case:
            continue
        runs = case["runs"]
        summary = _summary(runs, ["rate", "cpu_us_per_msg"], "bare", ["rate", "cpu_us_per_msg"])
        for variant, entry in summary.items():
            chosen = [run for run in runs if run["variant"] == variant]
            entry["sent"] = sum(run["sent"] for run in chosen)
            entry["delivered"] = sum(run["delivered"] for run in chosen)
            entry["dropped"] = sum(run.get("dropped", 0) for run in chosen)
        case["summary"] = summary
    for case in sections.get("request") or []:
        if not isinstance(case, dict):
            continue
        if "latency_runs" in case:
            case["latency_summary"] = _summary(case["latency_runs"], ["p50_us", "p99_us", "cpu_us_per_request"],
                                               "bare", ["p50_us", "p99_us"])
        if "concurrent_runs" in case:
            case["concurrent_summary"] = _summary(case["concurrent_runs"], ["rate", "cpu_us_per_request"], "bare",
                                                  ["rate"])
    book = sections.get("book") or {}
    if "offline_runs" in book:
        book["offline_summary"] = _summary(book["offline_runs"], ["rate", "cpu_us_per_msg", "checksums_per_second"],
                                           "parse", ["rate"])
        for name in ("maintain", "maintain_models", "maintain_raw"):
            maintain = [run for run in book["offline_runs"] if run["variant"] == name]
            if maintain:
                book["offline_summary"][name].update(
                    checksums_verified=sum(run["checksums_verified"] for run in maintain),
                    checksums_mismatched=sum(run["checksums_mismatched"] for run in maintain))
    if "replay_runs" in book:
        book["replay_summary"] = _summary(book["replay_runs"], ["rate", "cpu_us_per_msg"], "bare", ["rate"])
        exwire = [run for run in book["replay_runs"] if run["variant"] == "exwire"]
        book["replay_summary"]["exwire"].update(
            checksums_verified=sum(run["checksums_verified"] for run in exwire),
            checksums_mismatched=sum(run["checksums_mismatched"] for run in exwire),
            checksums_expected=sum(run["checksums_expected"] for run in exwire))
    peers = sections.get("peers") or {}
    if "runs" in peers:
        summary = _summary(peers["runs"], ["rate", "cpu_us_per_msg", "threads_added"], "bare",
                           ["rate", "cpu_us_per_msg"])
        for variant, entry in summary.items():
            chosen = [run for run in peers["runs"] if run["variant"] == variant]
            entry["sent"] = sum(run["sent"] for run in chosen)
            entry["delivered"] = sum(run["delivered"] for run in chosen)
            entry["dropped"] = sum(run.get("dropped", 0) for run in chosen)
            entry["failed"] = any(run.get("failed") for run in chosen)
            entry.update((peers.get("peers") or {}).get(variant, {"typed": None, "envelope": "combined"}))
        peers["summary"] = summary
    scale = sections.get("scale") or {}
    if "runs" in scale:
        summary = _summary(scale["runs"], ["rate", "cpu_us_per_msg", "subscribe_seconds"], "1", ["rate"])
        for variant, entry in summary.items():
            chosen = [run for run in scale["runs"] if run["variant"] == variant]
            entry["threads"] = sorted({run["threads"] for run in chosen})
            entry["delivered"] = sum(run["delivered"] for run in chosen)
            entry["sent"] = sum(run["sent"] for run in chosen)
            entry["dropped"] = sum(run.get("dropped", 0) for run in chosen)
        scale["summary"] = summary


def _stream_targets(sections: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    raw_ratios = []
    for case in sections.get("stream") or []:
        summary = (case.get("summary") or {}) if isinstance(case, dict) else {}
        exwire = summary.get("exwire")
        for name in RAW_VARIANTS:
            if name in summary:
                raw_ratios.append((case, summary[name]))
        if not exwire:
            continue
        ratio = exwire.get("rate_ratio")
        complete = exwire["delivered"] == exwire["sent"] and exwire["dropped"] == 0
        goal = COINSUPER_TARGET if case["exchange"] == "coinsuper" else STREAM_TARGET
        out.append({
            "name": f"{case['exchange']} {case['case']}: typed delivery vs bare recv+json.loads, 0 drops",
            "value": ratio, "target": f">= {goal}x", "drops": exwire["dropped"],
            "delivered": exwire["delivered"], "sent": exwire["sent"],
            "met": bool(ratio is not None and ratio >= goal and complete),
        })
    if sections.get("stream"):
        if raw_ratios:
            for case, raw in raw_ratios:
                ratio = raw.get("rate_ratio")
                out.append({"name": f"{case['exchange']} {case['case']}: raw delivery vs bare", "value": ratio,
                            "target": f">= {RAW_TARGET}x", "met": bool(ratio is not None and ratio >= RAW_TARGET)})
        else:
            out.append({"name": "raw delivery (decoded JSON, no models) vs bare", "value": None,
                        "target": f">= {RAW_TARGET}x", "met": False, "note": "not measured: no raw variant ran"})
    return out


def _book_targets(book: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    maintain = (book.get("offline_summary") or {}).get("maintain")
    if maintain:
        rate = maintain.get("rate")
        out.append({"name": "Kraken book maintained offline with checksums (updates/s, 0 bad)", "value": rate,
                    "target": f">= {BOOK_TARGET:,}/s",
                    "met": bool(rate is not None and rate >= BOOK_TARGET and maintain["checksums_mismatched"] == 0)})
    replay = (book.get("replay_summary") or {}).get("exwire")
    if replay:
        ratio = replay.get("rate_ratio")
        out.append({"name": "Kraken capture client replay vs a bare client reading it, every checksum",
                    "value": ratio, "target": f">= {REPLAY_TARGET}x",
                    "met": bool(ratio is not None and ratio >= REPLAY_TARGET and replay["checksums_mismatched"] == 0
                                and replay["checksums_verified"] == replay["checksums_expected"])})
    return out


def _peer_targets(peers: dict[str, Any]) -> list[dict[str, Any]]:
    summary = peers.get("summary") or {}
    if not summary:
        return []
    out = []
    for mode, typed, reference in (("typed", True, "exwire"), ("untyped", False, "exwire_raw")):
        others = {name: entry.get("rate_ratio") for name, entry in summary.items()
                  if entry.get("typed") is typed and name not in ("exwire", "exwire_raw")}
        mine = (summary.get(reference) or {}).get("rate_ratio")
        best = max((v for v in others.values() if v is not None), default=None)
        value = {reference: mine, **others}
        name = f"peers: {reference} ahead of every {mode} peer (rate vs bare, same run)"
        if mine is None:
            out.append({"name": name, "value": value, "target": "ahead", "met": False,
                        "note": f"{reference} did not run"})
        else:
            out.append({"name": name, "value": value, "target": "ahead",
                        "met": bool(best is None or mine > best)})
    return out


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each DESIGN.md target as measured: ``name``, ``value``, ``target``, ``met``."""
    sections = results["sections"]
    out = _stream_targets(sections)
    for case in sections.get("request") or []:
        exwire = (case.get("latency_summary") or {}).get("exwire") if isinstance(case, dict) else None
        if not exwire:
            continue
        ratio = exwire.get("p50_us_ratio")
        out.append({
            "name": f"{case['exchange']} {case['request']}: round trip p50 vs bare send/recv",
            "value": ratio, "target": f"<= {ROUND_TRIP_TARGET}x",
            "met": bool(ratio is not None and ratio <= ROUND_TRIP_TARGET),
        })
    out += _book_targets(sections.get("book") or {})
    scale = sections.get("scale") or {}
    if "summary" in scale:
        counts = {variant: entry["threads"] for variant, entry in scale["summary"].items()}
        for probe in scale.get("memory") or []:
            if "threads" in probe:
                counts.setdefault(str(probe["subscriptions"]), [])
                counts[str(probe["subscriptions"])] = sorted(set(counts[str(probe["subscriptions"])])
                                                             | {probe["threads"]})
        distinct = {n for threads in counts.values() for n in threads}
        out.append({
            "name": "thread count independent of the number of subscriptions",
            "value": {k: v for k, v in counts.items()}, "target": "same for 1 and 1,000",
            "met": len(distinct) == 1,
        })
        largest = max(scale["summary"], key=int)
        ratio = scale["summary"][largest].get("rate_ratio")
        if largest != "1":
            out.append({"name": f"{int(largest):,} subscriptions vs one (msg/s)", "value": ratio,
                        "target": f">= {SCALE_TARGET}x", "met": bool(ratio is not None and ratio >= SCALE_TARGET)})
    out += _peer_targets(sections.get("peers") or {})
    return out


def environment() -> dict[str, Any]:
    versions = {}
    for name in ("exwire", "websocket", "websockets"):
        try:
            module = __import__(name)
            versions[name] = getattr(module, "__version__", "?")
        except Exception:
            versions[name] = None
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
        "switch_interval": sys.getswitchinterval(),
        "versions": versions,
    }


# -- terminal table ---------------------------------------------------------------------------


def _n(value: Any, digits: int = 0) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and digits:
        return f"{value:,.{digits}f}"
    return f"{value:,.0f}" if isinstance(value, (int, float)) else str(value)


def _ratio(value: Any) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _table(header: Sequence[str], rows: list[Sequence[str]]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    line = lambda cells: "  ".join(str(c).ljust(w) if i < 3 else str(c).rjust(w)  # noqa: E731
                                   for i, (c, w) in enumerate(zip(cells, widths)))
    return [line(header), line(["-" * w for w in widths])] + [line(row) for row in rows]


def render(results: dict[str, Any]) -> str:
    """The human-readable table of a summarised run."""
    config, sections, env = results["config"], results["sections"], results["environment"]
    out = [f"exwire benchmarks: {config['mode']} mode, {config['rounds']} rounds (medians; ratios paired per round), "
           f"{results['seconds']} s, Python {env['python']}, {env['cpus']} CPUs, load {env['load_average']}"]
    rows = []
    for case in sections.get("stream") or []:
        for variant, s in (case.get("summary") or {}).items():
            rows.append([case["exchange"], case["case"], variant, _n(s["rate"]), _ratio(s.get("rate_ratio", 1.0)),
                         _n(s["cpu_us_per_msg"], 1), f"{s['delivered']}/{s['sent']}",
                         "-" if variant == "bare" else str(s["dropped"])])
    if rows:
        out += ["", f"Stream throughput ({config['stream_messages']:,} frames per run)"]
        out += _table(["exchange", "case", "variant", "msg/s", "vs bare", "CPU us/msg", "delivered/sent", "drops"],
                      rows)
    rows = []
    for case in sections.get("request") or []:
        latency, concurrent = case.get("latency_summary") or {}, case.get("concurrent_summary") or {}
        for variant in latency:
            s, c = latency[variant], concurrent.get(variant, {})
            rows.append([case["exchange"], case["request"], variant, _n(s["p50_us"]), _n(s["p99_us"]),
                         _ratio(s.get("p50_us_ratio", 1.0)), _n(s["cpu_us_per_request"], 1), _n(c.get("rate")),
                         _ratio(c.get("rate_ratio", 1.0) if c else None)])
    if rows:
        out += ["", f"Request round trip ({config['request_count']:,} sequential; "
                    f"{config['concurrent_threads']} threads x {config['concurrent_count']:,} concurrent)"]
        out += _table(["exchange", "request", "variant", "p50 us", "p99 us", "p50 vs bare", "CPU us/req",
                       f"{config['concurrent_threads']}-thread req/s", "vs bare"], rows)
    book = sections.get("book") or {}
    if "skipped" in book:
        out += ["", f"Order book: skipped: {book['skipped']}"]
    rows = []
    for variant, s in (book.get("offline_summary") or {}).items():
        checks = f"{s['checksums_verified']} ok / {s['checksums_mismatched']} bad" if "checksums_verified" in s else "-"
        rows.append(["offline", variant, "", _n(s["rate"]), _ratio(s.get("rate_ratio", 1.0)),
                     _n(s["cpu_us_per_msg"], 1), checks])
    for variant, s in (book.get("replay_summary") or {}).items():
        checks = f"{s['checksums_verified']} ok / {s['checksums_mismatched']} bad" if "checksums_verified" in s else "-"
        rows.append(["client replay", variant, "", _n(s["rate"]), _ratio(s.get("rate_ratio", 1.0)),
                     _n(s["cpu_us_per_msg"], 1), checks])
    if rows:
        out += ["", f"Order book ({book.get('frames', 0):,} Kraken book messages x {book.get('passes')} passes offline;"
                    " replay via KrakenEmulator in a process of its own)"]
        out += _table(["path", "variant", "", "msg/s", "vs ref", "CPU us/msg", "checksums"], rows)
    scale = sections.get("scale") or {}
    if "skipped" in scale:
        out += ["", f"Scale: skipped: {scale['skipped']}"]
    memory = {probe["subscriptions"]: probe for probe in scale.get("memory") or []}
    rows = []
    for variant, s in (scale.get("summary") or {}).items():
        probe = memory.get(int(variant), {})
        rows.append([variant, "", "", "/".join(map(str, s["threads"])), _n(s["rate"]), _ratio(s.get("rate_ratio", 1.0)),
                     _n(s["cpu_us_per_msg"], 1), _n(s["subscribe_seconds"], 3), f"{s['delivered']}/{s['sent']}",
                     _n(probe.get("rss_before_kb")), _n(probe.get("rss_subscribed_kb")),
                     _n(probe.get("rss_delivered_kb")), probe.get("error", "")])
    if rows:
        out += ["", f"Scale ({scale.get('exchange')} {scale.get('case')}, {scale.get('messages', 0):,} frames per run;"
                    " memory from one fresh process per count)"]
        out += _table(["subs", "", "", "threads", "msg/s", "vs 1", "CPU us/msg", "subscribe s", "delivered/sent",
                       "RSS base KiB", "RSS subscribed", "RSS delivered", ""], rows)
    peers = sections.get("peers") or {}
    rows = []
    for variant, s in (peers.get("summary") or {}).items():
        kind = "-" if variant == "bare" else ("typed" if s.get("typed") else "untyped")
        rows.append([variant, kind, s.get("envelope") or "combined", _n(s["rate"]), _ratio(s.get("rate_ratio", 1.0)),
                     _n(s["cpu_us_per_msg"], 1), f"{s['delivered']}/{s['sent']}", str(s["dropped"]),
                     _n(s.get("threads_added"))])
    if rows:
        out += ["", f"Peers (Binance btcusdt@trade flood, {peers.get('messages', 0):,} frames per run; "
                    "bare = websocket-client recv + json.loads)"]
        out += _table(["variant", "delivers", "frames", "msg/s", "vs bare", "CPU us/msg", "delivered/sent", "drops",
                       "threads added"], rows)
    if results["skipped"]:
        out += ["", "Skipped:"] + [f"  {s['section']}: {s['exchange']} {s['case']}: {s['reason']}"
                                   for s in results["skipped"]]
    if results["errors"]:
        out += ["", "Errors:"] + [f"  {e['section']}: {e['case']}: {e['error']}" for e in results["errors"]]
    out += ["", "Targets (DESIGN.md):"]
    for target in results["targets"]:
        value = target["value"]
        if isinstance(value, float) and "/s" in target["target"]:
            shown = f"{value:,.0f}/s"
        else:
            shown = _ratio(value) if isinstance(value, float) else json.dumps(value)
        note = f" -- {target['note']}" if target.get("note") else ""
        out.append(f"  [{'met' if target['met'] else 'NOT MET'}] {target['name']}: {shown} "
                   f"(target {target['target']}){note}")
    return "\n".join(out)


def write(results: dict[str, Any], directory: Path) -> Path:
    """Write the whole run as ``<directory>/<UTC timestamp>-<mode>.json``; return the path."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"{stamp}-{results['config']['mode']}.json"
    path.write_text(json.dumps(results, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    return path
