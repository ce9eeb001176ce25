"""Binance WebSocket API emulator: spot ``/ws-api/v3``, USDⓈ-M ``/ws-fapi/v1`` and COIN-M
``/ws-dapi/v1``; section numbers (§) refer to the protocol notes of :doc:`the Binance page </exchanges/binance>`.

Speaks the request/response envelope of §3–§4 with ``rateLimits`` (§5), the three
signature schemes and the timestamp/``recvWindow`` rule of §6 (a wrong signature is
refused with ``-1022``, a stale or early timestamp with ``-1021``), ``session.logon``
for Ed25519 keys (§7, on every product), every spot method of §8 on seeded market data,
a small spot matching engine with balances for orders, order lists (OCO, OTO, OTOCO,
OPO, OPOCO) and SOR, the user-data stream of §9, and the futures methods of §10 with a
futures engine keeping positions, margin balances and leverage consistent, conditional
(COIN-M) and algo (USDⓈ-M) orders triggering on the mark or last price, and the futures
ping timing.

The implementation lives in :mod:`exwire.testing._binance` (one module per concern);
this module is the public import path.

Market-data streams (raw ``/ws/…`` and combined ``/stream`` connections with live
``SUBSCRIBE``; every spot and futures stream, USDⓈ-M on its ``/public`` and ``/market``
routes), the COIN-M REST depth snapshot and the futures user-data streams (listen keys
from ``userDataStream.start``) are served on the same port, under the roots
:meth:`BinanceEmulator.client_kwargs` returns (see Binance's "WebSocket Streams" pages,
https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams). Stream
helpers for tests: :meth:`~BinanceEmulator.publish_trades`,
:meth:`~BinanceEmulator.skip_depth_update`, :meth:`~BinanceEmulator.expire_listen_key`,
:meth:`~BinanceEmulator.order_book`, :meth:`~BinanceEmulator.last_update_id`.

Faults: those of :class:`~exwire.testing._server.EmulatorServer` (drop, stall, raw
frames, close codes; drop, stall and ``serverShutdown`` also per product) plus
:meth:`BinanceEmulator.withhold_replies`, :meth:`BinanceEmulator.fail_next`,
:meth:`BinanceEmulator.send_server_shutdown` and a skewed server clock (``time_offset_ms``).
"""

from exwire.testing._binance.emulator import COINM_PATH, SPOT_PATH, USDM_PATH, BinanceClientKwargs, BinanceEmulator

__all__ = ["BinanceEmulator", "BinanceClientKwargs", "SPOT_PATH", "USDM_PATH", "COINM_PATH"]
