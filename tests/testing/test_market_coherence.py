"""The generated market of the Kraken, CoinEx, OKEx and Coinsuper emulators is coherent.

A real client subscribes over the wire to the book (a maintained watcher), the ticker,
the trades and (Kraken) the spread of one pair, and every sample must hold:

* every book state is uncrossed: best bid < best ask;
* every ticker has bid <= last <= ask;
* the ticker's and the spread's bid/ask are the book's best: each one equals the top of
  a book state, in the order they came (the book of a tick is sent before its ticker);
* trades happen at the touch: the prices of each trade frame lie within the best bid
  and ask of a book state, in order;
* a ticker's last price is the last trade's price.

Streams run on different dispatcher lanes, so samples are matched by order, never by
time: each stream's values must appear, in arrival order, as a subsequence of the book
states. The defects this catches: the Kraken book lived apart from the ticker (its best
bid at or above the ticker's ask in 79 of 80 samples), Coinsuper traded at 6684.18 with
its best ask at 6676.25.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from exwire import DataEvent, Feature, UpdateType
from exwire.coinex import CoinexClient
from exwire.coinex.models import Depth
from exwire.coinsuper import CoinsuperClient
from exwire.kraken import KrakenClient
from exwire.models import Ticker, Trade
from exwire.okex import OkexClient
from exwire.okx import OkxClient
from exwire.orderbook import BookSnapshot, OrderBook
from exwire.testing import CoinexEmulator, CoinsuperEmulator, KrakenEmulator, OkexEmulator
from exwire.testing.okx import OkxEmulator
from tests.conftest import timeout

SAMPLES = 60  # ticker (or trade) frames sampled per exchange
TAIL = 3  # book states waited for after the last sample (its own tick's book came first)

Top = tuple[Decimal, Decimal]


class Recorder:
    """Records every stream of one pair; thread-safe (callbacks run on several lanes)."""

    def __init__(self) -> None:
        self.books: list[Top] = []  # distinct consecutive tops of the book states
        self.snapshots = 0
        self.crossed: list[BookSnapshot] = []
        self.tickers: list[DataEvent[Ticker]] = []
        self.spreads: list[Top] = []
        self.trades: list[DataEvent[list[Trade]]] = []
        self.sampling = True
        self.watcher: Any = None
        self._changed = threading.Condition()

    def on_book(self, snapshot: BookSnapshot) -> None:
        if not snapshot.bids or not snapshot.asks:
            return
        with self._changed:
            self.snapshots += 1
            top = (snapshot.bids[0].price, snapshot.asks[0].price)
            if top[0] >= top[1]:
                self.crossed.append(snapshot)
            if not self.books or self.books[-1] != top:
                self.books.append(top)
            self._changed.notify_all()

    def on_ticker(self, event: DataEvent[Ticker]) -> None:
        with self._changed:
            if self.sampling:
                self.tickers.append(event)
                self._changed.notify_all()

    def on_spread(self, event: DataEvent[Any]) -> None:
        with self._changed:
            if self.sampling:
                self.spreads.append((event.data.bid_price, event.data.ask_price))

    def on_trades(self, event: DataEvent[list[Trade]]) -> None:
        with self._changed:
            if self.sampling and event.update_type is not UpdateType.SNAPSHOT and event.data:
                self.trades.append(event)
                self._changed.notify_all()

    def wait(self, predicate: Callable[[], bool], what: str, seconds: float = 20.0) -> None:
        with self._changed:
            assert self._changed.wait_for(predicate, timeout(seconds)), \
                f"{what}: {len(self.books)} book states, {len(self.tickers)} tickers, {len(self.trades)} trades"

    def stop_sampling_and_drain(self) -> None:
        """Stop recording tickers, spreads and trades, then wait for TAIL more book states,
        so the book state of every recorded sample has arrived."""
        with self._changed:
            self.sampling = False
            snapshots = self.snapshots
        self.wait(lambda: self.snapshots >= snapshots + TAIL, "book states after the last sample")


def _subsequence(values: list[Any], books: list[Top], fits: Callable[[Any, Top], bool]) -> list[int]:
    """Match each value, in order, to the earliest book state at or after the previous
    match that ``fits`` it; return the matched indexes (fails on the first miss)."""
    matched, position = [], 0
    for number, value in enumerate(values):
        while position < len(books) and not fits(value, books[position]):
            position += 1
        assert position < len(books), (
            f"sample {number} ({value}) matches no book state in order; book states around the previous "
            f"match: {books[max(0, (matched or [0])[-1] - 2):(matched or [0])[-1] + 4]}")
        matched.append(position)
    return matched


def _check(recorder: Recorder) -> None:
    books = recorder.books
    assert not recorder.crossed, f"crossed book states: {recorder.crossed[:3]}"
    assert recorder.snapshots >= SAMPLES // 3, f"only {recorder.snapshots} book states"
    # Tickers: internally coherent, and their bid/ask are the book's best.
    tickers = [event.data for event in recorder.tickers]
    for ticker in tickers:
        if ticker.bid_price is not None and ticker.ask_price is not None and ticker.last_price is not None:
            assert ticker.bid_price <= ticker.last_price <= ticker.ask_price, ticker
    quoted = [(t.bid_price, t.ask_price) for t in tickers if t.bid_price is not None and t.ask_price is not None]
    _subsequence(quoted, books, lambda top, book: top == book)
    _subsequence(recorder.spreads, books, lambda top, book: top == book)
    # Trades at the touch.
    frames = [[trade.price for trade in event.data] for event in recorder.trades]
    _subsequence(frames, books, lambda prices, book: all(book[0] <= p <= book[1] for p in prices))
    # A ticker's last is the last trade (tickers read once the trade stream had started).
    if recorder.trades and tickers:
        # Only tickers read between the first and the last trade frame recorded: sampling
        # stops between a tick's ticker and its trades.
        first_trade, last_trade = recorder.trades[0].received_at, recorder.trades[-1].received_at
        lasts = [event.data.last_price for event in recorder.tickers
                 if first_trade < event.received_at < last_trade and event.data.last_price is not None]
        trade_lasts = [(event.data[-1].price, event.data[-1].price) for event in recorder.trades]
        _subsequence(lasts, trade_lasts, lambda last, trade: last == trade[0])
        # And it lies between the best bid and ask of the book state of its tick.
        _subsequence(lasts, books, lambda last, book: book[0] <= last <= book[1])


def _sample(client: Any, shared_symbol: str, watch: Callable[[Recorder], Any],
            spread: Callable[[Recorder], Any] | None = None) -> Recorder:
    recorder = Recorder()
    watcher = recorder.watcher = watch(recorder)
    assert watcher.wait_synced(timeout(10))
    if Feature.TICKER_STREAM in client.shared.features:
        client.shared.subscribe_to_ticker_updates(shared_symbol, recorder.on_ticker)
    if spread is not None:
        spread(recorder)
    client.shared.subscribe_to_trade_updates(shared_symbol, recorder.on_trades)
    if Feature.TICKER_STREAM in client.shared.features:
        recorder.wait(lambda: len(recorder.tickers) >= SAMPLES, "tickers")
    recorder.wait(lambda: len(recorder.trades) >= SAMPLES // 3, "trades")
    recorder.stop_sampling_and_drain()
    return recorder


@pytest.fixture
def kraken() -> Iterator[tuple[KrakenEmulator, KrakenClient]]:
    with KrakenEmulator(seed=3, push_interval=0.01) as emu, KrakenClient(**emu.client_kwargs()) as client:
        yield emu, client


def test_kraken_book_ticker_spread_and_trades_agree(kraken: tuple[KrakenEmulator, KrakenClient]) -> None:
    _, client = kraken
    recorder = _sample(
        client, "BTC/USD",
        lambda r: client.watch_order_book("XBT/USD", 10, callback=r.on_book),
        lambda r: client.subscribe_to_spread_updates("XBT/USD", r.on_spread))
    assert len(recorder.spreads) >= SAMPLES // 2
    _check(recorder)
    watcher = recorder.watcher
    assert watcher.checksums_mismatched == 0 and watcher.checksums_verified >= SAMPLES // 3


def test_coinex_book_ticker_and_trades_agree() -> None:
    with CoinexEmulator(seed=3, push_interval=0.01) as emu, CoinexClient(**emu.client_kwargs()) as client:
        recorder = _sample(client, "BTC/USDT",
                           lambda r: client.watch_order_book("BTCUSDT", 20, callback=r.on_book))
    _check(recorder)


def test_okex_book_ticker_and_trades_agree() -> None:
    with OkexEmulator(seed=3, push_interval=0.01) as emu, \
            OkexClient(**emu.client_kwargs(), credentials=emu.credentials) as client:
        recorder = _sample(client, "BTC/USDT",
                           lambda r: client.watch_order_book("btc_usdt", callback=r.on_book))
    _check(recorder)


def test_okx_book_ticker_and_trades_agree() -> None:
    with OkxEmulator(seed=3, push_interval=0.01) as emu, OkxClient(**emu.client_kwargs(), credentials=emu.credentials) as client:
        recorder = _sample(client, "BTC/USDT",
                           lambda r: client.watch_order_book("BTC-USDT", 400, callback=r.on_book))
    _check(recorder)
    watcher = recorder.watcher
    assert watcher.checksums_mismatched == 0 and watcher.sequence_gaps == 0


def test_coinsuper_book_and_trades_agree() -> None:
    with CoinsuperEmulator(seed=3, push_interval=0.01) as emu, \
            CoinsuperClient(**emu.client_kwargs(), credentials=emu.credentials) as client:
        recorder = _sample(client, "BTC/USD",
                           lambda r: client.watch_order_book("BTC/USD", callback=r.on_book))
    _check(recorder)


def test_coinex_last_price_in_each_depth_push_lies_between_its_best_bid_and_ask() -> None:
    """CoinEx's ``depth.update`` carries the last price: one stream, so exact wire order."""
    book = OrderBook(depth=20)
    outside: list[tuple[Decimal, Decimal, Decimal]] = []
    pushes = threading.Semaphore(0)

    def on_depth(event: DataEvent[Depth]) -> None:
        depth = event.data
        if depth.is_full:
            book.clear()
        for level in depth.bids:
            book.set_bid(level.price, level.quantity)
        for level in depth.asks:
            book.set_ask(level.price, level.quantity)
        book.truncate()
        bid, ask = book.best_bid, book.best_ask
        if depth.last_price is not None and bid is not None and ask is not None:
            if not bid.price <= depth.last_price <= ask.price:
                outside.append((bid.price, depth.last_price, ask.price))
        pushes.release()

    with CoinexEmulator(seed=3, push_interval=0.01) as emu, CoinexClient(**emu.client_kwargs()) as client:
        client.subscribe_to_order_book_updates("BTCUSDT", 20, callback=on_depth)
        for _ in range(3 * SAMPLES):
            assert pushes.acquire(timeout=timeout(10)), "depth pushes stopped"
    assert not outside, f"{len(outside)} of {3 * SAMPLES}+ pushes had the last price outside the touch: {outside[:3]}"


def test_kraken_books_of_several_depths_are_views_of_one_book(
        kraken: tuple[KrakenEmulator, KrakenClient]) -> None:
    """book-10 and book-25 of one pair show the same book: both verify every checksum
    (which covers the top 10 levels) and pass through the same tops in the same order."""
    _, client = kraken
    shallow, deep = Recorder(), Recorder()
    watchers = [client.watch_order_book("XBT/USD", 10, callback=shallow.on_book),
                client.watch_order_book("XBT/USD", 25, callback=deep.on_book)]
    assert all(watcher.wait_synced(timeout(10)) for watcher in watchers)
    shallow.wait(lambda: shallow.snapshots >= SAMPLES, "book-10 states")
    with shallow._changed:
        shallow_tops = list(shallow.books)
    deep.stop_sampling_and_drain()  # book-25's state of every tick book-10 showed has come
    assert not shallow.crossed and not deep.crossed
    for watcher in watchers:
        assert watcher.checksums_mismatched == 0 and watcher.checksums_verified >= SAMPLES // 2
    assert len(watchers[1].bids()) == 25 and len(watchers[0].bids()) == 10
    # Each top book-10 saw was also a top of book-25, in the same order (book-10, subscribed
    # first, may have seen a few ticks before book-25 existed).
    for skipped in range(6):
        try:
            _subsequence(shallow_tops[skipped:], deep.books, lambda top, book: top == book)
            break
        except AssertionError:
            continue
    else:
        raise AssertionError(f"book-10 tops {shallow_tops[:8]} are not book-25 tops {deep.books[:8]} in order")
