"""The ``exwire`` command: stream a channel, call one request, or run an emulator.

::

    exwire stream kraken ticker BTC/USD --count 5          # in-process emulator
    exwire stream binance trades BTC/USDT ETH/USDT --json --seconds 10 --live
    exwire stream okex klines BTC/USDT --interval 1m
    exwire stream coinex book BTC/USDT --depth 5
    exwire call kraken ping                                 # ping: 0.68 ms
    exwire emulate kraken --port 8765                       # prints the --url options below
    exwire stream kraken ticker BTC/USD --url ws://127.0.0.1:8765/ \
        --url private_url=ws://127.0.0.1:8765/auth --url rest_url=http://127.0.0.1:8765
    exwire --version

``emulate`` prints, on the first line of standard output, exactly the ``--url`` options
that ``stream`` and ``call`` take for that emulator (``--url URL`` for the client's main
endpoint, ``--url KEYWORD=URL`` for each other one, e.g. Binance's ``usdm_futures_url``),
and on the second an ``export`` line with its demo account's credentials.

Credentials for ``--live`` or ``--url`` come from the environment, never from the
command line: ``EXWIRE_<EXCHANGE>_KEY``, ``_SECRET``, ``_PASSPHRASE``, ``_EMAIL`` and
``_PRIVATE_KEY_FILE`` (a path to a PEM private key), e.g. ``EXWIRE_BINANCE_KEY``.
``--json`` prints one JSON object per line (money as decimal strings, times as ISO
8601, round trips in ``seconds``); otherwise every figure with a unit carries it
(``ping: 0.68 ms``). ``--log-level debug`` (or ``-v``/``-vv``) logs exwire to stderr.

Without ``--live`` or ``--url`` the command starts the exchange's emulator in its own
process. ``stream`` goes through ``client.shared``: the same channels, ``BASE/QUOTE``
symbols and neutral models (:mod:`exwire.models`) on every exchange, and the channels
an exchange offers are its ``client.shared.features``; each update is one line
(a frame of several trades, orders or fills prints one line each). ``call`` runs one of
the client's own blocking requests by name. ``exwire stream --help`` lists the
exchanges with their channels and requests.

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
import shlex
import signal
import sys
import textwrap
import threading
import types
import typing
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any

import attrs

import exwire
from exwire._core.backoff import Deadline
from exwire._core.client import BaseClient
from exwire.errors import ConfigurationError, ExwireError, InvalidState, SlowConsumer
from exwire.hosts import Exchange, environment_of, exchanges, get_exchange, parse_interval, unavailable
from exwire.models import Balance, DataEvent, Fill, Kline, Level, Order, Ticker, TopOfBook, Trade
from exwire.orderbook import BookSnapshot
from exwire.shared import split_symbol

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


_NATIVE = "native"

#: The neutral fields each model's line shows, in order (``exwire.models``).
_LINE_FIELDS: dict[type, tuple[str, ...]] = {
    Ticker: ("last_price", "bid_price", "ask_price", "volume"),
    Trade: ("price", "quantity", "side", "time", "trade_id"),
    Kline: ("open_time", "open", "high", "low", "close", "volume", "closed"),
    Order: ("order_id", "side", "order_type", "status", "price", "quantity", "filled_quantity"),
    Fill: ("trade_id", "order_id", "side", "price", "quantity", "fee", "fee_asset", "time"),
    Balance: ("asset", "free", "locked", "total"),
}


def _neutral_json(value: Any) -> Any:
    """A neutral model (or a list of them) as JSON, without its ``native`` model."""
    if isinstance(value, list):
        return [_neutral_json(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _neutral_json(item) for key, item in value.items()}
    if attrs.has(type(value)) and type(value).__module__ == "exwire.models":
        return {field.name: to_jsonable(getattr(value, field.name))
                for field in attrs.fields(type(value)) if field.name != _NATIVE}
    return to_jsonable(value)


def _event_json(event: DataEvent[Any], data: Any) -> dict[str, Any]:
    return {
        "topic": event.topic,
        "symbol": event.symbol,
        "received_at": to_jsonable(event.received_at),
        "update_type": to_jsonable(event.update_type),
        "data": _neutral_json(data),
    }


def _scalar(value: Any) -> str:
    plain = to_jsonable(value)
    if plain is None:
        return "-"
    if isinstance(plain, (dict, list)):
        return json.dumps(plain, separators=(",", ":"))
    return str(plain)


def _level(level: Level | None) -> str:
    return "-" if level is None else f"{_scalar(level.quantity)}@{_scalar(level.price)}"


def _line(value: Any) -> str:
    """One neutral model as ``field=value`` pairs (its neutral fields only)."""
    if isinstance(value, TopOfBook):
        return f"bid={_level(value.bid)} ask={_level(value.ask)}"
    if isinstance(value, BookSnapshot):
        best_bid = value.bids[0] if value.bids else None
        best_ask = value.asks[0] if value.asks else None
        return f"bid={_level(best_bid)} ask={_level(best_ask)} levels={len(value.bids)}/{len(value.asks)}"
    names = _LINE_FIELDS.get(type(value))
    if names is None:
        return _text(value)
    return " ".join(f"{name}={_scalar(getattr(value, name))}" for name in names)


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
    if isinstance(value, float):  # money is Decimal: a float in a model is a duration in seconds
        return f"{value:g} s"
    return str(value)


_output_lock = threading.Lock()


def _print(line: str, *, error: bool = False) -> None:
    """Write ``line`` and its newline in one call, under a lock: lines printed from
    several threads never run together."""
    stream = sys.stderr if error else sys.stdout
    with _output_lock:
        stream.write(line + "\n")
        stream.flush()


# -- argument parsing ---------------------------------------------------------------------


def _availability() -> str:
    lines = ["exchanges (symbols are BASE/QUOTE):"]
    for name, exchange in sorted(exchanges().items()):
        emulator = "" if exchange.emulator_class is not None else " (no emulator: use --live or --url)"
        lines.append(f"  {name}{emulator}, e.g. symbol {exchange.example_symbol}")
        problem = f" ({exchange.shared_problem})" if exchange.shared_problem else ""
        lines.append(f"    channels: {', '.join(exchange.channels) or '-'}{problem}")
        lines.extend(textwrap.wrap(f"requests: {', '.join(exchange.requests) or '-'}", 100,
                                   initial_indent="    ", subsequent_indent="      ", break_on_hyphens=False))
    for name, reason in sorted(unavailable().items()):
        lines.append(f"  {name}: not available ({reason})")
    return "\n".join(lines)


def _add_source(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--live", action="store_true", help="connect to the exchange's production endpoint")
    source.add_argument("--url", metavar="URL", action="append",
                        help="connect to this endpoint (e.g. what `exwire emulate` prints); repeat as "
                             "--url KEYWORD=URL for the client's other endpoints (e.g. usdm_futures_url=...)")
    parser.add_argument("--timeout", type=float, metavar="S", default=None,
                        help="seconds to wait for the exchange's reply (default: the client's)")
    parser.add_argument("--json", action="store_true", help="print JSON (one object per line)")


_LOG_LEVELS = ("debug", "info", "warning", "error")


def _endpoints(values: Sequence[str] | None) -> tuple[str | None, dict[str, str]]:
    """``--url`` values as the main URL and ``{keyword: URL}`` for the others.

    Raises:
        ConfigurationError: two main URLs, or a keyword given twice.
    """
    main: str | None = None
    others: dict[str, str] = {}
    for value in values or ():
        keyword, equals, url = value.partition("=")
        if equals and keyword.isidentifier():
            if keyword in others or (keyword == "url" and main is not None):
                raise ConfigurationError(f"--url {keyword}= given twice")
            if keyword == "url":
                main = url
            else:
                others[keyword] = url
        elif main is not None:
            raise ConfigurationError(f"two main endpoints: --url {main} and --url {value} "
                                     "(name the others: --url KEYWORD=URL)")
        else:
            main = value
    return main, others


def _url_options(keywords: dict[str, Any]) -> str:
    """The ``--url`` options for an emulator's ``client_kwargs()``: its ``url`` first,
    then each other URL keyword as ``--url KEYWORD=URL``."""
    urls = {key: value for key, value in keywords.items() if isinstance(value, str) and "://" in value}
    options = [f"--url {shlex.quote(urls.pop('url'))}"] if "url" in urls else []
    options.extend(f"--url {shlex.quote(f'{key}={value}')}" for key, value in urls.items())
    return " ".join(options)


def _parser(with_epilog: bool = True) -> argparse.ArgumentParser:
    # The epilog imports every exchange's client and emulator: only worth it for --help.
    epilog = _availability() if with_epilog else None
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="exwire", description="Stream, call and emulate exchanges' WebSocket APIs.",
        epilog=epilog, formatter_class=formatter)
    parser.add_argument("--version", action="version", version=f"exwire {exwire.__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log to stderr (-vv: debug)")
    parser.add_argument("--log-level", metavar="LEVEL", type=str.lower, choices=_LOG_LEVELS,
                        help=f"log exwire at LEVEL to stderr ({', '.join(_LOG_LEVELS)})")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    stream = commands.add_parser(
        "stream", help="print the updates of one channel", epilog=epilog, formatter_class=formatter,
        description="Subscribe to CHANNEL for SYMBOLs (BASE/QUOTE, e.g. BTC/USDT; default: the "
                    "exchange's example) through client.shared and print each update on its own line "
                    "until Ctrl-C, --seconds or --count. Channels: ticker, trades, klines, top_of_book "
                    "(alias spread), book, orders, fills, balances, as the exchange offers them. Uses an "
                    "in-process emulator unless --live or --url.")
    stream.add_argument("exchange", metavar="EXCHANGE")
    stream.add_argument("channel", metavar="CHANNEL")
    stream.add_argument("symbols", metavar="SYMBOL", nargs="*")
    _add_source(stream)
    stream.add_argument("--seconds", type=float, metavar="N", help="stop after N seconds")
    stream.add_argument("--count", type=int, metavar="N", help="stop after N lines")
    stream.add_argument("--interval", metavar="I", help="klines: 60, 1m, 1h, 1d ... (default: the shortest)")
    stream.add_argument("--depth", type=int, metavar="N", default=None,
                        help="book: levels per side (default: the smallest book the exchange keeps)")

    call = commands.add_parser(
        "call", help="run one blocking request and print its result", epilog=epilog, formatter_class=formatter,
        description="Call the client's METHOD with ARGS and print the result; shared.METHOD calls "
                    "client.shared's (get_balances, get_open_orders, place_order, cancel_order: "
                    "BASE/QUOTE symbols, neutral models). ARGS are positional values or name=value "
                    "keywords; numbers and enum values (buy, limit ...) are converted where the "
                    "method expects them. "
                    "Uses an in-process emulator unless --live or --url.")
    call.add_argument("exchange", metavar="EXCHANGE")
    call.add_argument("method", metavar="METHOD")
    call.add_argument("args", metavar="ARGS", nargs="*")
    _add_source(call)

    emulate = commands.add_parser(
        "emulate", help="run an exchange emulator in the foreground", epilog=epilog, formatter_class=formatter,
        description="Start EXCHANGE's emulator and serve until Ctrl-C or SIGTERM. The first line of "
                    "standard output is the --url options stream and call take for it; the second, "
                    "an export line with its demo account's EXWIRE_<EXCHANGE>_* credentials.")
    emulate.add_argument("exchange", metavar="EXCHANGE")
    emulate.add_argument("--port", type=int, default=0, metavar="N", help="TCP port (default: a free one)")
    emulate.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    return parser


# -- commands -----------------------------------------------------------------------------


def _show(event: DataEvent[Any], data: Any, as_json: bool) -> None:
    if as_json:
        _print(json.dumps(_event_json(event, data), separators=(",", ":")))
    else:
        stamp = event.received_at.strftime("%H:%M:%S.%f")[:-3]
        _print(f"{stamp} {event.symbol or '-'} {_line(data)}")


def _stream(exchange: Exchange, args: argparse.Namespace) -> int:
    if args.count is not None and args.count < 1:
        raise ConfigurationError("--count must be at least 1")
    if args.seconds is not None and args.seconds <= 0:
        raise ConfigurationError("--seconds must be positive")
    channel = exchange.channel(args.channel)
    symbols = ["/".join(split_symbol(symbol)) for symbol in args.symbols] or [exchange.example_symbol]
    interval = parse_interval(args.interval) if args.interval is not None else None
    if channel == "book":
        depth = exchange.book_depth(args.depth)
    deadline = Deadline(args.seconds)
    printed = 0
    url, urls = _endpoints(args.url)
    with exchange.open(live=args.live, url=url, urls=urls) as client:
        if channel == "book":
            return _stream_book(exchange, client, symbols, depth, deadline, args)
        subscription = exchange.subscribe(client, channel, symbols, interval=interval, timeout=args.timeout)
        try:
            while args.count is None or printed < args.count:
                if deadline.expired:
                    break
                try:
                    event = subscription.get(deadline.remaining())
                except TimeoutError:
                    break
                except SlowConsumer as exc:
                    _print(f"warning: {exc}", error=True)
                    continue
                except InvalidState:  # the subscription ended (the exchange dropped it)
                    _print("the subscription ended", error=True)
                    return 1
                items = event.data if isinstance(event.data, list) else [event.data]
                for item in items:
                    if args.count is not None and printed >= args.count:
                        break
                    _show(event, item, args.json)
                    printed += 1
        except KeyboardInterrupt:
            pass
    return 0


def _stream_book(exchange: Exchange, client: BaseClient, symbols: list[str], depth: int,
                 deadline: Deadline, args: argparse.Namespace) -> int:
    """Watch one maintained book; print its best levels (``--json``: all ``depth``) when they change."""
    if len(symbols) != 1:
        raise ConfigurationError("the book channel watches one symbol")
    symbol = client.shared.shared_symbol(client.shared.native_symbol(symbols[0]))
    printed = 0
    shown = ""
    try:
        with exchange.watch_book(client, symbols[0], depth, timeout=args.timeout) as watcher:
            while (args.count is None or printed < args.count) and not deadline.expired:
                if not watcher.synced:
                    watcher.wait_synced(_tick(deadline))
                    continue
                snapshot = watcher.snapshot(depth)
                data = {"bids": to_jsonable(snapshot.bids), "asks": to_jsonable(snapshot.asks)}
                line = json.dumps(data, separators=(",", ":")) if args.json else _line(snapshot)
                if line == shown:
                    _idle.wait(_tick(deadline))  # the watcher notifies nobody: look again shortly
                    continue
                shown = line
                now = _datetime.datetime.now(_datetime.timezone.utc)
                if args.json:
                    _print(json.dumps({"topic": f"book:{symbol}", "symbol": symbol,
                                       "received_at": now.isoformat(), "data": data}, separators=(",", ":")))
                else:
                    _print(f"{now.strftime('%H:%M:%S.%f')[:-3]} {symbol} {line}")
                printed += 1
    except KeyboardInterrupt:
        pass
    return 0


_idle = threading.Event()  # never set: a wait on it is an interruptible pause


def _tick(deadline: Deadline) -> float:
    remaining = deadline.remaining()
    return 0.05 if remaining is None else max(0.0, min(0.05, remaining))


def _annotation_kinds(annotation: Any) -> set[str]:
    if annotation is inspect.Parameter.empty:
        return set()
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    if isinstance(annotation, types.UnionType):
        text = str(annotation)
    return {part.strip() for part in text.replace("Optional[", "").replace("]", "").split("|")}


def _enum_of(hint: Any) -> type[enum.Enum] | None:
    """The enum a type hint names (alone or in a union), or ``None``."""
    for candidate in (hint, *typing.get_args(hint)):
        if isinstance(candidate, type) and issubclass(candidate, enum.Enum):
            return candidate
    return None


def _convert(text: str, parameter: inspect.Parameter | None, hint: Any = None) -> Any:
    """A command-line word as the parameter expects it: an enum member by its value where
    the hint names an enum (``buy`` → ``Side.BUY``); int, float or bool where that is the
    only non-text type its annotation allows; otherwise the text itself."""
    members = _enum_of(hint)
    if members is not None:
        for member in members:
            if str(member.value).lower() == text.lower() or member.name.lower() == text.lower():
                return member
        return text
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


def _call_arguments(method: Callable[..., Any], words: Sequence[str]) -> tuple[list[Any], dict[str, Any]]:
    parameters = inspect.signature(method).parameters
    try:
        hints = typing.get_type_hints(method)
    except Exception:  # an annotation that does not resolve: convert by its text alone
        hints = {}
    positional_parameters = [p for p in parameters.values()
                             if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    positional: list[Any] = []
    keywords: dict[str, Any] = {}
    for word in words:
        name, equals, value = word.partition("=")
        if equals and name.isidentifier() and name in parameters:
            keywords[name] = _convert(value, parameters[name], hints.get(name))
        elif keywords:
            raise ConfigurationError(f"positional argument {word!r} after keyword arguments")
        else:
            index = len(positional)
            parameter = positional_parameters[index] if index < len(positional_parameters) else None
            positional.append(_convert(word, parameter, None if parameter is None else hints.get(parameter.name)))
    try:
        inspect.signature(method).bind(*positional, **keywords)
    except TypeError as exc:
        raise ConfigurationError(f"{method.__name__}{inspect.signature(method)}: {exc}") from None
    return positional, keywords


def _call(exchange: Exchange, args: argparse.Namespace) -> int:
    if args.method not in exchange.requests:
        raise ConfigurationError(f"{exchange.name} has no request {args.method!r}; "
                                 f"requests: {', '.join(exchange.requests) or 'none'}")
    shared, _, name = args.method.rpartition(".")
    owner: type[Any] = exchange.shared_class if shared else exchange.client_class
    positional, keywords = _call_arguments(getattr(owner, name), ["self", *args.args])
    positional = positional[1:]
    if args.timeout is not None:
        keywords["timeout"] = args.timeout
    url, urls = _endpoints(args.url)
    with exchange.open(live=args.live, url=url, urls=urls) as client:
        target: Any = client.shared if shared else client
        result = getattr(target, name)(*positional, **keywords)
    if args.json:
        for line in _json_lines(args.method, _neutral_json(result) if shared else to_jsonable(result)):
            _print(json.dumps(line, separators=(",", ":")))
    elif isinstance(result, float):  # the requests that return a float return a round trip in seconds
        _print(f"{name}: {result * 1000:.2f} ms")
    elif not shared:  # the client's own request: its native result
        _print(_text(result))
    else:
        items = list(result.values()) if isinstance(result, dict) else result if isinstance(result, list) else [result]
        for item in items:
            _print("ok" if item is None else _line(item))
    return 0


def _json_lines(method: str, plain: Any) -> list[dict[str, Any]]:
    """A request's JSON result as objects, one per line: a list gives one per item, a
    float (a round trip) ``{"method": ..., "seconds": ...}``, another scalar
    ``{"method": ..., "result": ...}``."""
    items = plain if isinstance(plain, list) else [plain]
    lines = []
    for item in items:
        if isinstance(item, dict):
            lines.append(item)
        elif isinstance(item, float):
            lines.append({"method": method, "seconds": item})
        else:
            lines.append({"method": method, "result": item})
    return lines


def _emulate(exchange: Exchange, args: argparse.Namespace) -> int:
    if exchange.emulator_class is None:
        raise ConfigurationError(f"exwire has no {exchange.name} emulator here")
    stopping: list[bool] = []
    tick = threading.Event()  # never set: its wait is the loop's pause

    def terminate(signum: int, frame: FrameType | None) -> None:
        # Only set a flag: a signal landing anywhere (even while the emulator starts or
        # prints its URL) then ends the loop below instead of escaping as an exception.
        # Not Event.set(): the handler runs on the main thread, which may hold that
        # event's lock at that instant (inside its wait), and the lock is not reentrant.
        stopping.append(True)

    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGTERM, signal.SIGINT):
            previous[number] = signal.signal(number, terminate)
    try:
        with exchange.emulator_class(host=args.host, port=args.port) as emulator:
            keywords = dict(emulator.client_kwargs())
            _print(_url_options(keywords))  # exactly what stream and call take
            demo = exchange.spec.demo_credentials
            if demo is not None:  # the demo account, for the client's credentials from the environment
                variables = environment_of(exchange.name, demo(emulator))
                _print("export " + " ".join(f"{key}={shlex.quote(value)}" for key, value in variables.items()))
            # The account (OKX's client_kwargs() hold it) is in the export line, not here.
            shown = {key: value for key, value in keywords.items() if key != "credentials"}
            _print(f"{exchange.name} emulator at {emulator.url}; client keywords: "
                   f"{json.dumps(shown, default=str)}; Ctrl-C stops it", error=True)
            while not stopping:
                tick.wait(0.5)  # the tick lets the main thread run signal handlers
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    _print("emulator stopped", error=True)
    return 0


def _log_to_stderr(level: int) -> None:
    """exwire's loggers at ``level`` to stderr; other libraries' at warning and above."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(threadName)s %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(max(level, logging.WARNING))
    logging.getLogger("exwire").setLevel(level)


_COMMANDS: dict[str, Callable[[Exchange, argparse.Namespace], int]] = {"stream": _stream, "call": _call, "emulate": _emulate}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``exwire`` command with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = _parser(with_epilog=bool({"-h", "--help"} & set(argv)) or not argv)
    args = parser.parse_args(argv)
    level = args.log_level or ("debug" if args.verbose > 1 else "info" if args.verbose else None)
    if level is not None:
        _log_to_stderr(getattr(logging, level.upper()))
    try:
        exchange = get_exchange(args.exchange)
        return _COMMANDS[args.command](exchange, args)
    except ConfigurationError as exc:
        parser.exit(2, f"exwire {args.command}: error: {exc}\n")
    except ExwireError as exc:
        _print(f"exwire {args.command}: {type(exc).__name__}: {exc}", error=True)
        return 1
    except KeyboardInterrupt:
        _print("interrupted", error=True)
        return 130
    return 0  # pragma: no cover - parser.exit raises


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
