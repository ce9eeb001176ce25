"""Order book: Kraken book updates applied and checksummed per second, on a real capture.

The capture ``kraken/cryptofeed/KRAKEN.ws.50.0`` (ten pairs at depth 1000, 4,269
checksummed updates) is read in place from ``<repository root>/../shared/fixtures``.

Offline, in a loop over the capture's channel arrays (no sockets, no threads):

* ``parse``: ``json.loads`` only — the floor;
* ``decode``: + ``exwire.kraken.converter.book_from_wire`` (typed levels, read once: an
  update decoded on first read is decoded here too);
* ``maintain``: what the client's ``watch_order_book`` does with each message: the
  frame parsed as the Kraken protocol parses it (``exwire._core.codec.loads``, orjson;
  the other variants use ``json.loads``), then
  ``exwire.kraken.converter.watched_book_from_wire`` (``(price, quantity)`` pairs, no
  level models), applied to an ``exwire.orderbook.OrderBook`` per pair as the client's
  watcher applies it (``exwire.kraken.book.apply_update``: the kept pairs applied, the
  checksum ``c`` taken from them, no model filled), and
  ``exwire.kraken.book.checksum`` compared with every update's ``c`` (DESIGN.md's
  target is on this one);
* ``maintain_models``: the eager path, ``book_from_wire(..., lazy=False)`` (typed level
  models) then ``exwire.kraken.book.apply`` and the same checksums (what code holding
  decoded updates does);
* ``maintain_raw``: ``json.loads``, then ``exwire.kraken.book.apply_wire`` straight from
  the decoded JSON (no models: what raw delivery allows) and the same checksums.

Through the full client (``replay`` pair), when ``exwire.testing.KrakenEmulator``
is there: the emulator replays the capture to a ``KrakenClient`` with one
``watch_order_book`` per pair (every checksum verified), against a bare
websocket-client that subscribes the same books and ``json.loads`` every frame.
The emulator starts the replay once every captured pair is subscribed: each clock
starts before the subscription that completes the set (the bare client's one
request for all pairs, exwire's last ``watch_order_book``).
The emulator runs in a process of its own (:mod:`benchmarks.replay_server`), as an
exchange would: its per-frame ``websockets`` sends would otherwise take the client's GIL,
and the figures would be the emulator's and its thread's scheduling. CPU figures are the
client process's alone.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.measure import Window, blocking

__all__ = ["CAPTURE", "capture_path", "load_capture", "offline", "bare_replay", "exwire_replay"]

CAPTURE = ("kraken", "cryptofeed", "KRAKEN.ws.50.0")
REPO_ROOT = Path(__file__).resolve().parent.parent


def capture_path() -> tuple[Path | None, str | None]:
    """The capture's path, or ``(None, reason)`` when ../shared/fixtures is not beside the repository."""
    path = REPO_ROOT.parent.joinpath("shared", "fixtures", *CAPTURE)
    if not path.is_file():
        return None, f"capture {path} is absent (shared/fixtures is not beside the repository)"
    return path, None


def load_capture(path: Path) -> list[str]:
    """The received channel arrays of a cryptofeed log, as their raw JSON texts."""
    frames = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            head, _, body = line.partition(": ")
            if " <-> " in line or " <- " in head or not body.startswith("["):
                continue
            frames.append(body.rstrip("\n"))
    return frames


def offline(variant: str, frames: list[str], passes: int) -> dict[str, Any]:
    """Run ``variant`` over ``frames`` ``passes`` times (each pass starts with the snapshots)."""
    from exwire.kraken import book as kraken_book
    from exwire.kraken.converter import book_from_wire
    from exwire.orderbook import OrderBook

    loads = json.loads
    apply, checksum = kraken_book.apply, kraken_book.checksum
    verified = mismatched = 0
    window = Window().start()
    if variant == "parse":
        for _ in range(passes):
            for text in frames:
                loads(text)
    elif variant == "decode":
        for _ in range(passes):
            for text in frames:
                book_from_wire(loads(text)[1:-2])[1].asks  # noqa: B018 - a lazy update decodes on first read
    elif variant == "maintain_raw":
        apply_wire = kraken_book.apply_wire
        for _ in range(passes):
            raw_books: dict[str, OrderBook] = {}
            for text in frames:
                message = loads(text)
                pair = message[-1]
                book = raw_books.get(pair)
                if book is None:
                    book = raw_books[pair] = OrderBook(int(message[-2].partition("-")[2]))
                expected = apply_wire(book, message[1:-2])
                if expected is not None:
                    if checksum(book) == expected:
                        verified += 1
                    else:
                        mismatched += 1
    elif variant == "maintain":
        from exwire._core.codec import loads as client_loads  # what KrakenProtocol.receive parses with
        from exwire.kraken.converter import watched_book_from_wire

        apply_update = kraken_book.apply_update
        for _ in range(passes):
            watched: dict[str, OrderBook] = {}
            for text in frames:
                message = client_loads(text)
                _, update = watched_book_from_wire(message[1:-2])  # as watch_order_book decodes
                pair = message[-1]
                book = watched.get(pair)
                if book is None:
                    book = watched[pair] = OrderBook(int(message[-2].partition("-")[2]))
                expected = apply_update(book, update)  # the client's watcher applies it so
                if expected is not None:
                    if checksum(book) == expected:
                        verified += 1
                    else:
                        mismatched += 1
    elif variant == "maintain_models":
        for _ in range(passes):
            books: dict[str, OrderBook] = {}
            for text in frames:
                message = loads(text)
                _, update = book_from_wire(message[1:-2], lazy=False)  # every level model built
                pair = message[-1]
                book = books.get(pair)
                if book is None:
                    book = books[pair] = OrderBook(int(message[-2].partition("-")[2]))
                apply(book, update)
                if update.checksum is not None:
                    if checksum(book) == update.checksum:
                        verified += 1
                    else:
                        mismatched += 1
    else:
        raise ValueError(f"unknown offline variant {variant!r}")
    window.stop()
    messages = len(frames) * passes
    result = {
        "variant": variant,
        "messages": messages,
        "seconds": round(window.wall, 6),
        "rate": round(messages / window.wall, 1),
        "cpu_us_per_msg": round(window.cpu / messages * 1e6, 2),
    }
    if variant.startswith("maintain"):
        result.update(checksums_verified=verified, checksums_mismatched=mismatched,
                      checksums_per_second=round(verified / window.wall, 1))
    return result


def _wait(predicate: Any, timeout: float, tick: float = 0.001) -> bool:
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not predicate():
        if time.monotonic() > deadline:
            return False
        pause.wait(tick)
    return True


def bare_replay(emulator: Any, expected_frames: int, timeout: float) -> dict[str, Any]:
    """A bare websocket-client subscribes every captured book and parses every frame."""
    import websocket

    channel = emulator.replay_channel
    ws = websocket.create_connection(emulator.url, timeout=timeout, skip_utf8_validation=True)
    try:
        ws.recv()  # systemStatus
        request = {"event": "subscribe", "reqid": 1, "pair": emulator.replay_pairs, "subscription": channel}
        loads, recv = json.loads, ws.recv
        seen = 0
        with blocking(ws, timeout):
            window = Window().start()
            ws.send(json.dumps(request))
            while seen < expected_frames:
                if type(loads(recv())) is list:
                    seen += 1
            window.stop()
    finally:
        ws.close(timeout=1)
    return {"variant": "bare", "messages": seen, "seconds": round(window.wall, 6),
            "rate": round(seen / window.wall, 1), "cpu_us_per_msg": round(window.cpu / seen * 1e6, 2)}


def exwire_replay(emulator: Any, expected_frames: int, timeout: float) -> dict[str, Any]:
    """A KrakenClient maintains every captured book; done when every checksum was checked."""
    from exwire import KrakenClient

    depth = int(emulator.replay_channel.get("depth", 10))
    expected = emulator.replay_book_updates
    client = KrakenClient(**emulator.client_kwargs())
    try:
        client.ping()  # open the connection outside the clock
        # The emulator replays once every captured pair is subscribed: all but the last
        # subscribe outside the clock, so both variants' windows hold one subscribe round trip.
        *first, last = emulator.replay_pairs
        watchers = [client.watch_order_book(pair, depth) for pair in first]
        window = Window().start()
        watchers.append(client.watch_order_book(last, depth))
        checked = lambda: sum(w.checksums_verified + w.checksums_mismatched for w in watchers)  # noqa: E731
        finished = _wait(lambda: checked() >= expected, timeout)
        window.stop()
        verified = sum(w.checksums_verified for w in watchers)
        mismatched = sum(w.checksums_mismatched for w in watchers)
    finally:
        client.close()
    return {"variant": "exwire", "messages": expected_frames, "seconds": round(window.wall, 6),
            "rate": round(expected_frames / window.wall, 1),
            "cpu_us_per_msg": round(window.cpu / expected_frames * 1e6, 2),
            "checksums_verified": verified, "checksums_mismatched": mismatched,
            "checksums_expected": expected, "timed_out": not finished}
