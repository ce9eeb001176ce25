"""cryptofeed: a ``Binance`` feed of ``TRADES`` (typed ``Trade`` objects, asyncio).

Placeholder until pointed at a local URL: see ``PEER.skip``.
"""

from __future__ import annotations

from benchmarks.peers.base import OnMessage, Peer, Stop


def start(root: str, on_message: OnMessage) -> Stop:
    raise RuntimeError("not implemented")


PEER = Peer("cryptofeed", True, ("cryptofeed",), start,
            skip="cryptofeed loads its symbols over REST and runs its own loop; no local-URL adapter yet")
