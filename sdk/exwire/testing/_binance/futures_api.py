"""The futures WebSocket APIs of the Binance emulator: USDⓈ-M at ``/ws-fapi/v1`` and COIN-M at
``/ws-dapi/v1`` (§10 of :doc:`the Binance page </exchanges/binance>`).

Both share the spot envelope, signatures, ``session.logon`` and rate-limit reporting
(§10.1, through :class:`~exwire.testing._binance.api._Api`), with the futures limits
(REQUEST_WEIGHT 2400/min, ORDERS 300/10 s and 1200/min, §5.4) and ping timing (3 min,
10 min pong deadline, §10.2). USDⓈ-M has market data, ``order.*``, ``algoOrder.*`` and
v1/v2 account methods; since the 2026 move its ``order.place`` takes LIMIT and MARKET
only (-4120 otherwise). COIN-M has ``order.*`` with the conditional types and v1 account
methods only (§10.3). Futures have no ``ping``/``time`` method and no
``userDataStream.subscribe``: their user data is a listen key (``userDataStream.start`` /
``ping`` / ``stop``, taking ``apiKey`` only) and a stream of :mod:`.streams`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from exwire.testing._binance.api import _Api, _Limits, _Method, _Request
from exwire.testing._binance.common import _ZERO, _ApiError, _int, _mandatory
from exwire.testing._binance.futures_engine import _Futures
from exwire.testing._binance.futures_state import (
    _CONDITIONAL,
    _MAINT_RATE,
    _Contract,
    _fmt,
    _Position,
    _Wallet,
)
from exwire.testing._binance.spot_engine import _Events

if TYPE_CHECKING:
    from exwire.testing._binance.state import EmulatorState

USDM_PATH = "/ws-fapi/v1"
COINM_PATH = "/ws-dapi/v1"
_DEPTH_LIMITS = (5, 10, 20, 50, 100, 500, 1000)


def _depth_weight(params: dict[str, Any]) -> int:
    limit = params.get("limit", 500)
    return 2 if not isinstance(limit, int) or limit <= 50 else 5 if limit <= 100 else 10 if limit <= 500 else 20


class _FuturesApi(_Api):
    """What USDⓈ-M and COIN-M share: orders, positions, balances, account (§10.3)."""

    ping_interval = 180.0
    pong_timeout = 600.0
    order_types: tuple[str, ...] = ("LIMIT", "MARKET")

    def __init__(self, state: EmulatorState, limits: _Limits) -> None:
        super().__init__(state, limits)
        self.futures: _Futures = state.futures
        M = _Method
        self.methods = {
            **self.session_methods(),
            "order.place": M(self.order_place, "SIGNED", 0, 1),
            "order.modify": M(self.order_modify, "SIGNED", 1, 1),
            "order.cancel": M(self.order_cancel, "SIGNED", 1),
            "order.status": M(lambda r, e: self.futures.find_order(self.wallet(r), r.params).report(with_time=True),
                              "SIGNED", 1),
            "account.position": M(self.positions_v1, "SIGNED", 5),
            "account.balance": M(self.balances, "SIGNED", 5),
            "account.status": M(self.account_v1, "SIGNED", 5),
            "userDataStream.start": M(self.listen_key_start, weight=1),
            "userDataStream.ping": M(self.listen_key_ping, weight=1),
            "userDataStream.stop": M(self.listen_key_stop, weight=1),
        }

    def prepare(self, now: int) -> None:
        self.futures.expire(now)
        self.state.expire_keys()

    # -- listen keys (USER_STREAM: the API key only, no signature) -------------------------------

    def _listen_key_account(self, request: _Request) -> str:
        api_key = request.params.get("apiKey")
        if api_key is None and request.session.account is not None:
            api_key = request.session.account.api_key
        if api_key is None:
            raise _mandatory("apiKey")
        if not isinstance(api_key, str) or api_key not in self.exchange.accounts:
            raise _ApiError(-2015, "Invalid API-key, IP, or permissions for action.", 401)
        return api_key

    def listen_key_start(self, request: _Request, events: _Events) -> dict[str, Any]:
        return {"listenKey": self.state.listen_keys.start(self._listen_key_account(request), self.product)}

    def listen_key_ping(self, request: _Request, events: _Events) -> dict[str, Any]:
        key = self.state.listen_keys.ping(self._listen_key_account(request), self.product)
        if key is None:
            raise _ApiError(-1125, "This listenKey does not exist.")
        return {"listenKey": key}

    def listen_key_stop(self, request: _Request, events: _Events) -> dict[str, Any]:
        self.state.listen_keys.stop(self._listen_key_account(request), self.product)
        return {}

    def wallet(self, request: _Request) -> _Wallet:
        return self.futures.wallet(request.account.api_key, self.product)  # type: ignore[union-attr]

    def contracts(self) -> list[_Contract]:
        return [c for c in self.futures.contracts.values() if c.market == self.product]

    # -- orders ---------------------------------------------------------------------------------------

    def order_place(self, request: _Request, events: _Events) -> dict[str, Any]:
        params = dict(request.params)
        response_type = params.get("newOrderRespType", "ACK")
        if response_type not in ("ACK", "RESULT"):
            raise _ApiError(-1130, "Invalid value for parameter 'newOrderRespType'.")
        order, acknowledged = self.futures.place(self.wallet(request), params, allowed=self.order_types)
        return order.report() if response_type == "RESULT" else acknowledged

    def order_modify(self, request: _Request, events: _Events) -> dict[str, Any]:
        wallet = self.wallet(request)
        order = self.futures.find_order(wallet, request.params)
        return self.futures.modify(order, request.params).report()

    def order_cancel(self, request: _Request, events: _Events) -> dict[str, Any]:
        order = self.futures.find_order(self.wallet(request), request.params)
        return self.futures.cancel(order).report()

    # -- positions ------------------------------------------------------------------------------------

    def _position_base(self, wallet: _Wallet, contract: _Contract, position: _Position) -> dict[str, Any]:
        mark = contract.mark
        return {
            "symbol": contract.symbol, "positionSide": "BOTH",
            "positionAmt": _fmt(position.amount, contract.quantity_places),
            "entryPrice": _fmt(position.entry, 7), "breakEvenPrice": _fmt(position.entry, 7),
            "markPrice": _fmt(mark, 8),
            "liquidationPrice": _fmt(self.futures.liquidation_price(wallet, contract, position), 8),
            "isolatedMargin": "0.00000000", "isolatedWallet": "0", "updateTime": position.updated,
        }

    def _unrealized(self, contract: _Contract, position: _Position) -> str:
        return _fmt(contract.pnl(position.amount, position.entry, contract.mark), 8)

    def _margins(self, wallet: _Wallet, contract: _Contract, position: _Position) -> dict[str, str]:
        leverage = wallet.leverage_of(contract.symbol)
        position_im = contract.value(abs(position.amount), contract.mark) / leverage
        order_im = sum((self.futures.order_margin(o) for o in wallet.orders if o.contract is contract), _ZERO)
        return {"initialMargin": _fmt(position_im + order_im, 8),
                "maintMargin": _fmt(contract.value(abs(position.amount), contract.mark) * _MAINT_RATE, 8),
                "positionInitialMargin": _fmt(position_im, 8), "openOrderInitialMargin": _fmt(order_im, 8)}

    def positions_v1(self, request: _Request, events: _Events) -> list[dict[str, Any]]:
        """``account.position``: each market reports its own fields."""
        raise NotImplementedError

    # -- balances and account --------------------------------------------------------------------------

    def _asset_row(self, wallet: _Wallet, asset: str) -> dict[str, Any]:
        state = self.futures.asset_state(wallet, asset)
        return {"asset": asset, "walletBalance": _fmt(state["wallet"]), "unrealizedProfit": _fmt(state["unrealized"]),
                "marginBalance": _fmt(state["margin_balance"]), "maintMargin": _fmt(state["maint"]),
                "initialMargin": _fmt(state["initial"]), "positionInitialMargin": _fmt(state["position_im"]),
                "openOrderInitialMargin": _fmt(state["order_im"]), "crossWalletBalance": _fmt(state["wallet"]),
                "crossUnPnl": _fmt(state["unrealized"]), "availableBalance": _fmt(state["available"]),
                "maxWithdrawAmount": _fmt(state["max_withdraw"]), "updateTime": wallet.updated.get(asset, 0)}

    def balances(self, request: _Request, events: _Events) -> list[dict[str, Any]]:
        """``account.balance``: each market reports its own fields."""
        raise NotImplementedError

    def account_v1(self, request: _Request, events: _Events) -> dict[str, Any]:
        """``account.status``: each market reports its own fields."""
        raise NotImplementedError


class _UsdmApi(_FuturesApi):
    """USDⓈ-M futures at ``/ws-fapi/v1`` (§10.3)."""

    path = USDM_PATH
    product = "usdm"

    def __init__(self, state: EmulatorState, limits: _Limits) -> None:
        super().__init__(state, limits)
        M = _Method
        self.methods.update({
            "depth": M(self.depth, weight=_depth_weight),
            "ticker.price": M(self.price_ticker, weight=lambda p: 1 if p.get("symbol") else 2),
            "ticker.book": M(self.book_ticker, weight=lambda p: 2 if p.get("symbol") else 5),
            "algoOrder.place": M(self.algo_place, "SIGNED", 0, 1),
            "algoOrder.cancel": M(self.algo_cancel, "SIGNED", 1),
            "v2/account.position": M(self.positions_v2, "SIGNED", 5),
            "v2/account.balance": M(self.balances, "SIGNED", 5),
            "v2/account.status": M(self.account_v2, "SIGNED", 5),
        })

    # -- market data ----------------------------------------------------------------------------------

    def depth(self, request: _Request, events: _Events) -> dict[str, Any]:
        contract = self.futures.contract(request.params.get("symbol"), self.product)
        limit = _int(request.params, "limit", 500, 5, 1000)
        if limit not in _DEPTH_LIMITS:
            raise _ApiError(-1130, "Invalid value for parameter 'limit'.")
        return contract.depth(limit, request.now)

    def _selected(self, params: Mapping[str, Any]) -> tuple[list[_Contract], bool]:
        symbol = params.get("symbol")
        if symbol is not None:
            return [self.futures.contract(symbol, self.product)], True
        return self.contracts(), False

    def price_ticker(self, request: _Request, events: _Events) -> Any:
        contracts, single = self._selected(request.params)
        rows = [{"symbol": c.symbol, "price": _fmt(c.last, c.price_places), "time": c.updated or request.now}
                for c in contracts]
        return rows[0] if single else rows

    def book_ticker(self, request: _Request, events: _Events) -> Any:
        contracts, single = self._selected(request.params)
        rows = []
        for contract in contracts:
            depth = contract.depth(1, request.now)
            rows.append({"lastUpdateId": depth["lastUpdateId"], "symbol": contract.symbol,
                         "bidPrice": depth["bids"][0][0], "bidQty": depth["bids"][0][1],
                         "askPrice": depth["asks"][0][0], "askQty": depth["asks"][0][1],
                         "time": contract.updated or request.now})
        return rows[0] if single else rows

    # -- algo orders ------------------------------------------------------------------------------------

    def algo_place(self, request: _Request, events: _Events) -> dict[str, Any]:
        params = dict(request.params)
        if params.get("type") is not None and params["type"] not in _CONDITIONAL:
            raise _ApiError(-1116, "Invalid orderType.")
        return self.futures.place_algo(self.wallet(request), params).report()

    def algo_cancel(self, request: _Request, events: _Events) -> dict[str, Any]:
        wallet = self.wallet(request)
        return self.futures.cancel_algo(self.futures.find_algo(wallet, request.params)).report()

    # -- positions, balances, account --------------------------------------------------------------------

    def _positions(self, request: _Request, *, only_open: bool) -> list[tuple[_Contract, _Position]]:
        wallet = self.wallet(request)
        symbol = request.params.get("symbol")
        contracts = [self.futures.contract(symbol, self.product)] if symbol is not None else self.contracts()
        rows = []
        for contract in contracts:
            position = wallet.position(contract.symbol)
            busy = position.amount or any(o.open and o.contract is contract for o in wallet.orders)
            if symbol is not None or not only_open or busy:
                rows.append((contract, position))
        return rows

    def positions_v1(self, request: _Request, events: _Events) -> list[dict[str, Any]]:
        wallet = self.wallet(request)
        rows = []
        for contract, position in self._positions(request, only_open=False):
            leverage = wallet.leverage_of(contract.symbol)
            rows.append({**self._position_base(wallet, contract, position),
                         "unRealizedProfit": self._unrealized(contract, position), "leverage": str(leverage),
                         "maxNotionalValue": str(5_000_000 // leverage * 20), "marginType": "cross",
                         "isAutoAddMargin": "false",
                         "notional": _fmt(contract.value(position.amount, contract.mark), 8)})
        return rows

    def positions_v2(self, request: _Request, events: _Events) -> list[dict[str, Any]]:
        wallet = self.wallet(request)
        rows = []
        for contract, position in self._positions(request, only_open=True):
            rows.append({**self._position_base(wallet, contract, position),
                         "unrealizedProfit": self._unrealized(contract, position),
                         "notional": _fmt(contract.value(position.amount, contract.mark), 8),
                         "marginAsset": contract.spec.margin, **self._margins(wallet, contract, position),
                         "adl": 1 if position.amount else 0, "bidNotional": "0", "askNotional": "0"})
        return rows

    def balances(self, request: _Request, events: _Events) -> list[dict[str, Any]]:
        wallet = self.wallet(request)
        rows = []
        for asset in sorted(wallet.balances):
            row = self._asset_row(wallet, asset)
            rows.append({"accountAlias": "SgsR", "asset": asset, "balance": row["walletBalance"],
                         "crossWalletBalance": row["crossWalletBalance"], "crossUnPnl": row["crossUnPnl"],
                         "availableBalance": row["availableBalance"], "maxWithdrawAmount": row["maxWithdrawAmount"],
                         "marginAvailable": True, "updateTime": row["updateTime"]})
        return rows

    def _totals(self, wallet: _Wallet) -> dict[str, Any]:
        rows = [self._asset_row(wallet, asset) for asset in sorted(wallet.balances)]
        usdt = next((r for r in rows if r["asset"] == "USDT"), None) or self._asset_row(wallet, "USDT")
        totals = {"totalInitialMargin": usdt["initialMargin"], "totalMaintMargin": usdt["maintMargin"],
                  "totalWalletBalance": usdt["walletBalance"], "totalUnrealizedProfit": usdt["unrealizedProfit"],
                  "totalMarginBalance": usdt["marginBalance"],
                  "totalPositionInitialMargin": usdt["positionInitialMargin"],
                  "totalOpenOrderInitialMargin": usdt["openOrderInitialMargin"],
                  "totalCrossWalletBalance": usdt["crossWalletBalance"], "totalCrossUnPnl": usdt["crossUnPnl"],
                  "availableBalance": usdt["availableBalance"], "maxWithdrawAmount": usdt["maxWithdrawAmount"]}
        return {**totals, "assets": [{**r, "marginAvailable": True} for r in rows]}

    def account_v2(self, request: _Request, events: _Events) -> dict[str, Any]:
        wallet = self.wallet(request)
        positions = []
        for contract, position in self._positions(request, only_open=True):
            if not position.amount:
                continue
            margins = self._margins(wallet, contract, position)
            positions.append({"symbol": contract.symbol, "positionSide": "BOTH",
                              "positionAmt": _fmt(position.amount, contract.quantity_places),
                              "unrealizedProfit": self._unrealized(contract, position), "isolatedMargin": "0.00000000",
                              "notional": _fmt(contract.value(position.amount, contract.mark), 8),
                              "isolatedWallet": "0", "initialMargin": margins["initialMargin"],
                              "maintMargin": margins["maintMargin"], "updateTime": position.updated})
        return {**self._totals(wallet), "positions": positions}

    def account_v1(self, request: _Request, events: _Events) -> dict[str, Any]:
        wallet = self.wallet(request)
        positions = []
        for contract, position in self._positions(request, only_open=False):
            leverage = wallet.leverage_of(contract.symbol)
            positions.append({"symbol": contract.symbol, **self._margins(wallet, contract, position),
                              "unrealizedProfit": self._unrealized(contract, position), "leverage": str(leverage),
                              "isolated": False, "entryPrice": _fmt(position.entry, 7),
                              "breakEvenPrice": _fmt(position.entry, 7), "maxNotional": str(5_000_000 // leverage * 20),
                              "bidNotional": "0", "askNotional": "0", "positionSide": "BOTH",
                              "positionAmt": _fmt(position.amount, contract.quantity_places),
                              "updateTime": position.updated})
        return {"feeTier": 0, "feeBurn": False, "canTrade": True, "canDeposit": True, "canWithdraw": True,
                "updateTime": 0, "multiAssetsMargin": False, "tradeGroupId": -1, **self._totals(wallet),
                "positions": positions}


class _CoinmApi(_FuturesApi):
    """COIN-M futures at ``/ws-dapi/v1`` (§10.3): orders (with the conditional types) and v1 account."""

    path = COINM_PATH
    product = "coinm"
    order_types = ("LIMIT", "MARKET", *_CONDITIONAL)

    def _positions(self, request: _Request) -> list[tuple[_Contract, _Position]]:
        wallet = self.wallet(request)
        margin_asset, pair = request.params.get("marginAsset"), request.params.get("pair")
        rows = []
        for contract in self.contracts():
            if (margin_asset is None or contract.spec.margin == margin_asset) \
                    and (pair is None or contract.spec.pair == pair):
                rows.append((contract, wallet.position(contract.symbol)))
        return rows

    def positions_v1(self, request: _Request, events: _Events) -> list[dict[str, Any]]:
        wallet = self.wallet(request)
        rows = []
        for contract, position in self._positions(request):
            leverage = wallet.leverage_of(contract.symbol)
            rows.append({**self._position_base(wallet, contract, position),
                         "unRealizedProfit": self._unrealized(contract, position), "leverage": str(leverage),
                         "maxQty": str(100_000 // leverage), "marginType": "cross", "isAutoAddMargin": "false",
                         "notionalValue": _fmt(contract.value(position.amount, contract.mark), 8)})
        return rows

    def balances(self, request: _Request, events: _Events) -> list[dict[str, Any]]:
        wallet = self.wallet(request)
        rows = []
        for asset in sorted(wallet.balances):
            row = self._asset_row(wallet, asset)
            rows.append({"accountAlias": "SgsR", "asset": asset, "balance": row["walletBalance"],
                         "withdrawAvailable": row["maxWithdrawAmount"], "crossWalletBalance": row["crossWalletBalance"],
                         "crossUnPnl": row["crossUnPnl"], "availableBalance": row["availableBalance"],
                         "updateTime": row["updateTime"]})
        return rows

    def account_v1(self, request: _Request, events: _Events) -> dict[str, Any]:
        wallet = self.wallet(request)
        assets = []
        for asset in sorted(wallet.balances):
            row = self._asset_row(wallet, asset)
            row.pop("updateTime")
            assets.append(row)
        positions = []
        for contract, position in self._positions(request):
            leverage = wallet.leverage_of(contract.symbol)
            positions.append({"symbol": contract.symbol, "positionAmt": _fmt(position.amount, contract.quantity_places),
                              **self._margins(wallet, contract, position),
                              "unrealizedProfit": self._unrealized(contract, position), "leverage": str(leverage),
                              "isolated": False, "positionSide": "BOTH", "entryPrice": _fmt(position.entry, 8),
                              "maxQty": str(100_000 // leverage), "updateTime": position.updated})
        return {"feeTier": 0, "canTrade": True, "canDeposit": True, "canWithdraw": True, "updateTime": 0,
                "assets": assets, "positions": positions}
