"""Peers measured beside exwire (``python -m benchmarks --peers``): one adapter module each.

The peers come from ``benchmarks/requirements-peers.txt``, installed in a separate
virtual environment (never by CI). A peer that is not installed, or cannot be pointed
at a local URL, is reported as skipped with the reason; it never fails the run.
"""

from __future__ import annotations

from benchmarks.peers import (
    binance_connector,
    binance_sdk_spot,
    ccxt_pro,
    cryptofeed_peer,
    exwire_raw,
    exwire_typed,
    python_binance,
    unicorn,
)
from benchmarks.peers.base import Peer

__all__ = ["PEERS", "Peer"]

#: In table order: exwire first, then the typed peers, then the untyped ones.
PEERS: tuple[Peer, ...] = (
    exwire_typed.PEER,
    exwire_raw.PEER,
    binance_sdk_spot.PEER,
    python_binance.PEER,
    binance_connector.PEER,
    unicorn.PEER,
    unicorn.PEER_PICOWS,
    ccxt_pro.PEER,
    cryptofeed_peer.PEER,
)
