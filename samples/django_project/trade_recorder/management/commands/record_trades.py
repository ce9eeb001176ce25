"""``python manage.py record_trades``: stream an exchange's trades into the ``Trade`` table.

    python manage.py record_trades --exchange kraken --symbol BTC/USD --seconds 5   # emulator
    python manage.py record_trades --exchange okex --symbol BTC/USDT --live         # until Ctrl-C

Every exchange through ``client.shared``: the symbol is ``BASE/QUOTE`` and each row holds
the neutral :class:`exwire.Trade`'s fields, so the columns mean the same whatever the
exchange: ``symbol`` ``BASE/QUOTE``, ``side`` the taker's side ``"buy"`` / ``"sell"``
(``""`` where the exchange does not say), ``traded_at`` the exchange's (aware, UTC) trade
time, ``received_at`` when exwire read the frame.

Threads and database connections. Django keeps one database connection per thread
and a connection may only be used and closed by the thread that opened it. exwire
runs callbacks on its own lane threads (``exwire-<exchange>-dispatch-<n>``), which
Django knows nothing about: an ORM write there opens a connection on that lane that
nobody closes when the lane stops (and that ``close_old_connections`` on the main
thread cannot reach). Calling ``close_old_connections()`` / ``connection.close()``
inside every callback would work but reconnects per update on a server database.

So this command marshals the callbacks to its own (main) thread with a
:class:`exwire.hosts.PollingExecutor`: the callback only turns the update into
unsaved ``Trade`` objects; the main loop writes each batch with one
``bulk_create`` in one transaction, on the main thread's connection, which Django
manages as usual (``close_old_connections`` before each batch honours
``CONN_MAX_AGE`` and drops a broken connection; ``connection.close()`` at the end).
The subscription's bounded queue sits between the socket and this loop: when the
database is slower than the market, the client's overflow policy applies instead
of memory growing. Ctrl-C (``KeyboardInterrupt``) and the deadline both end the
loop; the client is closed, the trades already received are stored, and the
command returns normally.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection, transaction

import exwire
from exwire import ExwireError, Feature
from exwire.hosts import PollingExecutor, get_exchange
from exwire.shared import split_symbol
from trade_recorder.models import Trade


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C back until the block ends, then raise it.

    A ``KeyboardInterrupt`` landing between a batch's commit and its removal from the
    received list would have the batch written twice (the second time failing on its
    primary keys); deferred, it lands after the rows are written and counted.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []

    def remember(signum: int, frame: FrameType | None) -> None:
        pending.append(signum)

    previous = signal.signal(signal.SIGINT, remember)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)
    if pending:
        raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Stream trades of one symbol from an exchange (its emulator by default) into the Trade table."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--exchange", default="kraken", help="exchange name (default kraken)")
        parser.add_argument("--symbol", help="BASE/QUOTE symbol, e.g. BTC/USDT (default: the exchange's example)")
        parser.add_argument("--seconds", type=float, help="stop after this many seconds (default: at Ctrl-C)")
        parser.add_argument("--count", type=int, help="stop after storing this many trades")
        parser.add_argument("--batch", type=int, default=500, help="most trades written per transaction")
        source = parser.add_mutually_exclusive_group()
        source.add_argument("--emulator", action="store_true",
                            help="run the exchange's emulator in this process (the default)")
        source.add_argument("--live", action="store_true", help="connect to the production exchange")
        source.add_argument("--url", help="connect to this endpoint (e.g. an `exwire emulate` server)")

    def handle(self, *args: Any, **options: Any) -> None:
        seconds, count, batch = options["seconds"], options["count"], options["batch"]
        if seconds is not None and seconds <= 0:
            raise CommandError("--seconds must be positive")
        if count is not None and count < 1:
            raise CommandError("--count must be at least 1")
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        try:
            exchange = get_exchange(options["exchange"])
            if Feature.TRADE_STREAM not in exchange.features:
                raise CommandError(f"{exchange.name} has no trade stream")
            base, quote = split_symbol(options["symbol"] or exchange.example_symbol)
        except ExwireError as exc:
            raise CommandError(str(exc)) from exc
        symbol = f"{base}/{quote}"

        received: list[Trade] = []  # filled by on_trades, emptied by _store: main thread only

        def on_trades(event: exwire.DataEvent[list[exwire.Trade]]) -> None:
            # Runs on this command's thread, inside host.run_pending(): no database here,
            # only objects to save with the next batch.
            received.extend(self._row(exchange.name, trade, event.received_at) for trade in event.data)

        def on_callback_error(exc: BaseException, event: Any) -> None:
            # Callbacks run on this (main) thread, where Ctrl-C lands; exwire reports what
            # a callback raised here instead of propagating it, so hand Ctrl-C back.
            if isinstance(exc, KeyboardInterrupt):
                raise exc

        deadline = None if seconds is None else time.monotonic() + seconds
        stored = 0
        host = PollingExecutor()
        try:
            with host, exchange.open(live=options["live"], url=options["url"], callback_executor=host,
                                     on_callback_error=on_callback_error) as client:
                client.shared.subscribe_to_trade_updates(symbol, on_trades)
                self.stdout.write(f"recording {exchange.name} {symbol} trades into {connection.settings_dict['NAME']}")
                self.stdout.flush()
                while count is None or stored < count:
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        break
                    if host.wait(remaining):
                        host.run_pending(max_items=batch)
                        with _interrupts_deferred():
                            stored += self._store(received, batch, None if count is None else count - stored)
        except KeyboardInterrupt:
            self.stdout.write("interrupted")
        except ExwireError as exc:
            raise CommandError(f"{type(exc).__name__}: {exc}") from exc
        finally:
            # The client is closed; what already arrived is kept (up to --count).
            with _interrupts_deferred():
                stored += self._store(received, len(received), None if count is None else count - stored)
            connection.close()
        self.stdout.write(f"stored {stored} trades")

    @staticmethod
    def _row(exchange: str, trade: exwire.Trade, received_at: datetime) -> Trade:
        """An unsaved row of one neutral trade: the same columns for every exchange."""
        return Trade(
            exchange=exchange,
            symbol=trade.symbol,
            price=trade.price,
            quantity=trade.quantity,
            side="" if trade.side is None else trade.side.value,
            traded_at=trade.time,
            received_at=received_at,
        )

    @staticmethod
    def _store(received: list[Trade], batch: int, limit: int | None) -> int:
        """Write up to ``limit`` received trades in transactions of ``batch``; return how many."""
        if limit is not None:
            del received[max(limit, 0):]
        written = 0
        while received:
            chunk = received[:batch]
            close_old_connections()
            with transaction.atomic():
                Trade.objects.bulk_create(chunk)
            del received[:len(chunk)]
            written += len(chunk)
        return written
