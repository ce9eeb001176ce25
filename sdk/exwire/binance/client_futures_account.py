"""Futures positions and account of :class:`~exwire.binance.client.BinanceClient`
(§10.3 of :doc:`the Binance page </exchanges/binance>`).

Every method here is SIGNED (USER_DATA, weight 5), blocking and thread-safe, takes
``timeout=`` (seconds; ``None``: ``request_timeout``) and ``recv_window=`` (seconds;
``None``: the client's default). Methods taking ``market`` first exist on both futures
markets; the ``_v2`` methods exist on USDⓈ-M only and take ``market=`` as a keyword
(default ``USDM``), refusing COIN-M with ``ConfigurationError`` before anything is sent.
An optional argument left at ``None`` is not sent (no filter).
USDⓈ-M amounts are in the margin asset (USDT/USDC), COIN-M amounts in the coin.
"""

from __future__ import annotations

from exwire.binance._caller import Caller
from exwire.binance._docs import raises
from exwire.binance._validation import futures_market, usdm_only
from exwire.binance.enums import FuturesMarket
from exwire.binance.futures_models import FuturesAccount, FuturesBalance, FuturesPosition
from exwire.errors import ConfigurationError

__all__ = ["FuturesAccountMethods"]

_USDM = FuturesMarket.USDM


class FuturesAccountMethods(Caller):
    """Mixin: needs ``_call`` from the client."""

    @raises("futures_account")
    def get_futures_position(
        self, market: FuturesMarket, symbol: str | None = None, *, margin_asset: str | None = None,
        pair: str | None = None, recv_window: float | None = None, timeout: float | None = None,
    ) -> list[FuturesPosition]:
        """Return position information (``account.position``, weight 5).

        USDⓈ-M lists every symbol (also those without a position) unless ``symbol`` is
        given; COIN-M lists the account's positions, optionally of one ``margin_asset``
        (``"BTC"``) or ``pair`` (``"BTCUSD"``). Each entry carries the leverage, the mark
        price, the entry price and the unrealized PnL.

        Args:
            market: ``FuturesMarket.USDM`` or ``FuturesMarket.COINM``.
            symbol: USDⓈ-M only: one contract; ``None``: all.
            margin_asset, pair: COIN-M only filters; ``None``: no filter.
        """
        market = futures_market(market)
        if market is _USDM and (margin_asset is not None or pair is not None):
            raise ConfigurationError("margin_asset and pair are COIN-M filters; USD-M takes symbol")
        if market is FuturesMarket.COINM and symbol is not None:
            raise ConfigurationError("COIN-M account.position takes margin_asset or pair, not symbol")
        return self._call("account.position", list[FuturesPosition], timeout=timeout, signed=True,
                          recv_window=recv_window, market=market, symbol=symbol, margin_asset=margin_asset,
                          pair=pair, symbol_optional=True)

    @raises("futures_account")
    def get_futures_position_v2(
        self, symbol: str | None = None, *, market: FuturesMarket = _USDM, recv_window: float | None = None,
        timeout: float | None = None,
    ) -> list[FuturesPosition]:
        """Return USDⓈ-M positions (``v2/account.position``, weight 5): only symbols with a
        position or open orders, unless ``symbol`` names one.

        Args:
            symbol: one contract; ``None``: all with a position or open orders.
            market: must be ``USDM``.
        """
        usdm_only(market, "get_futures_position_v2")
        return self._call("v2/account.position", list[FuturesPosition], timeout=timeout, signed=True,
                          recv_window=recv_window, market=_USDM, symbol=symbol, symbol_optional=True)

    @raises("futures_account")
    def get_futures_account_balance_v2(
        self, *, market: FuturesMarket = _USDM, recv_window: float | None = None, timeout: float | None = None,
    ) -> list[FuturesBalance]:
        """Return the USDⓈ-M wallet, one entry per asset (``v2/account.balance``, weight 5).

        Args:
            market: must be ``USDM``.
        """
        usdm_only(market, "get_futures_account_balance_v2")
        return self._call("v2/account.balance", list[FuturesBalance], timeout=timeout, signed=True,
                          recv_window=recv_window, market=_USDM)

    @raises("futures_account")
    def get_futures_account_balance(
        self, market: FuturesMarket, *, recv_window: float | None = None, timeout: float | None = None,
    ) -> list[FuturesBalance]:
        """Return the futures wallet of one market, one entry per asset (``account.balance``, weight 5)."""
        market = futures_market(market)
        return self._call("account.balance", list[FuturesBalance], timeout=timeout, signed=True,
                          recv_window=recv_window, market=market)

    @raises("futures_account")
    def get_futures_account_status_v2(
        self, *, market: FuturesMarket = _USDM, recv_window: float | None = None, timeout: float | None = None,
    ) -> FuturesAccount:
        """Return the USDⓈ-M account: totals, assets and open positions (``v2/account.status``, weight 5).

        Args:
            market: must be ``USDM``.
        """
        usdm_only(market, "get_futures_account_status_v2")
        return self._call("v2/account.status", FuturesAccount, timeout=timeout, signed=True,
                          recv_window=recv_window, market=_USDM)

    @raises("futures_account")
    def get_futures_account_status(
        self, market: FuturesMarket, *, recv_window: float | None = None, timeout: float | None = None,
    ) -> FuturesAccount:
        """Return the account of one futures market: permissions, fee tier, assets and every
        position (``account.status``, weight 5)."""
        market = futures_market(market)
        return self._call("account.status", FuturesAccount, timeout=timeout, signed=True,
                          recv_window=recv_window, market=market)
