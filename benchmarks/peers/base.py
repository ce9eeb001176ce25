"""What a peer adapter is, the loopback-only guard, and a thread running a peer's event loop.

A peer adapter (one small module per peer in this package) defines ``PEER``, a
:class:`Peer`: which modules it needs (``requires``; a missing one makes the peer
*skipped*, never failed), whether it delivers typed models or plain dicts/strings
(``typed``), and ``start(root, on_message)``, which connects the peer to
``root`` (``ws://127.0.0.1:<port>``, the benchmark's own flood server), subscribes
``btcusdt@trade`` and calls ``on_message(message)`` once per trade the peer hands
to its user; it returns a function that stops the peer. ``start`` may return as soon
as the connection is under way: the harness waits for the server to see the
subscription before it floods.

Peers must never reach the internet: every adapter overrides its peer's base URLs,
and :func:`loopback_only` makes any connection to another host fail while peers run.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import socket
import threading
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["Peer", "loopback_only", "LoopThread", "OnMessage", "Stop"]

OnMessage = Callable[[Any], None]
Stop = Callable[[], None]


@dataclass(frozen=True)
class Peer:
    """One library measured beside exwire.

    Attributes:
        name: the variant's name in the table.
        typed: ``True`` when the peer hands typed models to its user, ``False`` for
            dicts, lists or strings (exwire typed is compared with the typed peers,
            exwire raw with the others).
        requires: modules that must import; the first missing one is the skip reason.
        start: ``start(root, on_message)`` → ``stop()`` (see the module docstring).
        envelope: what the peer subscribes: ``"combined"`` or ``"raw"`` frames.
        skip: a fixed reason to skip (a peer that cannot be pointed at a local URL).
    """

    name: str
    typed: bool
    requires: tuple[str, ...]
    start: Callable[[str, OnMessage], Stop]
    envelope: str = "combined"
    skip: str | None = None

    def missing(self) -> str | None:
        """Why this peer cannot run here, or ``None``."""
        if self.skip:
            return self.skip
        for module in self.requires:
            try:
                if importlib.util.find_spec(module) is None:
                    return f"{module} is not installed (benchmarks/requirements-peers.txt)"
            except (ImportError, ValueError) as exc:
                return f"{module} is not installed ({type(exc).__name__}: {exc})"
        return None


_LOCAL = {"127.0.0.1", "localhost", "::1", "0.0.0.0", "", None}


def _local(host: Any) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    return host in _LOCAL or (isinstance(host, str) and host.startswith("127."))


@contextlib.contextmanager
def loopback_only() -> Iterator[None]:
    """While inside, resolving or connecting to any host but the loopback raises ``OSError``.

    A safety net under the adapters' URL overrides: a peer that tries to reach its
    exchange (a REST ping, an update check) fails instead of leaving the machine.
    """
    original_getaddrinfo = socket.getaddrinfo
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _local(host):
            raise OSError(f"benchmarks.peers: refusing to resolve {host!r}: peers stay on the loopback")
        return original_getaddrinfo(host, *args, **kwargs)

    def check(address: Any) -> None:
        if isinstance(address, tuple) and not _local(address[0]):
            raise OSError(f"benchmarks.peers: refusing to connect to {address!r}: peers stay on the loopback")

    def connect(self: socket.socket, address: Any) -> None:
        check(address)
        return original_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(address)
        return original_connect_ex(self, address)

    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]
    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    try:
        yield
    finally:
        socket.getaddrinfo = original_getaddrinfo  # type: ignore[assignment]
        socket.socket.connect = original_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = original_connect_ex  # type: ignore[method-assign]


class LoopThread:
    """An asyncio event loop on its own thread, for the asyncio peers.

    ``LoopThread(main)`` runs ``main()`` (a coroutine function) on a fresh loop in a
    daemon thread named ``peer-<name>``; :meth:`stop` cancels it and joins.
    """

    def __init__(self, name: str, main: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        self._main = main
        self._loop = asyncio.new_event_loop()
        self._task: asyncio.Task[Any] | None = None
        self._started = threading.Event()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=f"peer-{name}", daemon=True)
        self._thread.start()
        self._started.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._task = self._loop.create_task(self._main())
        self._started.set()
        try:
            self._loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        except BaseException as exc:  # reported by the harness (no subscription seen)
            self.error = exc
        finally:
            try:
                pending = [t for t in asyncio.all_tasks(self._loop) if not t.done()]
                for task in pending:
                    task.cancel()
                if pending:
                    self._loop.run_until_complete(asyncio.wait(pending, timeout=2))
                self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            except Exception:
                pass
            self._loop.close()

    def stop(self) -> None:
        if self._task is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(10)
