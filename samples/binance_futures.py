"""exwire Binance USDⓈ-M futures: open a position, read it, protect it with a stop, close it.

    python samples/binance_futures.py                     # local BinanceEmulator (Ed25519 key)
    python samples/binance_futures.py --key-type hmac     # emulator, HMAC key (signs every request)
    python samples/binance_futures.py --live              # production, public market data only
    python samples/binance_futures.py --live --testnet --trade   # futures testnet, the whole flow

The flow: a LIMIT buy priced at the best ask (so it fills at once) opens a long
position; the position and the wallet are read back; a STOP_MARKET algo order (the
2026 way to place stops on USDⓈ-M, ``algoOrder.place``) is placed below the mark price
and cancelled again; a reduce-only MARKET sell closes the position.

Live credentials come from the environment: ``BINANCE_API_KEY`` plus either
``BINANCE_API_SECRET`` (HMAC) or ``BINANCE_PRIVATE_KEY_FILE`` (PEM, Ed25519 or RSA).
Without them ``--live`` runs the public part only. ``--trade`` is refused on production
without ``--testnet`` unless ``--i-mean-production`` is given too: it opens a real position.
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
from exwire.binance import BinanceClient, FuturesMarket
from exwire.binance.stream_models import BookTickerUpdate, MarkPriceUpdate, TradeUpdate
from exwire.models import DataEvent

USDM = FuturesMarket.USDM
_OUTPUT = threading.Lock()  # callbacks print from the dispatcher lanes: one line per call, whole


def say(*parts: object) -> None:
    """Print one whole line under a lock, in one write (the main thread and the callbacks share stdout)."""
    line = " ".join(str(part) for part in parts) + "\n"
    with _OUTPUT:
        sys.stdout.write(line)
        sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--symbol", default="BTCUSDT", help="USD-M contract (default BTCUSDT)")
    parser.add_argument("--quantity", default="0.01", help="position size in the base asset (default 0.01)")
    parser.add_argument("--live", action="store_true", help="use Binance instead of the local emulator")
    parser.add_argument("--testnet", action="store_true", help="with --live: the futures testnet")
    parser.add_argument("--trade", action="store_true", help="with --live: run the trading flow")
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
            say("no credentials: the trading flow is skipped")
            return 0
        if emulator is not None or args.trade:
            trade(client, args.symbol, Decimal(args.quantity), emulator)
        say("rate limits:", ", ".join(f"{r.rate_limit_type.value}/{r.interval_number}{r.interval.value[0]}: "
                                        f"{r.count}/{r.limit}" for r in client.futures_rate_limits(USDM)))
    return 0


def market_data(client: BinanceClient, symbol: str) -> None:
    book = client.get_futures_order_book(symbol, 5)
    say(f"{symbol} book: best bid {book.bids[0].price} x {book.bids[0].quantity}, "
          f"best ask {book.asks[0].price} x {book.asks[0].quantity}")
    say(f"{symbol} last price: {client.get_futures_symbol_price_ticker(symbol).last_price}")


def streams(client: BinanceClient, symbol: str, emulator) -> None:
    """Stream the mark price (every second), trades and the best bid/ask of one USD-M contract
    until each has spoken (at most 10 s); trades and the book ticker use the /public route,
    the mark price /market."""
    seen = {kind: threading.Event() for kind in ("mark price", "trade", "book")}

    def on_mark(event: DataEvent[MarkPriceUpdate]) -> None:  # runs as exwire.subscription's callback threading model says
        mark = event.data
        say(f"  [mark] {mark.symbol} {mark.mark_price} index {mark.index_price} funding {mark.funding_rate} "
            f"next {mark.next_funding_time}")
        seen["mark price"].set()

    def on_trade(event: DataEvent[TradeUpdate]) -> None:
        trade = event.data
        say(f"  [trade] {trade.symbol} #{trade.trade_id} taker {trade.side.value} {trade.quantity} @ {trade.price}")
        seen["trade"].set()

    def on_book(event: DataEvent[BookTickerUpdate]) -> None:
        book = event.data
        say(f"  [book] {book.symbol} {book.bid_quantity} @ {book.bid_price} / {book.ask_quantity} @ {book.ask_price}")
        seen["book"].set()

    with client.subscribe_to_mark_price_updates(symbol, on_mark, market=USDM, update_interval=1000), \
            client.subscribe_to_trade_updates(symbol, on_trade, market=USDM), \
            client.subscribe_to_book_ticker_updates(symbol, on_book, market=USDM):
        if emulator is not None:  # the emulated contract trades when it moves: move it
            price = client.get_futures_symbol_price_ticker(symbol).last_price
            emulator.set_futures_price(symbol, price + 10)
            emulator.publish_trades(symbol, 1, market=USDM)
        quiet = [kind for kind, event in seen.items() if not event.wait(10)]
    say("streams:", "every stream spoke" if not quiet else f"no {', '.join(quiet)} within 10 s")


def trade(client: BinanceClient, symbol: str, quantity: Decimal, emulator) -> None:
    """Open a long with a LIMIT order that fills, read it, place and cancel a stop, close it."""
    ask = client.get_futures_symbol_order_book_ticker(symbol).ask_price
    opened = client.submit_new_futures_order(USDM, symbol, "BUY", "LIMIT", time_in_force="GTC", price=ask,
                                             quantity=quantity, response_type="RESULT")
    say(f"opened: order {opened.order_id} {opened.status.value}, {opened.filled_quantity} at "
          f"{opened.average_price}")

    (position,) = client.get_futures_position_v2(symbol)
    say(f"position: {position.position_amount:f} {symbol} entry {position.entry_price:f}, mark "
          f"{position.mark_price:f}, unrealized {position.unrealized_profit:f}, initial margin "
          f"{position.initial_margin:f}, liquidation {position.liquidation_price:f}")
    for balance in client.get_futures_account_balance_v2():
        if balance.balance:
            say(f"wallet: {balance.asset} {balance.balance:f} (available {balance.available_balance:f})")

    trigger = (position.mark_price * Decimal("0.95")).quantize(Decimal("0.1"))
    stop = client.submit_new_futures_algo_order(symbol, "SELL", "STOP_MARKET", trigger_price=trigger,
                                                close_position=True, working_type="MARK_PRICE")
    say(f"stop: algo order {stop.algo_id} {stop.algo_status.value}, closes the position if the mark "
          f"price reaches {stop.trigger_price}")
    cancelled = client.cancel_futures_algo_order(algo_id=stop.algo_id)
    say(f"stop cancelled: {cancelled.algo_status.value}")

    if emulator is not None:  # let the emulated market move a little before closing
        emulator.set_futures_price(symbol, ask + 25)
    closed = client.submit_new_futures_order(USDM, symbol, "SELL", "MARKET", quantity=position.position_amount,
                                             reduce_only=True, response_type="RESULT")
    say(f"closed: order {closed.order_id} {closed.status.value} at {closed.average_price}")
    account = client.get_futures_account_status_v2()
    say(f"account: wallet {account.total_wallet_balance:f}, open positions {len(account.positions)}")


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
