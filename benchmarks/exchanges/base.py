"""The table entry of one exchange: its server side, its frames, its client calls.

Each exchange is one :class:`Exchange`: a :class:`~benchmarks.wsserver.Handler`
that answers like the exchange (acks echoing the request id, replies), generators
of flood frames in the exchange's format, and small adapters that call the exwire
client (what to subscribe, which request to time) and the bare websocket-client
loop it is compared with. :meth:`Exchange.client_class` and :meth:`Exchange.missing`
decide whether an entry runs: the client must import and have every attribute a
case ``needs``; otherwise the case is skipped with the reason printed.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from benchmarks.wsserver import Handler, ServerConnection

__all__ = ["Exchange", "StreamCase", "RequestCase", "call_with_defaults", "pick"]

#: ``frames(count, symbols, connection)`` → the messages of a flood (``str`` text, ``bytes`` binary).
FrameBuilder = Callable[[int, Sequence[str], "ServerConnection | None"], list]


@dataclass(frozen=True)
class StreamCase:
    """One stream-throughput case: a flood of ``kind`` updates to one subscription.

    Attributes:
        kind: short name, e.g. ``"ticker"``.
        needs: client attributes the exwire side calls.
        frames: builds the flood; ``connection`` is the server side of the subscribed
            connection (for exchanges whose frames name what was subscribed).
        subscribe: ``subscribe(client, symbols, callback)`` → ``exwire.Subscription``.
        bare_prepare: ``bare_prepare(ws, symbols)``: what a bare client sends and reads
            after connecting and before the flood (log-on, subscribe, greetings).
        bare_decode: what the bare loop does with each message (``json.loads`` or the
            exchange's equivalent); its cost is the baseline.
        symbols: the symbol(s) subscribed.
        flood_key: the frames depend on what the client subscribed, which the handler
            records in ``connection.state["subscribed"]`` (floods are cached per value).
        scale_symbols: ``scale_symbols(k)`` → ``k`` distinct symbols the server accepts,
            for the 1/100/1,000-subscription runs; ``None`` when the case does not scale.
    """

    kind: str
    needs: tuple[str, ...]
    frames: FrameBuilder
    subscribe: Callable[[Any, Sequence[str], Callable[[Any], None]], Any]
    bare_prepare: Callable[[Any, Sequence[str]], None]
    bare_decode: Callable[[Any], Any]
    symbols: tuple[str, ...]
    flood_key: bool = False
    scale_symbols: Callable[[int], list[str]] | None = None


@dataclass(frozen=True)
class RequestCase:
    """One request round-trip case.

    Attributes:
        name: the wire method, e.g. ``"ping"`` or ``"time"``.
        needs: client attributes the exwire side calls.
        call: ``call(client)`` makes one blocking request.
        bare_prepare: ``bare_prepare(ws)`` after connecting (read greetings).
        bare_request: ``bare_request(ws, number)`` sends one request, reads and decodes the reply.
    """

    name: str
    needs: tuple[str, ...]
    call: Callable[[Any], Any]
    bare_prepare: Callable[[Any], None]
    bare_request: Callable[[Any, int], Any]


@dataclass(frozen=True)
class Exchange:
    """One exchange's row of the table."""

    name: str
    module: str
    client: tuple[str, str]  # (module, class name)
    handler: Callable[[str], Handler]
    client_kwargs: Callable[[str], dict]  # url -> constructor keywords
    path: str = "/"
    bare_options: dict = field(default_factory=dict)  # websocket.create_connection keywords
    streams: tuple[StreamCase, ...] = ()
    requests: tuple[RequestCase, ...] = ()

    def client_class(self) -> tuple[type | None, str | None]:
        """The exwire client class, or ``(None, reason)`` when it is not there (yet)."""
        try:
            importlib.import_module(self.module)
        except Exception as exc:  # an exchange being written may fail in any way
            return None, f"import {self.module} failed: {type(exc).__name__}: {exc}"
        module_name, class_name = self.client
        for candidate in (self.module, module_name):
            try:
                module = importlib.import_module(candidate)
            except ImportError:
                continue
            except Exception as exc:
                return None, f"import {candidate} failed: {type(exc).__name__}: {exc}"
            cls = getattr(module, class_name, None)
            if isinstance(cls, type):
                return cls, None
        return None, f"{module_name}.{class_name} does not exist yet"

    @staticmethod
    def missing(cls: type, needs: Sequence[str]) -> str | None:
        """Why ``cls`` cannot run a case that ``needs`` these attributes, or ``None``.

        A need ``"a|b"`` is met by either attribute.
        """
        absent = [need for need in needs if not any(hasattr(cls, name) for name in need.split("|"))]
        return f"{cls.__name__} has no {', '.join(n.replace('|', ' or ') for n in absent)}" if absent else None


def pick(obj: Any, need: str) -> Callable[..., Any]:
    """The first attribute of ``obj`` named in ``need`` (``"a|b"``)."""
    for name in need.split("|"):
        method = getattr(obj, name, None)
        if method is not None:
            return method
    raise AttributeError(f"{type(obj).__name__} has no {need.replace('|', ' or ')}")


def call_with_defaults(method: Callable[..., Any], *args: Any, defaults: dict | None = None, **kwargs: Any) -> Any:
    """Call ``method(*args, **kwargs)``, filling required parameters it names from ``defaults``.

    The exchanges' subscribe methods differ in their extra parameters (CoinEx's
    ``limit``/``merge_depth``, Coinsuper's ``step``); entries name plausible values
    and only those the signature requires without a default are passed.
    """
    defaults = defaults or {}
    try:
        parameters = list(inspect.signature(method).parameters.values())
    except (TypeError, ValueError):
        return method(*args, **kwargs)
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    for parameter in positional[len(args):] + [p for p in parameters if p.kind is p.KEYWORD_ONLY]:
        if parameter.name in kwargs or parameter.default is not parameter.empty:
            continue
        if parameter.name in defaults:
            kwargs[parameter.name] = defaults[parameter.name]
    return method(*args, **kwargs)
