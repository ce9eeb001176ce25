"""The ``exwire`` command: stream a channel, call one request, or run an emulator.

::

    exwire stream kraken ticker XBT/USD --count 5          # in-process emulator
    exwire stream kraken trades XBT/USD --json --seconds 10 --live
    exwire call kraken ping
    exwire emulate kraken --port 8765                       # prints ws://127.0.0.1:8765/
    exwire stream kraken ticker XBT/USD --url ws://127.0.0.1:8765/

Without ``--live`` or ``--url`` the command starts the exchange's emulator in its own
process. Which exchanges, channels and requests exist comes from
:mod:`exwire.hosts` (``exwire stream --help`` lists them).

Exit status: 0 on success (also when Ctrl-C ends ``stream`` or ``emulate``), 1 when
exwire raised an error, 2 for a usage error, 130 when Ctrl-C interrupted ``call``.
"""

from __future__ import annotations

import argparse
import datetime as _datetime
import decimal
import enum
import inspect
import json
import logging
import signal
import sys
import threading
import types
from collections.abc import Sequence
from typing import Any

import attrs

from exwire._core.backoff import Deadline
from exwire.errors import ConfigurationError, ExwireError, InvalidState, SlowConsumer
from exwire.hosts import Exchange, exchanges, get_exchange, unavailable

__all__ = ["main", "to_jsonable"]


def to_jsonable(value: Any) -> Any:
    """``value`` as plain JSON types: attrs models → dicts, ``Decimal`` → its exact plain string,
    ``datetime``/``date``/``time`` → ISO 8601 text, enums → their value, sequences → lists."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value.value if isinstance(value, enum.Enum) else value
    if isinstance(value, decimal.Decimal):
        return format(value, "f")  # plain digits, never exponent notation ("0E-8")
    if isinstance(value, (_datetime.datetime, _datetime.date, _datetime.time)):
        return value.isoformat()
    if isinstance(value, _datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if attrs.has(type(value)):
        return {field.name: to_jsonable(getattr(value, field.name)) for field in attrs.fields(type(value))}
    if isinstance(value, dict):
        return {str(to_jsonable(key)): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(item) for item in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _event_json(event: Any) -> dict[str, Any]:
    return {
        "topic": event.topic,
        "symbol": event.symbol,
        "received_at": to_jsonable(event.received_at),
        "update_type": to_jsonable(event.update_type),
        "data": to_jsonable(event.data),
    }


def _text(value: Any) -> str:
    """A one-line human rendering of a model (``field=value`` pairs)."""
    plain = to_jsonable(value)
    if isinstance(plain, dict):
        return " ".join(f"{key}={_text_scalar(item)}" for key, item in plain.items())
    if isinstance(plain, list):
        return " | ".join(_text(item) for item in value) if plain else "[]"
    return _text_scalar(plain)


def _text_scalar(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _print(line: str) -> None:
    print(line, flush=True)


# -- argument parsing ---------------------------------------------------------------------


def _availability() -> str:
    lines = ["exchanges:"]
    for name, exchange in sorted(exchanges().items()):
        emulator = "" if exchange.emulator_class is not None else " (no emulator yet: use --live or --url)"
        lines.append(f"  {name}{emulator}, e.g. symbol {exchange.example_symbol}")
        lines.append(f"    channels: {', '.join(sorted(exchange.channels)) or '-'}")
        lines.append(f"    requests: {', '.join(exchange.requests) or '-'}")
    for name, reason in sorted(unavailable().items()):
        lines.append(f"  {name}: not available ({reason})")
    return "\n".join(lines)


def _add_source(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--live", action="store_true", help="connect to the exchange's production endpoint")
    source.add_argument("--url", metavar="URL", help="connect to this endpoint (e.g. an `exwire emulate` server)")
    parser.add_argument("--timeout", type=float, metavar="S", default=None,
                        help="seconds to wait for the exchange's reply (default: the client's)")
    parser.add_argument("--json", action="store_true", help="print JSON (one object per line)")


def _parser(with_epilog: bool = True) -> argparse.ArgumentParser:
    # The epilog imports every exchange's client and emulator: only worth it for --help.
    epilog = _availability() if with_epilog else None
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="exwire", description="Stream, call and emulate exchanges' WebSocket APIs.",
        epilog=epilog, formatter_class=formatter)
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log to stderr (-vv: debug)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    stream = commands.add_parser(
        "stream", help="print the updates of one channel", epilog=epilog, formatter_class=formatter,
        description="Subscribe to CHANNEL for SYMBOL and print each typed update until Ctrl-C, "
                    "--seconds or --count. Uses an in-process emulator unless --live or --url.")
    stream.add_argument("exchange", metavar="EXCHANGE")
    stream.add_argument("channel", metavar="CHANNEL")
    stream.add_argument("symbol", metavar="SYMBOL")
    _add_source(stream)
    stream.add_argument("--seconds", type=float, metavar="N", help="stop after N seconds")
    stream.add_argument("--count", type=int, metavar="N", help="stop after N updates")

    call = commands.add_parser(
        "call", help="run one blocking request and print its result", epilog=epilog, formatter_class=formatter,
        description="Call METHOD with ARGS and print the result. ARGS are positional values or "
                    "name=value keywords; numbers are converted where the method expects them. "
                    "Uses an in-process emulator unless --live or --url.")
    call.add_argument("exchange", metavar="EXCHANGE")
    call.add_argument("method", metavar="METHOD")
    call.add_argument("args", metavar="ARGS", nargs="*")
    _add_source(call)

    emulate = commands.add_parser(
        "emulate", help="run an exchange emulator in the foreground", epilog=epilog, formatter_class=formatter,
        description="Start EXCHANGE's emulator, print its URL on the first line of standard output, "
                    "and serve until Ctrl-C or SIGTERM.")
    emulate.add_argument("exchange", metavar="EXCHANGE")
    emulate.add_argument("--port", type=int, default=0, metavar="N", help="TCP port (default: a free one)")
    emulate.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    return parser


# -- commands -----------------------------------------------------------------------------


def _stream(exchange: Exchange, args: argparse.Namespace) -> int:
    if args.count is not None and args.count < 1:
        raise ConfigurationError("--count must be at least 1")
    if args.seconds is not None and args.seconds <= 0:
        raise ConfigurationError("--seconds must be positive")
    if args.channel not in exchange.channels:
        raise ConfigurationError(f"{exchange.name} has no channel {args.channel!r}; "
                                 f"channels: {', '.join(sorted(exchange.channels)) or 'none'}")
    deadline = Deadline(args.seconds)
    received = 0
    with exchange.open(live=args.live, url=args.url) as client:
        subscription = exchange.subscribe(client, args.channel, args.symbol, timeout=args.timeout)
        try:
            while args.count is None or received < args.count:
                if deadline.expired:
                    break
                try:
                    event = subscription.get(deadline.remaining())
                except TimeoutError:
                    break
                except SlowConsumer as exc:
                    print(f"warning: {exc}", file=sys.stderr)
                    continue
                except InvalidState:  # the subscription ended (the exchange dropped it)
                    print("the subscription ended", file=sys.stderr)
                    return 1
                received += 1
                if args.json:
                    _print(json.dumps(_event_json(event), separators=(",", ":")))
                else:
                    stamp = event.received_at.strftime("%H:%M:%S.%f")[:-3]
                    _print(f"{stamp} {event.symbol or ''} {_text(event.data)}")
        except KeyboardInterrupt:
            pass
    return 0


def _annotation_kinds(annotation: Any) -> set[str]:
    if annotation is inspect.Parameter.empty:
        return set()
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    if isinstance(annotation, types.UnionType):
        text = str(annotation)
    return {part.strip() for part in text.replace("Optional[", "").replace("]", "").split("|")}


def _convert(text: str, parameter: inspect.Parameter | None) -> Any:
    """A command-line word as the parameter expects it: int, float or bool where that is
    the only non-text type its annotation allows; otherwise the text itself."""
    kinds = _annotation_kinds(parameter.annotation) if parameter is not None else set()
    if "str" in kinds or not kinds:
        return text
    try:
        if "bool" in kinds and text.lower() in ("true", "false"):
            return text.lower() == "true"
        if "int" in kinds:
            return int(text)
        if "float" in kinds:
            return float(text)
    except ValueError:
        pass
    return text


def _call_arguments(method: Any, words: Sequence[str]) -> tuple[list[Any], dict[str, Any]]:
    parameters = inspect.signature(method).parameters
    positional_parameters = [p for p in parameters.values()
                             if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    positional: list[Any] = []
    keywords: dict[str, Any] = {}
    for word in words:
        name, equals, value = word.partition("=")
        if equals and name.isidentifier() and name in parameters:
            keywords[name] = _convert(value, parameters[name])
        elif keywords:
            raise ConfigurationError(f"positional argument {word!r} after keyword arguments")
        else:
            index = len(positional)
            parameter = positional_parameters[index] if index < len(positional_parameters) else None
            positional.append(_convert(word, parameter))
    try:
        inspect.signature(method).bind(*positional, **keywords)
    except TypeError as exc:
        raise ConfigurationError(f"{method.__name__}{inspect.signature(method)}: {exc}") from None
    return positional, keywords


def _call(exchange: Exchange, args: argparse.Namespace) -> int:
    if args.method not in exchange.requests:
        raise ConfigurationError(f"{exchange.name} has no request {args.method!r}; "
                                 f"requests: {', '.join(exchange.requests) or 'none'}")
    positional, keywords = _call_arguments(getattr(exchange.client_class, args.method), ["self", *args.args])
    positional = positional[1:]
    if args.timeout is not None:
        keywords["timeout"] = args.timeout
    with exchange.open(live=args.live, url=args.url) as client:
        result = getattr(client, args.method)(*positional, **keywords)
    _print(json.dumps(to_jsonable(result)) if args.json else _text(result))
    return 0


def _emulate(exchange: Exchange, args: argparse.Namespace) -> int:
    if exchange.emulator_class is None:
        raise ConfigurationError(f"exwire has no {exchange.name} emulator yet")
    stop = threading.Event()

    def terminate(signum: int, frame: Any) -> None:
        # Only set a flag: a signal landing anywhere (even while the emulator starts or
        # prints its URL) then ends the wait below instead of escaping as an exception.
        stop.set()

    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, terminate)
    try:
        with exchange.emulator_class(host=args.host, port=args.port) as emulator:
            _print(emulator.url)
            print(f"{exchange.name} emulator at {emulator.url}; client keywords: "
                  f"{json.dumps(emulator.client_kwargs())}; Ctrl-C stops it", file=sys.stderr, flush=True)
            while not stop.wait(0.5):  # the tick lets the main thread run signal handlers
                pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    print("emulator stopped", file=sys.stderr, flush=True)
    return 0


_COMMANDS = {"stream": _stream, "call": _call, "emulate": _emulate}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``exwire`` command with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = _parser(with_epilog=bool({"-h", "--help"} & set(argv)) or not argv)
    args = parser.parse_args(argv)
    if args.verbose:
        logging.basicConfig(level=logging.DEBUG if args.verbose > 1 else logging.INFO, stream=sys.stderr,
                            format="%(asctime)s %(threadName)s %(name)s %(levelname)s %(message)s")
    try:
        exchange = get_exchange(args.exchange)
        return _COMMANDS[args.command](exchange, args)
    except ConfigurationError as exc:
        parser.exit(2, f"exwire {args.command}: error: {exc}\n")
    except ExwireError as exc:
        print(f"exwire {args.command}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0  # pragma: no cover - parser.exit raises


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
