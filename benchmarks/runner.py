"""Runs every section in the alternating schedule and collects every run.

Sections: ``stream`` (throughput), ``request`` (round trip and 8 callers), ``book``
(order book maintenance), ``scale`` (1/100/1,000 subscriptions) and, with
``--peers`` only, ``peers`` (exwire, the bare loop and the installed peers on one
Binance trade flood, :mod:`benchmarks.peers`). Each measured
variant of a pair (or triple) runs once per round, in the order A B, B A, A B ...
(:func:`benchmarks.measure.schedule`), after one unrecorded warm-up run each.
A case that fails is recorded with its error; the others still run.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from benchmarks import book, request, scale, stream
from benchmarks.exchanges import ENTRIES
from benchmarks.exchanges.base import Exchange
from benchmarks.measure import schedule
from benchmarks.replay_server import ReplayServer
from benchmarks.wsserver import FloodServer

__all__ = ["Config", "QUICK", "FULL", "run"]


@dataclass(frozen=True)
class Config:
    """Sizes of one benchmark run (``--quick`` or full)."""

    mode: str
    rounds: int = 4
    stream_messages: int = 20_000
    stream_warmup: int = 2_000
    raw_all_cases: bool = True  # keep_raw variant for every stream case, else only for the first case run
    request_count: int = 2_000
    request_warmup: int = 100
    concurrent_threads: int = 8
    concurrent_count: int = 300  # requests per caller thread
    book_passes: int = 5
    replay: bool = True
    replay_rounds: int = 12  # a replay run is short (about 40 ms): more rounds than the others
    scale_counts: tuple[int, ...] = (1, 100, 1_000)
    scale_messages: int = 20_000
    scale_rounds: int = 12  # a scale run is short too (about 100 ms) and runs five threads: more rounds
    timeout: float = 120.0
    peers_messages: int = 20_000
    peers_warmup: int = 2_000
    peers: tuple[str, ...] = field(default_factory=tuple)  # empty: every peer installed
    sections: tuple[str, ...] = ("stream", "request", "book", "scale")
    exchanges: tuple[str, ...] = field(default_factory=tuple)  # empty: all


FULL = Config(mode="full")
QUICK = Config(
    mode="quick",
    stream_messages=2_000,
    stream_warmup=300,
    raw_all_cases=False,
    request_count=150,
    request_warmup=20,
    concurrent_count=20,
    book_passes=1,
    replay_rounds=2,
    scale_messages=1_500,
    scale_rounds=2,
    peers_messages=1_000,
    peers_warmup=200,
    timeout=60.0,
)


def _say(message: str) -> None:
    print(message, flush=True)


def _error(section: str, name: str, exc: BaseException) -> dict[str, Any]:
    _say(f"  ! {section} {name} failed: {type(exc).__name__}: {exc}")
    return {"section": section, "case": name, "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(limit=8)}


def _paired(variants: list[str], rounds: int, run_one: Callable[[str, int], dict[str, Any]],
            warmup: Callable[[str], Any] | None = None) -> list[dict[str, Any]]:
    """Run each variant once unrecorded (``warmup``), then ``rounds`` alternating rounds."""
    if warmup is not None:
        for variant in variants:
            warmup(variant)
    runs = []
    for number, variant in schedule(variants, rounds):
        result = run_one(variant, number)
        result["round"] = number
        runs.append(result)
    return runs


def _entries(config: Config) -> list[Exchange]:
    return [e for e in ENTRIES if not config.exchanges or e.name in config.exchanges]


def _available(config: Config, kind: str, skipped: list[dict[str, Any]] | None) -> list[tuple[Exchange, type, Any]]:
    """(entry, client class, case) for every case of ``kind`` that can run; the rest into ``skipped``
    (and printed), unless ``skipped`` is ``None``."""
    ready = []
    for entry in _entries(config):
        cases = entry.streams if kind == "stream" else entry.requests
        if not cases:
            continue
        client_class, reason = entry.client_class()
        for case in cases:
            name = case.kind if kind == "stream" else case.name
            why = reason or Exchange.missing(client_class, case.needs)  # type: ignore[arg-type]
            if why:
                if skipped is not None:
                    skipped.append({"section": kind, "exchange": entry.name, "case": name, "reason": why})
                    _say(f"  - skipped {entry.name} {name}: {why}")
            else:
                ready.append((entry, client_class, case))
    return ready


# -- sections ------------------------------------------------------------------------------


def stream_section(config: Config, skipped: list, errors: list) -> list[dict[str, Any]]:
    _say(f"stream throughput: {config.stream_messages:,} frames per run, {config.rounds} rounds")
    cases = []
    floods = stream.Flood()
    for number, (entry, client_class, case) in enumerate(_available(config, "stream", skipped)):
        raw = config.raw_all_cases or number == 0
        variants = ["bare", "exwire"] + (["exwire_raw", "exwire_raw_delivery"] if raw else [])
        symbols = list(case.symbols)
        _say(f"  {entry.name} {case.kind}: {' / '.join(variants)}")
        try:
            with FloodServer(entry.handler) as server:
                def run_one(variant: str, _round: int, count: int = config.stream_messages) -> dict[str, Any]:
                    if variant == "bare":
                        return stream.bare_stream(server, entry, case, floods, count, symbols, config.timeout)
                    return stream.exwire_stream(server, entry, client_class, case, floods, count, symbols,
                                                config.timeout, keep_raw=variant == "exwire_raw",
                                                raw=variant == "exwire_raw_delivery", variant=variant)

                runs = _paired(variants, config.rounds, run_one,
                               warmup=lambda variant: run_one(variant, -1, config.stream_warmup))
            cases.append({"exchange": entry.name, "case": case.kind, "messages": config.stream_messages,
                          "runs": runs})
        except Exception as exc:
            errors.append(_error("stream", f"{entry.name} {case.kind}", exc))
    return cases


def request_section(config: Config, skipped: list, errors: list) -> list[dict[str, Any]]:
    _say(f"request round trip: {config.request_count:,} sequential requests per run, "
         f"{config.concurrent_threads} threads x {config.concurrent_count:,} concurrent, {config.rounds} rounds")
    cases = []
    for entry, client_class, case in _available(config, "request", skipped):
        _say(f"  {entry.name} {case.name}")
        try:
            with FloodServer(entry.handler) as server:
                def latency(variant: str, _round: int, count: int = config.request_count) -> dict[str, Any]:
                    if variant == "bare":
                        return request.bare_latency(server, entry, case, count, config.request_warmup,
                                                    config.timeout)
                    return request.exwire_latency(server, entry, client_class, case, count, config.request_warmup,
                                                  config.timeout)

                def concurrent(variant: str, _round: int) -> dict[str, Any]:
                    if variant == "bare":
                        return request.bare_concurrent(server, entry, case, config.concurrent_threads,
                                                       config.concurrent_count, config.timeout)
                    return request.exwire_concurrent(server, entry, client_class, case, config.concurrent_threads,
                                                     config.concurrent_count, config.timeout)

                latency_runs = _paired(["bare", "exwire"], config.rounds, latency,
                                       warmup=lambda v: latency(v, -1, config.request_warmup))
                concurrent_runs = _paired(["bare", "exwire"], config.rounds, concurrent)
            cases.append({"exchange": entry.name, "request": case.name, "latency_runs": latency_runs,
                          "concurrent_runs": concurrent_runs})
        except Exception as exc:
            errors.append(_error("request", f"{entry.name} {case.name}", exc))
    return cases


def book_section(config: Config, skipped: list, errors: list) -> dict[str, Any]:
    path, reason = book.capture_path()
    if path is None:
        _say(f"order book: skipped: {reason}")
        skipped.append({"section": "book", "exchange": "kraken", "case": "capture replay", "reason": reason})
        return {"skipped": reason}
    frames = book.load_capture(path)
    _say(f"order book: {path.name}, {len(frames):,} channel messages x {config.book_passes} passes, "
         f"{config.rounds} rounds")
    result: dict[str, Any] = {"capture": str(path), "frames": len(frames), "passes": config.book_passes}
    try:
        result["offline_runs"] = _paired(["parse", "decode", "maintain", "maintain_models", "maintain_raw"], config.rounds,
                                         lambda v, _r: book.offline(v, frames, config.book_passes),
                                         warmup=lambda v: book.offline(v, frames[:500], 1))
    except Exception as exc:
        errors.append(_error("book", "offline", exc))
    if not config.replay:
        return result
    try:
        from exwire.testing import KrakenEmulator  # noqa: F401 (the replay server's; optional, as websockets is)
    except Exception as exc:
        reason = f"exwire.testing.KrakenEmulator unavailable: {type(exc).__name__}: {exc}"
        skipped.append({"section": "book", "exchange": "kraken", "case": "client replay", "reason": reason})
        _say(f"  - skipped full-client replay: {reason}")
        return result
    try:
        with ReplayServer(path, config.timeout) as emulator:
            def replay(variant: str, _round: int) -> dict[str, Any]:
                if variant == "bare":
                    return book.bare_replay(emulator, len(frames), config.timeout)
                return book.exwire_replay(emulator, len(frames), config.timeout)

            result["replay_runs"] = _paired(["bare", "exwire"], config.replay_rounds, replay, warmup=lambda v: replay(v, -1))
    except Exception as exc:
        errors.append(_error("book", "client replay", exc))
    return result


def scale_section(config: Config, skipped: list, errors: list) -> dict[str, Any]:
    counts = list(config.scale_counts)
    _say(f"scale: {', '.join(f'{k:,}' for k in counts)} subscriptions, {config.scale_messages:,} frames per run, "
         f"{config.scale_rounds} rounds")
    ready = [(e, c, s) for e, c, s in _available(config, "stream", None) if s.scale_symbols is not None]
    if not ready:
        reason = "no client with a scalable stream (Kraken ticker) is available"
        skipped.append({"section": "scale", "exchange": "-", "case": "scale", "reason": reason})
        return {"skipped": reason}
    entry, client_class, case = ready[0]
    result: dict[str, Any] = {"exchange": entry.name, "case": case.kind, "messages": config.scale_messages}
    floods = stream.Flood()
    try:
        with FloodServer(entry.handler) as server:
            def run_one(variant: str, _round: int, count: int = config.scale_messages) -> dict[str, Any]:
                k = int(variant)
                symbols = case.scale_symbols(k)
                run = stream.exwire_stream(server, entry, client_class, case, floods, count, symbols, config.timeout,
                                           subscriptions=k, variant=variant)
                run["subscriptions"] = k
                return run

            # One warm-up, with the smallest count: the code paths are the same for all.
            result["runs"] = _paired([str(k) for k in counts], config.scale_rounds, run_one,
                                     warmup=lambda v: run_one(v, -1, 500) if v == str(counts[0]) else None)
    except Exception as exc:
        errors.append(_error("scale", "delivery", exc))
    try:
        result["memory"] = scale.memory_probes(counts, config.scale_messages, config.timeout)
    except Exception as exc:
        errors.append(_error("scale", "memory", exc))
    return result


def peers_section(config: Config, skipped: list, errors: list) -> dict[str, Any]:
    import logging

    from benchmarks.peers import run as peers
    from benchmarks.peers.server import BinanceStreamHandler

    ready, missing = peers.available(config.peers)
    for peer, reason in missing:
        skipped.append({"section": "peers", "exchange": "binance", "case": peer.name, "reason": reason})
        _say(f"  - skipped peer {peer.name}: {reason}")
    kraken = "Kraken v1 flood: no installed peer adapter speaks Kraken v1 here (cryptofeed's is not written)"
    skipped.append({"section": "peers", "exchange": "kraken", "case": "trade flood", "reason": kraken})
    _say(f"  - skipped {kraken}")
    variants = ["bare"] + [peer.name for peer in ready]
    by_name = {peer.name: peer for peer in ready}
    _say(f"peers: Binance btcusdt@trade flood, {config.peers_messages:,} frames per run, {config.rounds} rounds: "
         + " / ".join(variants))
    result: dict[str, Any] = {"exchange": "binance", "case": "trade", "messages": config.peers_messages,
                              "peers": {p.name: {"typed": p.typed, "envelope": p.envelope} for p in ready}}
    failed: set[str] = set()
    logging.disable(logging.ERROR)  # peers log every dropped frame; failures show as errors/drops below
    try:
        with FloodServer(BinanceStreamHandler) as server:
            def run_one(variant: str, _round: int, count: int = config.peers_messages) -> dict[str, Any]:
                if variant == "bare":
                    return peers.bare_run(server, count, config.timeout)
                if variant in failed:
                    return {"variant": variant, "sent": count, "delivered": 0, "dropped": count, "rate": None,
                            "cpu_us_per_msg": None, "failed": True}
                try:
                    return peers.peer_run(server, by_name[variant], count, config.timeout)
                except Exception as exc:
                    failed.add(variant)
                    errors.append(_error("peers", variant, exc))
                    return {"variant": variant, "sent": count, "delivered": 0, "dropped": count, "rate": None,
                            "cpu_us_per_msg": None, "failed": True}

            result["runs"] = _paired(variants, config.rounds, run_one,
                                     warmup=lambda variant: run_one(variant, -1, config.peers_warmup))
    except Exception as exc:
        errors.append(_error("peers", "section", exc))
    finally:
        logging.disable(logging.NOTSET)
    return result


SECTIONS = {"stream": stream_section, "request": request_section, "book": book_section, "scale": scale_section,
            "peers": peers_section}


def run(config: Config) -> dict[str, Any]:
    """Run the configured sections; return the raw results (every run), not yet summarised."""
    skipped: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    sections: dict[str, Any] = {}
    started = time.perf_counter()
    for name in config.sections:
        section_started = time.perf_counter()
        try:
            sections[name] = SECTIONS[name](config, skipped, errors)
        except Exception as exc:
            errors.append(_error(name, "section", exc))
            sections[name] = {"error": f"{type(exc).__name__}: {exc}"}
        _say(f"  ({name}: {time.perf_counter() - section_started:.1f} s)")
    return {"config": asdict(config), "sections": sections, "skipped": skipped, "errors": errors,
            "seconds": round(time.perf_counter() - started, 2)}
