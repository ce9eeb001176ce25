"""The futures controls of :class:`~exwire.testing.binance.BinanceEmulator`: move prices and
the mark, set leverage, inspect wallets, positions and algo orders (§10 of
:doc:`the Binance page </exchanges/binance>`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from exwire.errors import ConfigurationError
from exwire.models import Credentials
from exwire.testing._binance.futures_engine import _Futures
from exwire.testing._binance.futures_state import _Contract
from exwire.testing._binance.spot_engine import _Events, _Exchange


class FuturesControls:
    """Mixin of :class:`BinanceEmulator`; every method takes the exchange lock."""

    futures: _Futures
    exchange: _Exchange

    def _contract(self, symbol: str) -> _Contract:
        try:
            return self.futures.contract_any(symbol)
        except KeyError:
            raise ConfigurationError(f"no futures contract {symbol!r} (the emulator has "
                                     f"{', '.join(sorted(self.futures.contracts))})") from None

    def _wallet_key(self, credentials: Credentials | str, market: str) -> tuple[str, str]:
        key = credentials if isinstance(credentials, str) else credentials.key
        if (key, market) not in self.futures.wallets:
            raise ConfigurationError(f"no {market} wallet for this account in this emulator")
        return key, market

    def futures_price(self, symbol: str) -> Decimal:
        """The futures contract's last price (the best bid; the ask is one tick above)."""
        with self.exchange.lock:
            return self._contract(symbol).last

    def mark_price(self, symbol: str) -> Decimal:
        """The futures contract's mark price."""
        with self.exchange.lock:
            return self._contract(symbol).mark

    def set_futures_price(self, symbol: str, price: Any) -> None:
        """Move a futures contract's book to ``price`` (rounded down to the tick: the best bid
        and last price; the ask is one tick above) and its mark price with it.

        Resting LIMIT orders the new price crosses fill at their own price; conditional and
        algo orders trigger on the new last (``CONTRACT_PRICE``) or mark (``MARK_PRICE``) price.
        """
        with self.exchange.lock:
            self.futures.set_price(self._contract(symbol), Decimal(str(price)))
            self._push(_Events())  # type: ignore[attr-defined]  # the futures user-data events
        self.notify_changed()  # type: ignore[attr-defined]

    def set_mark_price(self, symbol: str, price: Any) -> None:
        """Move only the mark price of a futures contract (the book stays).

        Unrealized PnL, notional and margins follow; conditional and algo orders working on
        ``MARK_PRICE`` trigger when it crosses their trigger price.
        """
        with self.exchange.lock:
            self.futures.set_mark_price(self._contract(symbol), Decimal(str(price)))
            self._push(_Events())  # type: ignore[attr-defined]  # the futures user-data events
        self.notify_changed()  # type: ignore[attr-defined]

    def set_leverage(self, credentials: Credentials | str, symbol: str, leverage: int) -> None:
        """Set the account's leverage on a futures symbol (1–125; Binance does this over REST)."""
        if isinstance(leverage, bool) or not isinstance(leverage, int) or not 1 <= leverage <= 125:
            raise ConfigurationError(f"leverage must be an integer from 1 to 125, got {leverage!r}")
        with self.exchange.lock:
            contract = self._contract(symbol)
            key = self._wallet_key(credentials, contract.market)
            self.futures.wallets[key].leverage[symbol] = leverage

    def futures_position(self, credentials: Credentials | str, symbol: str) -> tuple[Decimal, Decimal]:
        """The account's ``(signed amount, entry price)`` in a futures symbol."""
        with self.exchange.lock:
            contract = self._contract(symbol)
            position = self.futures.wallets[self._wallet_key(credentials, contract.market)].position(symbol)
            return position.amount, position.entry

    def futures_balances(self, credentials: Credentials | str, market: str) -> dict[str, Decimal]:
        """The account's futures wallet balances on ``market`` (``"usdm"`` or ``"coinm"``)."""
        with self.exchange.lock:
            return dict(self.futures.wallets[self._wallet_key(credentials, market)].balances)

    def algo_orders(self, credentials: Credentials | str) -> list[dict[str, Any]]:
        """The account's USDⓈ-M algo orders as ``algoOrder`` reports, oldest first."""
        with self.exchange.lock:
            return [algo.report() for algo in self.futures.wallets[self._wallet_key(credentials, "usdm")].algos]
