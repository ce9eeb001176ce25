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
from decimal import Decimal
from pathlib import Path

from exwire import Credentials
from exwire.binance import BinanceClient, FuturesMarket

USDM = FuturesMarket.USDM


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
        if credentials is None:
            print("no credentials: the trading flow is skipped")
            return 0
        if emulator is not None or args.trade:
            trade(client, args.symbol, Decimal(args.quantity), emulator)
        print("rate limits:", ", ".join(f"{r.rate_limit_type.value}/{r.interval_number}{r.interval.value[0]}: "
                                        f"{r.count}/{r.limit}" for r in client.futures_rate_limits(USDM)))
    return 0


def market_data(client: BinanceClient, symbol: str) -> None:
    book = client.get_futures_order_book(symbol, 5)
    print(f"{symbol} book: best bid {book.bids[0].price} x {book.bids[0].quantity}, "
          f"best ask {book.asks[0].price} x {book.asks[0].quantity}")
    print(f"{symbol} last price: {client.get_futures_symbol_price_ticker(symbol).last_price}")


def trade(client: BinanceClient, symbol: str, quantity: Decimal, emulator) -> None:
    """Open a long with a LIMIT order that fills, read it, place and cancel a stop, close it."""
    ask = client.get_futures_symbol_order_book_ticker(symbol).ask_price
    opened = client.submit_new_futures_order(USDM, symbol, "BUY", "LIMIT", time_in_force="GTC", price=ask,
                                             quantity=quantity, response_type="RESULT")
    print(f"opened: order {opened.order_id} {opened.status.value}, {opened.filled_quantity} at "
          f"{opened.average_price}")

    (position,) = client.get_futures_position_v2(symbol)
    print(f"position: {position.position_amount:f} {symbol} entry {position.entry_price:f}, mark "
          f"{position.mark_price:f}, unrealized {position.unrealized_profit:f}, initial margin "
          f"{position.initial_margin:f}, liquidation {position.liquidation_price:f}")
    for balance in client.get_futures_account_balance_v2():
        if balance.balance:
            print(f"wallet: {balance.asset} {balance.balance:f} (available {balance.available_balance:f})")

    trigger = (position.mark_price * Decimal("0.95")).quantize(Decimal("0.1"))
    stop = client.submit_new_futures_algo_order(symbol, "SELL", "STOP_MARKET", trigger_price=trigger,
                                                close_position=True, working_type="MARK_PRICE")
    print(f"stop: algo order {stop.algo_id} {stop.algo_status.value}, closes the position if the mark "
          f"price reaches {stop.trigger_price}")
    cancelled = client.cancel_futures_algo_order(algo_id=stop.algo_id)
    print(f"stop cancelled: {cancelled.algo_status.value}")

    if emulator is not None:  # let the emulated market move a little before closing
        emulator.set_futures_price(symbol, ask + 25)
    closed = client.submit_new_futures_order(USDM, symbol, "SELL", "MARKET", quantity=position.position_amount,
                                             reduce_only=True, response_type="RESULT")
    print(f"closed: order {closed.order_id} {closed.status.value} at {closed.average_price}")
    account = client.get_futures_account_status_v2()
    print(f"account: wallet {account.total_wallet_balance:f}, open positions {len(account.positions)}")


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
