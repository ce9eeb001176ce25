"""exwire Binance spot: market data, market data streams, an order, an OCO and the user-data stream.

    python samples/binance_spot.py                     # local BinanceEmulator (Ed25519 key)
    python samples/binance_spot.py --key-type hmac     # emulator, HMAC key (signs every request)
    python samples/binance_spot.py --live              # production, public market data only
    python samples/binance_spot.py --live --testnet --trade   # spot testnet, places and cancels

Live credentials come from the environment: ``BINANCE_API_KEY`` plus either
``BINANCE_API_SECRET`` (HMAC) or ``BINANCE_PRIVATE_KEY_FILE`` (PEM, Ed25519 or RSA).
Without them ``--live`` runs the public part only. ``--trade`` places a small LIMIT buy
far below the market and cancels it; it is refused on production without ``--testnet``
unless ``--i-mean-production`` is given too.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
from decimal import Decimal
from pathlib import Path

from exwire import Credentials
from exwire.binance import BinanceClient, OrderLeg, models
from exwire.binance.stream_models import BookTickerUpdate, TickerUpdate, TradeUpdate
from exwire.models import DataEvent

_OUTPUT = threading.Lock()  # callbacks print from the dispatcher lanes: one line per call, whole


def say(*parts: object) -> None:
    """Print one whole line under a lock, in one write (the main thread and the callbacks share stdout)."""
    line = " ".join(str(part) for part in parts) + "\n"
    with _OUTPUT:
        sys.stdout.write(line)
        sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--symbol", default="BTCUSDT", help="symbol (default BTCUSDT)")
    parser.add_argument("--live", action="store_true", help="use Binance instead of the local emulator")
    parser.add_argument("--testnet", action="store_true", help="with --live: the spot testnet")
    parser.add_argument("--trade", action="store_true", help="with --live: place and cancel a small order")
    parser.add_argument("--i-mean-production", action="store_true", help="allow --trade on production")
    parser.add_argument("--key-type", choices=("hmac", "rsa", "ed25519"), default="ed25519",
                        help="emulator account key type (default ed25519)")
    args = parser.parse_args(argv)
    if args.live and args.trade and not args.testnet and not args.i_mean_production:
        parser.error("--trade on production needs --i-mean-production (or use --testnet)")

    with contextlib.ExitStack() as stack:
        emulator = None
        if args.live:
            credentials = _credentials_from_environment()
            client_kwargs: dict = {"testnet": args.testnet}
        else:
            from exwire.testing.binance import BinanceEmulator

            emulator = stack.enter_context(BinanceEmulator())
            credentials = emulator.add_account(args.key_type)
            client_kwargs = emulator.client_kwargs()
        client = stack.enter_context(BinanceClient(credentials=credentials, **client_kwargs))
        market_data(client, args.symbol)
        streams(client, args.symbol, emulator)
        if credentials is None:
            say("no credentials: account, orders and the user-data stream skipped")
            return 0
        account = client.get_spot_account_information(omit_zero_balances=True)
        say("balances:", ", ".join(f"{b.asset} {b.free:f}" for b in account.balances[:6]) or "none")
        # The same through the exchange-neutral interface: BASE/QUOTE symbols, exwire models.
        neutral = client.shared.get_balances()
        say("client.shared balances:", ", ".join(f"{b.asset} {b.total:f}" for b in list(neutral.values())[:6]))
        say("client.shared open orders:", len(client.shared.get_open_orders(client.shared.shared_symbol(args.symbol))))
        if emulator is not None or args.trade:
            trade(client, args.symbol, emulator)
        say("rate limits:", ", ".join(f"{r.rate_limit_type.value}/{r.interval_number}{r.interval.value[0]}: "
                                        f"{r.count}/{r.limit}" for r in client.rate_limits))
    return 0


def market_data(client: BinanceClient, symbol: str) -> None:
    say(f"round trip: {client.test_spot_connectivity() * 1000:.1f} ms, server time {client.get_spot_server_time()}")
    info = client.get_spot_exchange_info(symbol).symbols[0]
    tick = next(f["tickSize"] for f in info.filters if f["filterType"] == "PRICE_FILTER")
    say(f"{symbol}: {info.base_asset}/{info.quote_asset}, status {info.status.value}, tick {tick}")
    best = client.get_spot_symbol_order_book_ticker(symbol)
    say(f"best bid {best.bid_price} x {best.bid_quantity}, best ask {best.ask_price} x {best.ask_quantity}")
    for kline in client.get_spot_klines(symbol, "1m", limit=3):
        say(f"  {kline.open_time:%H:%M} open {kline.open} close {kline.close} volume {kline.volume}")


def streams(client: BinanceClient, symbol: str, emulator) -> None:
    """Stream the 24 h ticker, trades and the best bid/ask until each has spoken (at most 10 s)."""
    seen = {kind: threading.Event() for kind in ("ticker", "trade", "book")}

    def on_ticker(event: DataEvent[TickerUpdate]) -> None:  # runs as exwire.subscription's callback threading model says
        ticker = event.data
        say(f"  [ticker] {ticker.symbol} last {ticker.last_price} bid {ticker.bid_price} ask {ticker.ask_price} "
            f"24h volume {ticker.volume}")
        seen["ticker"].set()

    def on_trade(event: DataEvent[TradeUpdate]) -> None:
        trade = event.data
        say(f"  [trade] {trade.symbol} #{trade.trade_id} taker {trade.side.value} {trade.quantity} @ {trade.price}")
        seen["trade"].set()

    def on_book(event: DataEvent[BookTickerUpdate]) -> None:
        book = event.data
        say(f"  [book] {book.symbol} {book.bid_quantity} @ {book.bid_price} / {book.ask_quantity} @ {book.ask_price}")
        seen["book"].set()

    with client.subscribe_to_ticker_updates(symbol, on_ticker), client.subscribe_to_trade_updates(symbol, on_trade), \
            client.subscribe_to_book_ticker_updates(symbol, on_book):
        if emulator is not None:  # the emulated market trades when it moves: move it one tick
            emulator.set_price(symbol, emulator.price(symbol) + Decimal("0.01"))
        quiet = [kind for kind, event in seen.items() if not event.wait(10)]
    say("streams:", "every stream spoke" if not quiet else f"no {', '.join(quiet)} within 10 s")


def trade(client: BinanceClient, symbol: str, emulator) -> None:
    """Place a resting order, watch the stream, cancel; on the emulator also fill an OCO."""

    def show(event) -> None:  # runs as exwire.subscription's callback threading model says
        data = event.data
        if isinstance(data, models.ExecutionReport):
            say(f"  [stream] order {data.order_id} {data.execution_type.value} -> {data.status.value}"
                  f" ({data.filled_quantity:f} filled)")
        elif isinstance(data, models.ListStatus):
            say(f"  [stream] order list {data.order_list_id} {data.list_status_type.value}")
        elif isinstance(data, models.AccountPosition):
            say("  [stream] balances", ", ".join(f"{b.asset} {b.free:f}/{b.locked:f}" for b in data.balances))

    with client.subscribe_to_user_data_updates(show):
        bid = client.get_spot_symbol_order_book_ticker(symbol).bid_price
        price = (bid * Decimal("0.8")).quantize(Decimal("0.01"))
        order = client.submit_new_spot_order(symbol, "BUY", "LIMIT", time_in_force="GTC", price=price,
                                             quantity="0.001")
        say(f"placed order {order.order_id} at {price}: {order.status.value}")
        cancelled = client.cancel_spot_order(symbol, order_id=order.order_id)
        say(f"cancelled: {cancelled.status.value}")
        if emulator is not None:
            oco = client.place_spot_oco_order_list(
                symbol, "SELL", "0.01",
                above=OrderLeg(order_type="LIMIT_MAKER", price=bid + 100),
                below=OrderLeg(order_type="STOP_LOSS_LIMIT", stop_price=bid - 100, price=bid - 110,
                               time_in_force="GTC"))
            say(f"OCO {oco.order_list_id} placed; moving the emulated market through its limit leg")
            emulator.set_price(symbol, bid + 200)
            status = client.get_spot_order_list_status(order_list_id=oco.order_list_id)
            say(f"OCO {status.order_list_id}: {status.list_order_status.value}")


def _credentials_from_environment() -> Credentials | None:
    key = os.environ.get("BINANCE_API_KEY")
    if not key:
        return None
    key_file = os.environ.get("BINANCE_PRIVATE_KEY_FILE")
    if key_file:
        return Credentials(key=key, private_key=Path(key_file).read_text(), secret=os.environ.get("BINANCE_API_SECRET"))
    return Credentials(key=key, secret=os.environ.get("BINANCE_API_SECRET"))


if __name__ == "__main__":
    sys.exit(main())
