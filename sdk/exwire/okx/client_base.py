"""The construction and wiring of :class:`exwire.okx.OkxClient`: its three connections,
login, wire subscriptions and the ``instIdCode`` look-up (private to the package)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Sequence
from typing import Any, ClassVar, cast

from exwire._core import validate
from exwire._core.backoff import Deadline
from exwire._core.client import BaseClient
from exwire._core.connection import Connection
from exwire.errors import ConfigurationError, InvalidRequest, RequestTimeout
from exwire.models import Credentials, DataEvent
from exwire.okx.enums import InstrumentType
from exwire.okx.models import Instrument
from exwire.okx.protocol import Key, OkxProtocol, arg_key, channel_arg
from exwire.okx.signing import login_args
from exwire.okx.symbols import instrument_type_of
from exwire.subscription import Subscription

__all__ = [
    "DEFAULT_URL",
    "DEFAULT_PRIVATE_URL",
    "DEFAULT_BUSINESS_URL",
    "DEMO_URL",
    "DEMO_PRIVATE_URL",
    "DEMO_BUSINESS_URL",
]

#: OKX's production endpoints of API v5.
DEFAULT_URL = "wss://ws.okx.com:8443/ws/v5/public"
DEFAULT_PRIVATE_URL = "wss://ws.okx.com:8443/ws/v5/private"
DEFAULT_BUSINESS_URL = "wss://ws.okx.com:8443/ws/v5/business"
#: OKX's demo trading endpoints (demo API keys), used with ``demo=True``.
DEMO_URL = "wss://wspap.okx.com:8443/ws/v5/public"
DEMO_PRIVATE_URL = "wss://wspap.okx.com:8443/ws/v5/private"
DEMO_BUSINESS_URL = "wss://wspap.okx.com:8443/ws/v5/business"

PUBLIC, PRIVATE, BUSINESS = "public", "private", "business"


class OkxBase(BaseClient):
    """The machinery under :class:`exwire.okx.OkxClient` (see there)."""

    exchange = "okx"
    _shared_class: ClassVar[str] = "exwire.shared:SharedClient"

    def __init__(
        self,
        *,
        url: str | None = None,
        private_url: str | None = None,
        business_url: str | None = None,
        demo: bool = False,
        ping_interval: float = 10.0,
        pong_timeout: float | None = 10.0,
        **options: Any,
    ) -> None:
        if not isinstance(demo, bool):
            raise ConfigurationError(f"demo must be True or False, got {demo!r}")
        url = validate.url(url if url is not None else DEMO_URL if demo else DEFAULT_URL, "url")
        private_url = validate.url(
            private_url if private_url is not None else DEMO_PRIVATE_URL if demo else DEFAULT_PRIVATE_URL, "private_url")
        business_url = validate.url(
            business_url if business_url is not None else DEMO_BUSINESS_URL if demo else DEFAULT_BUSINESS_URL,
            "business_url")
        if isinstance(ping_interval, bool) or not isinstance(ping_interval, (int, float)) or not ping_interval > 0:
            raise ConfigurationError(f"ping_interval must be positive seconds, got {ping_interval!r}")
        if pong_timeout is not None and (isinstance(pong_timeout, bool) or not isinstance(pong_timeout, (int, float))
                                         or not pong_timeout > 0):
            raise ConfigurationError(f"pong_timeout must be positive seconds or None, got {pong_timeout!r}")
        credentials = options.get("credentials")
        if isinstance(credentials, Credentials) and not credentials.passphrase:
            raise ConfigurationError("okx: credentials need the API key's passphrase: "
                                     "exwire.Credentials(key, secret, passphrase=...)")
        super().__init__(**options)
        self.url, self.private_url, self.business_url, self.demo = url, private_url, business_url, demo
        self.ping_interval, self.pong_timeout = float(ping_interval), pong_timeout
        self._public = self._okx_connection(PUBLIC, url)
        self._private = self._okx_connection(PRIVATE, private_url)
        self._business = self._okx_connection(BUSINESS, business_url)
        self._auth_lock = threading.Lock()  # guards _auth_wanted and _logged_in
        self._login_lock = threading.Lock()  # one login at a time per client
        self._auth_wanted: set[str] = {PRIVATE}  # connections that log in after every (re)connect
        self._logged_in: set[str] = set()  # connections whose current socket is logged in
        self._wire_args: dict[Key, dict[str, str]] = {}  # routing key → the arg sent (extraParams kept)
        self._codes_changed = threading.Condition()  # guards _codes, _codes_loaded, _code_streams
        self._codes: dict[str, int] = {}
        self._codes_loaded: set[InstrumentType] = set()
        self._code_streams: dict[InstrumentType, Subscription[Any]] = {}

    def _okx_connection(self, name: str, url: str) -> Connection:
        return self._add_connection(name, url, OkxProtocol(), ping_interval=self.ping_interval,
                                    pong_timeout=self.pong_timeout)

    @staticmethod
    def _protocol_of(connection: Connection) -> OkxProtocol:
        return cast(OkxProtocol, connection.protocol)

    # -- login ----------------------------------------------------------------------------

    def _credentials_for(self, purpose: str) -> Credentials:
        return self._require_credentials("key", "secret", "passphrase", purpose=purpose)

    def _login(self, connection: Connection, timeout: float | None, *, wait_ready: bool) -> None:
        credentials = self._credentials_for("logging in")
        assert credentials.secret is not None and credentials.passphrase is not None
        args = login_args(credentials.key, credentials.secret, credentials.passphrase, int(time.time()))
        request_id, frame = self._protocol_of(connection).login(args)
        connection.request(request_id, frame, timeout, wait_ready=wait_ready)

    def _authenticate(self, connection: Connection) -> None:
        """Engine hook after every (re)connect, before resubscribing: log in where wanted."""
        with self._auth_lock:
            self._logged_in.discard(connection.name)
            wanted = connection.name in self._auth_wanted
        if not wanted or self.credentials is None:
            return
        with self._login_lock:
            try:
                self._login(connection, self.request_timeout, wait_ready=False)
            except Exception as exc:
                self.log.error("okx %s: login failed: %s", connection.name, exc)
                raise
            with self._auth_lock:
                self._logged_in.add(connection.name)

    def _ensure_login(self, connection: Connection, deadline: Deadline) -> None:
        """Open ``connection`` logged in (and keep logging it in after each reconnect)."""
        with self._auth_lock:
            self._auth_wanted.add(connection.name)
        connection.ensure_open(deadline.remaining())  # a first open logs in in _authenticate
        with self._login_lock:
            with self._auth_lock:
                if connection.name in self._logged_in:
                    return
            self._login(connection, deadline.remaining(), wait_ready=False)
            with self._auth_lock:
                self._logged_in.add(connection.name)

    # -- subscriptions --------------------------------------------------------------------

    def _stream(
        self,
        connection: Connection,
        args: Sequence[dict[str, str]],
        topic: str,
        callback: Callable[[DataEvent[Any]], None] | None,
        timeout: float | None,
        *,
        login: bool = False,
        internal: bool = False,
    ) -> Subscription[Any]:
        """Subscribe ``args`` on ``connection`` (logging it in first when ``login``)."""
        if callback is not None and not callable(callback):
            raise ConfigurationError("callback must be callable")
        timeout = validate.positive_timeout(timeout)
        if login:
            self._credentials_for(f"the {topic} stream")
        self._check_open()
        deadline = Deadline(self._timeout(timeout))
        keys = [self._remember(arg) for arg in args]
        if login:
            self._ensure_login(connection, deadline)
        return self._subscribe(connection, topic=topic, keys=keys, callback=callback,
                               timeout=deadline.remaining(), internal=internal)

    def _remember(self, arg: dict[str, str]) -> Key:
        """The routing key of ``arg``, remembering the arg to send for it (``extraParams`` kept)."""
        key = arg_key(arg)
        self._wire_args[key] = dict(arg)
        return key

    def _send_subscribe(self, connection: Connection, keys: list[Hashable], timeout: float | None,
                        *, unsubscribe: bool) -> None:
        args = [self._wire_args.get(cast(Key, key)) or dict(cast(Key, key)) for key in keys]
        request_id, frame = self._protocol_of(connection).subscribe(args, unsubscribe=unsubscribe)
        connection.request(request_id, frame, timeout, expected=len(args), wait_ready=False)

    def _wire_subscribe(self, connection: Connection, keys: list[Hashable], timeout: float | None) -> None:
        self._send_subscribe(connection, keys, timeout, unsubscribe=False)

    def _wire_unsubscribe(self, connection: Connection, keys: list[Hashable], timeout: float | None) -> None:
        self._send_subscribe(connection, keys, timeout, unsubscribe=True)

    # -- instIdCode -------------------------------------------------------------------------

    def _on_instruments(self, kind: InstrumentType) -> Callable[[DataEvent[Any]], None]:
        def update(event: DataEvent[Any]) -> None:
            instruments: tuple[Instrument, ...] = event.data
            with self._codes_changed:
                for instrument in instruments:
                    if instrument.symbol_code is not None:
                        self._codes[instrument.symbol] = instrument.symbol_code
                self._codes_loaded.add(kind)
                self._codes_changed.notify_all()

        return update

    def _symbol_codes(self, symbols: Sequence[str], deadline: Deadline) -> dict[str, int]:
        """``instIdCode`` of each symbol, from the public ``instruments`` channel (subscribed
        once per instrument type the first time a code is needed, then kept current).

        Raises:
            InvalidRequest: OKX lists no such instrument (or no code for it).
            RequestTimeout: the instrument list did not come in time.
        """
        result: dict[str, int] = {}
        for symbol in symbols:
            kind = instrument_type_of(symbol)
            with self._codes_changed:
                code = self._codes.get(symbol)
                stream = self._code_streams.get(kind)
            if code is not None:
                result[symbol] = code
                continue
            if stream is None or not stream.active:
                arg = channel_arg("instruments", instrument_type=kind.value)
                stream = self._stream(self._public, [arg], f"instruments:{kind.value}", self._on_instruments(kind),
                                      deadline.remaining(), internal=True)
                with self._codes_changed:
                    self._code_streams[kind] = stream
            with self._codes_changed:
                known = self._codes_changed.wait_for(
                    lambda s=symbol, k=kind: s in self._codes or k in self._codes_loaded,  # type: ignore[misc]
                    deadline.remaining())
                code = self._codes.get(symbol)
            if code is None:
                if not known:
                    raise RequestTimeout(f"okx: the {kind.value} instrument list did not arrive in time")
                raise InvalidRequest("okx", None, f"okx lists no instrument {symbol} (or no instIdCode for it)")
            result[symbol] = code
        return result
