"""The request hook every method mixin of :class:`~exwire.binance.client.BinanceClient` calls.

The mixins (``client_market``, ``client_trading`` ...) subclass :class:`Caller` so that
type checkers see ``_call``'s precise signature: a model class (or ``list[Model]``) or a
decoder function in, that type out. ``BinanceClient`` implements it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, overload

if TYPE_CHECKING:
    from exwire.binance.enums import FuturesMarket

__all__ = ["Caller"]

T = TypeVar("T")


class Caller:
    """Declares ``_call`` (implemented by ``BinanceClient``)."""

    __slots__ = ()

    @overload
    def _call(self, method: str, decode: type[T], *, timeout: float | None, signed: bool = ...,
              recv_window: float | None = ..., market: FuturesMarket | None = ..., symbol_optional: bool = ...,
              **values: Any) -> T: ...

    @overload
    def _call(self, method: str, decode: Callable[[Any], T], *, timeout: float | None, signed: bool = ...,
              recv_window: float | None = ..., market: FuturesMarket | None = ..., symbol_optional: bool = ...,
              **values: Any) -> T: ...

    @overload
    def _call(self, method: str, decode: None = ..., *, timeout: float | None, signed: bool = ...,
              recv_window: float | None = ..., market: FuturesMarket | None = ..., symbol_optional: bool = ...,
              **values: Any) -> object: ...

    def _call(self, method: str, decode: type[Any] | Callable[[Any], Any] | None = None, *,
              timeout: float | None, signed: bool = False, recv_window: float | None = None,
              market: FuturesMarket | None = None, symbol_optional: bool = False, **values: Any) -> Any:
        raise NotImplementedError  # BinanceClient._call
