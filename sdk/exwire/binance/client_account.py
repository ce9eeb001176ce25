"""Account requests of :class:`~exwire.binance.client.BinanceClient` (§8.5 of
:doc:`the Binance page </exchanges/binance>`, USER_DATA).

Every method here is SIGNED, blocking and thread-safe, takes ``timeout=`` (seconds;
``None``: ``request_timeout``) and ``recv_window=`` (seconds; ``None``: the client's
default), and raises:

* ``ConfigurationError`` before anything is sent: bad arguments or no credentials;
* ``AuthenticationError`` (-1022 signature, -2015 key/IP/permissions, -1021 timestamp
  even after one clock resync), ``InvalidRequest`` (bad parameters), ``RateLimited``
  (``retry_after``), ``ExchangeUnavailable`` (Binance-side failure);
* ``InvalidState`` on a closed client, ``ConnectError`` when no connection opens;
* ``ConnectionClosed`` / ``RequestTimeout`` when no reply came: the outcome is unknown,
  which for a read only means the answer is lost (reads have no side effect).

Time ranges take aware datetimes or epoch milliseconds and may span at most 24 hours. An
optional argument left at ``None`` is not sent: Binance applies its default (an open
range, the most recent records).
"""

from __future__ import annotations

from datetime import datetime

from exwire.binance._caller import Caller
from exwire.binance._docs import raises
from exwire.binance._validation import exclusive, require_one_of
from exwire.binance.models import Account, AccountCommission, RateLimit
from exwire.binance.order_models import AccountTrade, Allocation, Order, OrderList, PreventedMatch

__all__ = ["AccountMethods"]

Time = datetime | int


class AccountMethods(Caller):
    """Mixin: needs ``_call`` from the client."""

    @raises("account")
    def get_spot_account_information(
        self, *, omit_zero_balances: bool | None = None, recv_window: float | None = None,
        timeout: float | None = None,
    ) -> Account:
        """Return the account: permissions, commission rates and balances (``account.status``, weight 20).

        Args:
            omit_zero_balances: ``True`` leaves out assets with zero free and locked balance;
                ``None``: all assets.
        """
        return self._call("account.status", Account, timeout=timeout, signed=True, recv_window=recv_window,
                          omit_zero_balances=omit_zero_balances)

    @raises("account")
    def get_spot_order_rate_limits(self, *, recv_window: float | None = None,
                                   timeout: float | None = None) -> list[RateLimit]:
        """Return the unfilled order count of every ORDERS window (``account.rateLimits.orders``, weight 40)."""
        return self._call("account.rateLimits.orders", list[RateLimit], timeout=timeout, signed=True,
                          recv_window=recv_window)

    @raises("account")
    def get_spot_all_orders(
        self, symbol: str, *, order_id: int | None = None, start_time: Time | None = None,
        end_time: Time | None = None, limit: int | None = None, recv_window: float | None = None,
        timeout: float | None = None,
    ) -> list[Order]:
        """Return the symbol's orders, open or not, oldest first (``allOrders``, weight 20).

        Args:
            order_id: orders from this id on (the times win when both are given).
            start_time, end_time: creation time range (at most 24 h apart).
            limit: how many, 1–1000; ``None``: 500.
        """
        return self._call("allOrders", list[Order], timeout=timeout, signed=True, recv_window=recv_window,
                          symbol=symbol, order_id=order_id, start_time=start_time, end_time=end_time, limit=limit)

    @raises("account")
    def get_spot_all_order_lists(
        self, *, from_id: int | None = None, start_time: Time | None = None, end_time: Time | None = None,
        limit: int | None = None, recv_window: float | None = None, timeout: float | None = None,
    ) -> list[OrderList]:
        """Return order lists, open or not (``allOrderLists``, weight 20).

        Args:
            from_id: lists from this order list id on (not with the times).
            start_time, end_time: time range (at most 24 h apart).
            limit: how many, 1–1000; ``None``: 500.
        """
        exclusive(from_id=from_id, start_time=start_time)
        exclusive(from_id=from_id, end_time=end_time)
        return self._call("allOrderLists", list[OrderList], timeout=timeout, signed=True, recv_window=recv_window,
                          from_id=from_id, start_time=start_time, end_time=end_time, limit=limit)

    @raises("account")
    def get_spot_my_trades(
        self, symbol: str, *, order_id: int | None = None, start_time: Time | None = None,
        end_time: Time | None = None, from_id: int | None = None, limit: int | None = None,
        recv_window: float | None = None, timeout: float | None = None,
    ) -> list[AccountTrade]:
        """Return the account's trades of a symbol (``myTrades``, weight 20, 5 with ``order_id``).

        Args:
            order_id: only this order's trades (not with the times).
            start_time, end_time: time range (at most 24 h apart).
            from_id: trades from this trade id on (not with the times).
            limit: how many, 1–1000; ``None``: 500.
        """
        for given in (order_id, from_id):
            exclusive(by_id=given, start_time=start_time)
            exclusive(by_id=given, end_time=end_time)
        return self._call("myTrades", list[AccountTrade], timeout=timeout, signed=True, recv_window=recv_window,
                          symbol=symbol, order_id=order_id, start_time=start_time, end_time=end_time,
                          from_id=from_id, limit=limit)

    @raises("account")
    def get_spot_prevented_matches(
        self, symbol: str, *, prevented_match_id: int | None = None, order_id: int | None = None,
        from_prevented_match_id: int | None = None, limit: int | None = None, recv_window: float | None = None,
        timeout: float | None = None,
    ) -> list[PreventedMatch]:
        """Return orders expired by self-trade prevention (``myPreventedMatches``, weight 2 or 20).

        Args:
            prevented_match_id, order_id: which (at least one).
            from_prevented_match_id, limit: paging with ``order_id``.
        """
        require_one_of(prevented_match_id=prevented_match_id, order_id=order_id)
        return self._call("myPreventedMatches", list[PreventedMatch], timeout=timeout, signed=True,
                          recv_window=recv_window, symbol=symbol, prevented_match_id=prevented_match_id,
                          order_id=order_id, from_prevented_match_id=from_prevented_match_id, limit=limit)

    @raises("account")
    def get_spot_allocations(
        self, symbol: str, *, start_time: Time | None = None, end_time: Time | None = None,
        from_allocation_id: int | None = None, limit: int | None = None, order_id: int | None = None,
        recv_window: float | None = None, timeout: float | None = None,
    ) -> list[Allocation]:
        """Return allocations from SOR orders (``myAllocations``, weight 20).

        Args:
            start_time, end_time: time range (at most 24 h apart).
            from_allocation_id, limit: paging; ``order_id``: one order's allocations.
        """
        return self._call("myAllocations", list[Allocation], timeout=timeout, signed=True, recv_window=recv_window,
                          symbol=symbol, start_time=start_time, end_time=end_time,
                          from_allocation_id=from_allocation_id, limit=limit, order_id=order_id)

    @raises("account")
    def get_spot_account_commission(self, symbol: str, *, recv_window: float | None = None,
                                    timeout: float | None = None) -> AccountCommission:
        """Return the account's commission rates on a symbol (``account.commission``, weight 20)."""
        return self._call("account.commission", AccountCommission, timeout=timeout, signed=True,
                          recv_window=recv_window, symbol=symbol)
