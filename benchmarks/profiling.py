"""Where exwire's time per message goes: ``python -m benchmarks.profiling [--messages N]``.

Two views of the Kraken flood (not part of ``python -m benchmarks``; run it when a
target is missed):

1. stage costs: each step the reader and a lane perform per message, timed alone
   with ``timeit`` on the same frames (µs per message, no threads, no socket), next
   to what the bare loop does (``recv`` + ``json.loads``). The socket read is timed
   with the flood server, once bare and once through exwire's transport. Then the
   dispatch alone (``deliver`` + the lanes' runs, one thread) with 1, 100 and 1,000
   subscriptions: the scale section's cost without its threads.
2. cProfile of the client's threads (reader and lanes) during one flood of
   ``--messages`` frames, top entries by own time. cProfile slows cheap calls
   several-fold; read it for shares and call counts, not absolute speed.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import pstats
import threading
import time
import timeit
from datetime import datetime, timezone
from typing import Any

__all__ = ["stage_costs", "dispatch_costs", "thread_profile", "main"]


def _per_call(statement: Any, number: int) -> float:
    """Best of 5 repeats, µs per call."""
    return min(timeit.repeat(statement, number=number, repeat=5)) / number * 1e6


def _socket_costs(case: Any, count: int) -> dict[str, float]:
    """CPU µs per frame of reading alone: websocket-client ``recv()`` vs exwire's transport."""
    import websocket

    from benchmarks.exchanges import kraken
    from benchmarks.measure import Window
    from benchmarks.wsserver import FloodServer, encode_flood
    from exwire._core.transport import WebSocketTransport

    blob = encode_flood(case.frames(count, case.symbols, None))
    out = {}
    with FloodServer(kraken.ENTRY.handler) as server:
        for name in ("websocket-client recv()", "exwire WebSocketTransport.recv()"):
            mark = server.mark()
            if name.startswith("websocket"):
                ws = websocket.create_connection(server.url(), skip_utf8_validation=True)
                recv, close = ws.recv, ws.close
                recv()  # systemStatus
            else:
                transport = WebSocketTransport()
                transport.open(server.url(), 10)
                recv, close = (lambda t=transport: t.recv(0.5)), transport.close
                recv()
            connection = server.connection_after(mark)
            window = Window(server).start()
            connection.flood(blob)
            for _ in range(count):
                recv()
            window.stop()
            close()
            out[name] = window.cpu / count * 1e6
    return out


def stage_costs(count: int = 20_000) -> list[tuple[str, float]]:
    """(stage, µs per message) for the Kraken ticker pipeline."""
    import json

    from benchmarks.exchanges import kraken
    from exwire._core.dispatch import Mailbox, Overflow
    from exwire._core.protocol import Update
    from exwire.kraken import converter
    from exwire.kraken.protocol import KrakenProtocol
    from exwire.latest import TICKER, LatestValues
    from exwire.models import DataEvent, UpdateType

    case = kraken.ENTRY.streams[0]
    frames = case.frames(1000, case.symbols, None)
    message = json.loads(frames[0])
    protocol = KrakenProtocol()
    ticker = converter.ticker_from_wire(message[1])
    now = datetime.now(timezone.utc)
    latest = LatestValues()
    mailbox = Mailbox(10_000, Overflow.BLOCK, 10.0)
    cycle = itertools.cycle(frames)
    rows = [(name, value) for name, value in _socket_costs(case, count).items()]
    rows += [
        ("json.loads (ticker frame)", _per_call(lambda: json.loads(next(cycle)), count)),
        ("KrakenProtocol.receive (json + typed)", _per_call(lambda: protocol.receive(next(cycle)), count)),
        ("  converter.ticker_from_wire", _per_call(lambda: converter.ticker_from_wire(message[1]), count)),
        ("  Decimal(str) x 17 (in ticker_from_wire)",
         _per_call(lambda: [converter.Decimal("27000.10000") for _ in range(17)], count)),
        ("  Update(...) namedtuple", _per_call(lambda: Update(("ticker", "XBT/USD"), ticker, "XBT/USD"), count)),
        ("datetime.now(timezone.utc) (per frame)", _per_call(lambda: datetime.now(timezone.utc), count)),
        ("DataEvent(...) (per subscription)",
         _per_call(lambda: DataEvent(ticker, "ticker:XBT/USD", "XBT/USD", now, UpdateType.UPDATE, None), count)),
        ("LatestValues._set (ticker streams)", _per_call(lambda: latest._set(TICKER, "XBT/USD", ticker, now), count)),
        ("Mailbox.put + take_for_lane (no wait)",
         _per_call(lambda: (mailbox.put(1), mailbox.take_for_lane()), count)),
    ]
    return rows


def dispatch_costs(counts: tuple[int, ...] = (1, 100, 1_000), messages: int = 32_000,
                   burst: int = 32) -> list[tuple[int, float]]:
    """(subscriptions, CPU µs per message) of ``SubscriptionRegistry.deliver`` plus the lanes' runs.

    One thread, no socket: ``messages`` events cycling over the subscriptions are
    delivered in bursts of ``burst`` (the reader's read-ahead limit) and, after each
    burst, every lane takes its queue and runs the (trivial) callbacks on this thread.
    The lanes are built without their threads, so this drives the lane's private
    ``_take``/``_run_batch`` directly. Best of 5 rounds of ``time.process_time``.
    """
    from exwire._core import dispatch
    from exwire._core.subscription import SubscriptionRegistry, new_mailbox
    from exwire.models import DataEvent
    from exwire.subscription import Subscription

    lanes = 4  # the clients' default dispatch_threads
    now = datetime.now(timezone.utc)
    rows = []
    for k in counts:
        calls = itertools.count()

        def callback(event: Any, tick: Any = calls) -> None:
            next(tick)

        dispatcher = dispatch.Dispatcher("profile", lanes, lambda exc, event: None)
        dispatcher._lanes = [dispatch._Lane(f"profile-{n}", lambda exc, event: None) for n in range(lanes)]
        registry = SubscriptionRegistry(dispatcher, lambda exc, event: None)
        subscriptions: list[Subscription[Any]] = []
        for n in range(k):
            subscription: Subscription[Any] = Subscription(
                topic=f"ticker:{n}", keys=(n,), callback=callback, connection_name="public",
                mailbox=new_mailbox(10_000, dispatch.Overflow.DROP_OLDEST, None), unsubscribe=lambda s, t: None)
            registry.add(subscription)
            subscriptions.append(subscription)
        items = [(s, DataEvent(i, s.topic, None, now)) for i in range(messages) for s in [subscriptions[i % k]]]
        bursts = [items[i:i + burst] for i in range(0, messages, burst)]
        best = float("inf")
        for _ in range(5):
            started = time.process_time()
            for chunk in bursts:
                registry.deliver(chunk)
                for lane in dispatcher._lanes:
                    if lane.backlog():
                        taken = lane._take()
                        assert taken is not None
                        lane._run_batch(taken)
            best = min(best, time.process_time() - started)
        assert next(calls) == 5 * messages
        rows.append((k, best / messages * 1e6))
    return rows


def thread_profile(messages: int = 50_000, case_kind: str = "ticker", top: int = 30, exchange: str = "kraken",
                   raw: bool = False) -> str:
    """cProfile of the exwire threads during one flood of ``exchange``'s ``case_kind``; the pstats text.

    With ``raw`` the client is built with ``raw=True`` (raw delivery: no models).
    """
    from benchmarks.exchanges import ENTRIES
    from benchmarks.stream import Flood, exwire_stream
    from benchmarks.wsserver import FloodServer

    entry = next(e for e in ENTRIES if e.name == exchange)
    case = next(c for c in entry.streams if c.kind == case_kind)
    client_class, reason = entry.client_class()
    if client_class is None:
        return f"{exchange}: {reason}"
    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()

    def start(frame: Any, event: str, arg: Any) -> None:
        # Runs once at the first event of each new thread: install a per-thread cProfile.
        if threading.current_thread().name.startswith("exwire-"):
            profile = cProfile.Profile()
            with lock:
                profiles.append(profile)
            profile.enable()
        else:
            import sys
            sys.setprofile(None)

    floods = Flood()
    with FloodServer(entry.handler) as server:
        exwire_stream(server, entry, client_class, case, floods, 2_000, case.symbols, 60, raw=raw)  # warm-up
        threading.setprofile(start)
        try:
            started = time.perf_counter()
            result = exwire_stream(server, entry, client_class, case, floods, messages, case.symbols, 120, raw=raw)
            elapsed = time.perf_counter() - started
        finally:
            threading.setprofile(None)  # type: ignore[arg-type]
    stream_out = io.StringIO()
    stats = pstats.Stats(profiles[0], stream=stream_out)
    for profile in profiles[1:]:
        stats.add(profile)
    stats.sort_stats("tottime").print_stats(top)
    mode = "raw delivery, " if raw else ""
    header = (f"cProfile of {len(profiles)} exwire threads, {mode}{exchange} {case_kind} flood of {messages:,} frames: "
              f"{result['delivered']:,} delivered in {elapsed:.2f} s under the profiler\n")
    return header + stream_out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profiling", description=__doc__)
    parser.add_argument("--messages", type=int, default=50_000, help="frames in the profiled flood")
    parser.add_argument("--exchange", default="kraken", help="whose flood to profile (default kraken)")
    parser.add_argument("--case", default="ticker", help="the stream case, e.g. ticker, trade, book, user-data")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--no-stages", action="store_true", help="skip the stage costs")
    parser.add_argument("--raw", action="store_true", help="profile a raw-delivery client (raw=True)")
    args = parser.parse_args(argv)
    if not args.no_stages:
        print("Stage costs, Kraken ticker (µs per message, CPU; best of 5):")
        for name, value in stage_costs():
            print(f"  {value:8.2f}  {name}")
        print()
        print("Dispatch, deliver + lane runs on one thread (CPU µs per message; best of 5):")
        for k, value in dispatch_costs():
            print(f"  {value:8.3f}  {k:,} subscription(s)")
        print()
    print(thread_profile(args.messages, args.case, args.top, args.exchange, raw=args.raw))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
