"""The private half of :class:`~exwire.kraken.client.KrakenClient`: the WebSocket token,
the private streams and trading on ``ws-auth`` (:doc:`the Kraken page </exchanges/kraken>` §6–§8).

Sequence numbers. Every push of ``openOrders`` and ``ownTrades`` carries
``{"sequence": n}``; the models keep it (``sequence``). When a number is skipped (a push
was lost) the client reports a :class:`~exwire.kraken.protocol.SequenceGap` to
``on_callback_error`` and resubscribes that feed, which starts again with a snapshot.

Every method here is thread-safe and blocking (the subscriptions return once Kraken
acknowledges them; their callbacks run later on the dispatcher lanes), and takes
``timeout=`` (seconds; ``None``: the client's ``request_timeout``), a token fetch included.

The token (§6.1). Kraken's private endpoint takes a token instead of signatures. The
client fetches one over REST (:meth:`PrivateMethods.get_websocket_token`) the first
time a private call needs it, reuses it, drops it whenever the private connection
is re-established (and fetches a fresh one right away when it has credentials, so
the resubscriptions carry it), and fetches a new one when Kraken answers that the
token is invalid (``EAPI:Invalid token``, ``ESession:Invalid session``) — in that
case the refused request, which Kraken did not act on, is sent once more with the
new token. Every private method also accepts an explicit ``websocket_token=``, as
the reference's signatures do; then that token is used as given and never retried.
Tokens are added to the connection's redaction list: they never reach a log line.

Requests are never replayed after a connection drop: an order whose reply was lost
fails with ``ConnectionClosed`` and its outcome is unknown (check ``openOrders``).

Kraken may close a ``ws-auth`` connection that holds no private subscription (§2); the
client then reconnects on its own, but a trading bot does best to keep
:meth:`PrivateMethods.subscribe_to_order_updates` open, which it wants anyway.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable, Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from exwire._core import validate
from exwire._core.backoff import Deadline
from exwire._core.connection import Connection
from exwire._core.netopts import NetworkOptions
from exwire.errors import AuthenticationError, ConfigurationError, ExchangeError
from exwire.kraken import converter
from exwire.kraken.models import (
    CancelAfterResult,
    OrderFlag,
    OrderType,
    OrderUpdate,
    OwnTrade,
    PlacedOrder,
    TimeInForce,
    WebSocketToken,
)
from exwire.kraken.orders import MAX_CANCEL_ORDERS, cancel_after_seconds, check_token, order_fields
from exwire.kraken.orders import order_ids as _order_ids
from exwire.kraken.protocol import ORDER_UPDATES_KEY, OWN_TRADES_KEY, KrakenProtocol, SequenceGap, is_token_error
from exwire.kraken.rest import TokenFetcher
from exwire.kraken.symbols import normalize_symbol
from exwire.models import Credentials, DataEvent, Side
from exwire.subscription import Subscription

__all__ = ["PrivateMethods"]

Money = Decimal | str | int | float

# Tokens kept on the redaction list besides the credentials' own secrets.
_REMEMBERED_TOKENS = 16


class PrivateMethods:
    """Mixin of ``KrakenClient``; needs the ``BaseClient`` machinery."""

    # provided by BaseClient / KrakenClient
    credentials: Credentials | None
    network: NetworkOptions
    request_timeout: float | None
    log: logging.Logger
    _registry: Any
    _check_open: Callable[[], None]
    _timeout: Callable[[float | None], float | None]
    _add_connection: Callable[..., Connection]
    _subscribe: Callable[..., Subscription[Any]]
    _subscription_ended: Callable[[Hashable, BaseException | None], None]
    _report_error: Callable[[BaseException, Any], None]
    _run_hook: Callable[..., None]
    _resubscribe: Callable[[Connection, list[Hashable]], None]

    def _init_private(self, private_url: str, rest_url: str, ping_interval: float,
                      stale_timeout: float | None, *, pong_timeout: float | None) -> None:
        self._private = self._add_connection(
            "private", private_url, KrakenProtocol(),
            ping_interval=ping_interval, pong_timeout=pong_timeout, stale_timeout=stale_timeout,
        )
        self._token_fetcher = TokenFetcher(rest_url, self.credentials, self.network)
        self._token: WebSocketToken | None = None
        # Held while fetching, so concurrent callers wait for one fetch instead of each
        # spending a nonce and a REST call (the fetch itself never waits for a lock of ours).
        self._token_lock = threading.Lock()
        self._secrets = self._private._secrets  # the connection's redaction list
        self._secret_count = len(self._secrets)
        self._secrets_lock = threading.Lock()  # guards appends/trims of that list
        # Per private routing key: the options and explicit token of the subscription
        # that put it on the wire (the first subscriber decides, the wire has one).
        self._private_options: dict[Hashable, dict[str, Any]] = {}
        self._explicit_tokens: dict[Hashable, str] = {}

    # -- the token (§6) ------------------------------------------------------------

    def get_websocket_token(self, *, timeout: float | None = None) -> WebSocketToken:
        """Fetch a new WebSocket token over REST (``GetWebSocketsToken``, §6.1).

        The client adopts it for its own private calls from then on. Calling this is
        never necessary: the client fetches a token when it needs one.

        Args:
            timeout: seconds for the HTTP round trip (``None``: ``request_timeout``).

        Returns:
            The token; its ``repr`` hides the token text.

        Raises:
            ConfigurationError: the client has no credentials (key and secret), or a
                non-positive ``timeout``.
            InvalidState: the client is closed.
            AuthenticationError: Kraken refused the key, the signature
                (``EAPI:Invalid signature``), the nonce or the key's permissions.
            RateLimited, ExchangeUnavailable: Kraken's REST limits or an outage.
            ConnectError: the REST endpoint could not be reached.
            RequestTimeout: no reply in time; the outcome is unknown (Kraken may have
                issued a token, which is harmless: the client keeps its current one).
            DecodeError: Kraken answered something that is not a token reply.
        """
        self._check_open()
        timeout = validate.positive_timeout(timeout)
        token = self._token_fetcher.fetch(self._timeout(timeout))
        self._hide(token.token)
        with self._token_lock:
            self._token = token
        return token

    def _hide(self, token: str) -> None:
        # The reader thread iterates this list to redact logged frames; appends and
        # deletes are atomic list operations, so it never sees a broken list.
        with self._secrets_lock:
            secrets = self._secrets
            if token not in secrets:
                secrets.append(token)
                if len(secrets) > self._secret_count + _REMEMBERED_TOKENS:
                    del secrets[self._secret_count]

    def _current_token(self, timeout: float | None) -> str:
        with self._token_lock:
            if self._token is None:
                token = self._token_fetcher.fetch(timeout)
                self._hide(token.token)
                self._token = token
            return self._token.token

    def _drop_token(self, token: str | None = None) -> None:
        with self._token_lock:
            if self._token is not None and (token is None or self._token.token == token):
                self._token = None

    def _token_argument(self, websocket_token: Any) -> str | None:
        """Check an explicit token (and hide it), or that one can be fetched; nothing is sent."""
        if websocket_token is not None:
            token = check_token(websocket_token)
            self._hide(token)
            return token
        if not self._token_fetcher.can_fetch:
            raise ConfigurationError(
                "Kraken private calls need credentials=exwire.Credentials(key, secret) or websocket_token="
            )
        return None

    def _with_token(self, send: Callable[[str], Any], explicit: str | None, deadline: Deadline) -> Any:
        """Run ``send(token)``; with the client's token, fetch a new one and resend once on a token error."""
        if explicit is not None:
            return send(explicit)
        token = self._current_token(deadline.remaining())
        try:
            return send(token)
        except AuthenticationError as exc:
            if not is_token_error(exc):
                raise
            # Kraken refused the request outright (it did nothing), so one resend is safe.
            self.log.info("kraken refused the WebSocket token (%s); fetching a new one", exc.code)
            self._drop_token(token)
        return send(self._current_token(deadline.remaining()))

    def _authenticate(self, connection: Connection) -> None:
        """After a reconnect of ``ws-auth``: forget the token and, with credentials, fetch a
        fresh one (Kraken wants a new token per connection, §6.1) before resubscribing."""
        if connection is not self._private or not connection.reconnects:
            return  # a first connect keeps a token fetched beforehand: it is still unused
        self._drop_token()
        if self._token_fetcher.can_fetch:
            self._current_token(self.request_timeout)

    # -- trading (§8) ----------------------------------------------------------------

    def _trade(self, event: str, fields: dict[str, Any], websocket_token: str | None,
               deadline: Deadline) -> dict[str, Any]:
        self._check_open()
        connection = self._private
        connection.ensure_open(deadline.remaining())
        protocol = cast(KrakenProtocol, connection.protocol)  # this client's connections speak Kraken

        def send(token: str) -> dict[str, Any]:
            request_id, frame = protocol.trading_request(event, token, fields)
            reply: dict[str, Any] = connection.request(request_id, frame, deadline.remaining())[0]
            return reply

        result: dict[str, Any] = self._with_token(send, websocket_token, deadline)
        return result

    def place_order(
        self,
        symbol: str,
        order_type: OrderType | str,
        side: Side | str,
        quantity: Money,
        *,
        price: Money | None = None,
        secondary_price: Money | None = None,
        user_reference: int | None = None,
        client_order_id: str | None = None,
        leverage: Money | None = None,
        start_time: datetime | timedelta | None = None,
        expire_time: datetime | timedelta | None = None,
        validate_only: bool = False,
        close_order_type: OrderType | str | None = None,
        close_price: Money | None = None,
        close_secondary_price: Money | None = None,
        flags: Iterable[OrderFlag | str] | None = None,
        reduce_only: bool | None = None,
        time_in_force: TimeInForce | str | None = None,
        websocket_token: str | None = None,
        timeout: float | None = None,
    ) -> PlacedOrder:
        """Place an order (``addOrder``, §8.1).

        Money arguments take ``Decimal``, ``str``, ``int`` or ``float`` (through its
        shortest repr) and go on the wire as plain decimal strings. A ``price`` given as
        a string may use Kraken's relative forms (``"+5"``, ``"-1.5%"``, ``"#2"``).

        Args:
            symbol: the pair, e.g. ``"XBT/USD"`` (``BTC`` is accepted for ``XBT``).
            order_type: ``MARKET``, ``LIMIT``, ``STOP_LOSS``, ``TAKE_PROFIT``,
                ``STOP_LOSS_LIMIT``, ``TAKE_PROFIT_LIMIT``, ``TRAILING_STOP``,
                ``TRAILING_STOP_LIMIT`` or ``SETTLE_POSITION``.
            side: buy or sell.
            quantity: the volume in base asset (in quote asset with ``VOLUME_IN_QUOTE``).
            price: in the quote asset per unit of base asset: the limit price
                (``LIMIT``), the trigger price (stop-loss and take-profit types) or the
                trailing offset (trailing types, sent as ``+offset``); required by all but
                ``MARKET`` and ``SETTLE_POSITION``, refused for ``MARKET``; ``None``: not sent.
            secondary_price: the triggered limit price, quote asset; required by the
                ``*_LIMIT`` stop types; ``None``: not sent. For ``TRAILING_STOP_LIMIT`` it is
                the limit's offset from the trigger price, which Kraken takes relative
                only: sent ``+n`` for a positive number or unsigned text, ``-n`` for a
                negative one, or as given (``"-5"``, ``"+1%"``). The same holds for
                ``close_secondary_price`` of a trailing-stop-limit close order.
            user_reference: your 32-bit numeric tag (``userref``, the reference's
                ``clientOrderId``); not unique. ``None``: none.
            client_order_id: your id for the order (``cl_ord_id``: a UUID or up to 18
                characters); exclusive with ``user_reference``. ``None``: none.
            leverage: the leverage of a margin order (e.g. ``2``, a multiple of the
                margin); ``None``: spot.
            start_time: when the order becomes active: an aware datetime or a delay
                (``timedelta``, whole seconds); ``None``: now.
            expire_time: when it expires, same forms; ``None``: never (good till cancelled).
            validate_only: have Kraken check the order without placing it; the result
                then has no ``order_id``.
            close_order_type, close_price, close_secondary_price: a conditional close
                order Kraken places once this one fills (``close[...]``; prices in the
                quote asset, same forms as ``price``); ``None``: no close order.
            flags: order flags, e.g. ``[OrderFlag.POST_ONLY]``; ``None``: none.
            reduce_only: only reduce an open margin position; ``None``: not sent.
            time_in_force: ``GTC`` (Kraken's default), ``GTD`` or ``IOC``; ``None``: not sent.
            websocket_token: a token to use instead of the client's own; ``None``: the
                client's (fetched with ``credentials`` when needed).
            timeout: seconds to wait for the reply (``None``: ``request_timeout``),
                a token fetch included.

        Returns:
            The order's id and Kraken's description of it.

        Raises:
            ConfigurationError: before anything is sent: an unknown order type, side or
                flag; a quantity, price or leverage that is not a positive finite number
                (NaN included); a price the type needs is missing; no credentials and no
                ``websocket_token``; a non-positive ``timeout``.
            InvalidState: the client is closed.
            InsufficientFunds: ``EOrder:Insufficient funds``.
            InvalidRequest: ``EGeneral:Invalid arguments``, ``EOrder:Order minimum not
                met``, ``EOrder:Invalid price`` ...
            RateLimited: ``EOrder:Rate limit exceeded`` and the other rate errors.
            AuthenticationError: a refused token (after one fresh token) or permission.
            ExchangeUnavailable: ``EService:*`` (maintenance, cancel-only ...).
            ConnectError: ``ws-auth`` or the token endpoint could not be reached.
            ConnectionClosed, RequestTimeout: no reply; **the outcome is unknown** (the
                order may exist: look for it in :meth:`subscribe_to_order_updates`).
        """
        self._check_open()
        timeout = validate.positive_timeout(timeout)
        fields = order_fields(
            symbol=normalize_symbol(symbol), order_type=order_type, side=side, quantity=quantity, price=price,
            secondary_price=secondary_price, user_reference=user_reference, client_order_id=client_order_id,
            leverage=leverage, start_time=start_time, expire_time=expire_time, validate_only=validate_only,
            close_order_type=close_order_type, close_price=close_price,
            close_secondary_price=close_secondary_price, flags=flags, reduce_only=reduce_only,
            time_in_force=time_in_force,
        )
        explicit = self._token_argument(websocket_token)
        result = self._trade("addOrder", fields, explicit, Deadline(self._timeout(timeout)))
        return converter.placed_order_from_wire(result, user_reference)

    def cancel_order(self, order_id: str | int, *, websocket_token: str | None = None,
                     timeout: float | None = None) -> None:
        """Cancel one order (``cancelOrder``, §8.3).

        Args:
            order_id: Kraken's order id (txid), or a ``user_reference`` (int), which
                cancels every open order carrying it.
            websocket_token, timeout: as :meth:`place_order`.

        Raises:
            ConfigurationError: an empty or malformed id; no credentials and no token; a
                non-positive ``timeout`` (nothing is sent).
            OrderNotFound: ``EOrder:Unknown order`` (unknown, or no longer open).
            InvalidRequest: Kraken refused the arguments.
            AuthenticationError, RateLimited, ExchangeUnavailable, InvalidState,
                ConnectError: as :meth:`place_order`.
            ConnectionClosed, RequestTimeout: no reply; **the outcome is unknown** (the
                order may or may not be cancelled).
        """
        self._check_open()
        timeout = validate.positive_timeout(timeout)
        ids = _order_ids(order_id)
        if len(ids) != 1 or not isinstance(order_id, (str, int)):
            raise ConfigurationError("cancel_order takes one id; use cancel_orders for several")
        explicit = self._token_argument(websocket_token)
        self._trade("cancelOrder", {"txid": ids}, explicit, Deadline(self._timeout(timeout)))

    def cancel_orders(self, order_ids: Iterable[str | int], *, websocket_token: str | None = None,
                      timeout: float | None = None) -> dict[str, ExchangeError | None]:
        """Cancel up to 50 orders, one ``cancelOrder`` request per id, in order (§8.3).

        Kraken's documents disagree on how many ``cancelOrderStatus`` replies a request
        listing several ids gets (one per id, or one in all: §8.3 is uncertain), so a
        client waiting for either count could hang or misattribute an error. This method
        therefore sends one request per id, each with its own ``reqid``, and waits for
        that request's single reply before sending the next: every id gets exactly its
        own answer. Per-id refusals do not stop the others; they are returned.

        At most :data:`~exwire.kraken.orders.MAX_CANCEL_ORDERS` (50, Kraken's own
        ``CancelOrderBatch`` bound) distinct ids per call: more are refused before
        anything is sent, so one call never runs into its ``timeout`` half-way through a
        long list. To cancel more, call again with the next 50 (or use
        :meth:`cancel_all_orders`).

        Args:
            order_ids: the txids (or 32-bit user references), at most 50; duplicates are
                sent once.
            websocket_token: as :meth:`place_order`.
            timeout: seconds for the whole batch, token fetch included (``None``:
                ``request_timeout``).

        Returns:
            For each id in order: ``None`` when Kraken confirmed the cancel, else the
            :class:`~exwire.errors.ExchangeError` it answered (usually ``OrderNotFound``).

        Raises:
            ConfigurationError: no ids, more than 50, or a malformed one; no credentials and
                no token; a ``timeout`` that is not positive finite seconds (nothing is sent).
            AuthenticationError: the token or key was refused (nothing more is sent).
            InvalidState, ConnectError: as :meth:`place_order`.
            ConnectionClosed, RequestTimeout: a reply is missing. What a partial failure
                leaves behind: the ids before it were answered (cancelled, unless Kraken
                refused them), the one in flight has an **unknown outcome** and the ones
                after it were not sent. The exception carries a note (``__notes__``)
                listing the ids confirmed cancelled and the one in flight.
        """
        self._check_open()
        timeout = validate.positive_timeout(timeout)
        ids = _order_ids(order_ids, MAX_CANCEL_ORDERS)
        explicit = self._token_argument(websocket_token)
        deadline = Deadline(self._timeout(timeout))
        results: dict[str, ExchangeError | None] = {}
        for order_id in ids:
            try:
                self._trade("cancelOrder", {"txid": [order_id]}, explicit, deadline)
                results[order_id] = None
            except AuthenticationError:
                raise
            except ExchangeError as exc:
                results[order_id] = exc
            except Exception as exc:
                cancelled = [i for i, error in results.items() if error is None]
                exc.add_note(f"kraken cancel_orders: confirmed cancelled {cancelled}; outcome unknown for "
                             f"{order_id!r}; not sent: {ids[len(results) + 1:]}")
                raise
        return results

    def cancel_all_orders(self, *, websocket_token: str | None = None, timeout: float | None = None) -> int:
        """Cancel every open order of the account (``cancelAll``, §8.4).

        Args:
            websocket_token, timeout: as :meth:`place_order`.

        Returns:
            How many orders Kraken cancelled (partially filled ones included).

        Raises:
            ConfigurationError: no credentials and no token; a non-positive ``timeout``.
            AuthenticationError, RateLimited, ExchangeUnavailable, InvalidState,
                ConnectError: as :meth:`place_order`.
            ConnectionClosed, RequestTimeout: no reply; **the outcome is unknown**.
        """
        self._check_open()
        timeout = validate.positive_timeout(timeout)
        explicit = self._token_argument(websocket_token)
        result = self._trade("cancelAll", {}, explicit, Deadline(self._timeout(timeout)))
        return converter.cancel_count_from_wire(result)

    def cancel_all_orders_after(self, countdown: float | timedelta, *, websocket_token: str | None = None,
                                timeout: float | None = None) -> CancelAfterResult:
        """Arm, refresh or disarm the dead man's switch (``cancelAllOrdersAfter``, §8.5).

        Unless called again within ``countdown`` seconds, Kraken cancels every open
        order of the account; the timer then stays off until armed again. Kraken
        suggests refreshing every 15–30 s with a 60 s countdown.

        Args:
            countdown: whole seconds (or a ``timedelta`` of whole seconds) until every
                order is cancelled; ``0`` disarms the switch. The reference calls it
                ``timeout``; here ``timeout`` is the request's own wait, as everywhere.
            websocket_token, timeout: as :meth:`place_order`.

        Returns:
            Kraken's current time and the trigger time (``None`` when disarmed).

        Raises:
            ConfigurationError: a negative or fractional countdown; no credentials and no
                token; a non-positive ``timeout``.
            AuthenticationError, RateLimited, ExchangeUnavailable, InvalidState,
                ConnectError: as :meth:`place_order`.
            ConnectionClosed, RequestTimeout: no reply; **whether the timer is armed is unknown**.
        """
        self._check_open()
        timeout = validate.positive_timeout(timeout)
        seconds = cancel_after_seconds(countdown)
        explicit = self._token_argument(websocket_token)
        result = self._trade("cancelAllOrdersAfter", {"timeout": seconds}, explicit, Deadline(self._timeout(timeout)))
        return converter.cancel_after_from_wire(result)

    # -- private streams (§7) ----------------------------------------------------------

    def subscribe_to_order_updates(
        self, callback: Callable[[DataEvent[list[OrderUpdate]]], None] | None = None, *, rate_counter: bool = False,
        websocket_token: str | None = None, timeout: float | None = None,
    ) -> Subscription[list[OrderUpdate]]:
        """Stream the account's orders (``openOrders``, §7.2).

        The first event is a ``SNAPSHOT`` listing every open order in full; later
        events (``UPDATE``) carry new orders in full and changes as partial
        :class:`~exwire.kraken.models.OrderUpdate` objects whose absent fields are
        ``None`` (merge them by ``order_id``). ``event.data`` is a list (one frame may
        carry several orders); ``event.symbol`` is ``None``. Volumes are ``Decimal`` in
        the base asset (quote with ``VOLUME_IN_QUOTE``), cost and fee in the quote asset,
        times aware UTC. After a reconnect the stream is resubscribed with a fresh token
        and starts again with a snapshot; so it is after a skipped ``sequence`` number,
        which is reported to ``on_callback_error`` as a
        :class:`~exwire.kraken.protocol.SequenceGap`.

        Args:
            callback: ``callback(event)``; runs as the callback threading model in
                :mod:`exwire.subscription` says. ``None`` makes a pull subscription
                (iterate it or call ``get(timeout)``).
            rate_counter: add Kraken's trading rate counter (``rate_count``) to the
                updates. Only the first of several concurrent order subscriptions puts
                its options on the wire.
            websocket_token: a token to use instead of the client's own; ``None``: the
                client's (fetched with ``credentials`` when needed).
            timeout: seconds to wait for the connection, a token fetch and the
                acknowledgement (``None``: ``request_timeout``).

        Raises:
            ConfigurationError: a non-callable callback; no credentials and no token; a
                non-positive ``timeout`` (nothing is sent).
            InvalidState: the client is closed.
            AuthenticationError: the token was refused (after one fresh token).
            InvalidRequest, RateLimited: Kraken refused the subscription.
            ConnectError: ``ws-auth`` or the token endpoint could not be reached.
            ConnectionClosed, RequestTimeout: no acknowledgement; the outcome on Kraken's
                side is unknown and the subscription is removed.
        """
        if not isinstance(rate_counter, bool):
            raise ConfigurationError(f"rate_counter must be True or False, got {rate_counter!r}")
        options: dict[str, Any] = {"ratecounter": True} if rate_counter else {}
        return self._subscribe_private(ORDER_UPDATES_KEY, options, callback, websocket_token, timeout)

    def subscribe_to_user_trade_updates(
        self, callback: Callable[[DataEvent[list[OwnTrade]]], None] | None = None, *, snapshot: bool = True,
        consolidate_taker: bool = True, websocket_token: str | None = None, timeout: float | None = None,
    ) -> Subscription[list[OwnTrade]]:
        """Stream the account's own trades (``ownTrades``, §7.1).

        With ``snapshot`` the first event (``SNAPSHOT``) holds the last 50 trades;
        then every new fill arrives as an ``UPDATE``. ``event.data`` is a list of
        :class:`~exwire.kraken.models.OwnTrade` (``Decimal`` price in the quote asset,
        volume in the base asset, cost and fee in the quote asset, aware UTC ``time``);
        ``event.symbol`` is ``None``.

        Args:
            snapshot: start with the last 50 trades (Kraken's default); ``False``
                starts with the next fill.
            consolidate_taker: ``True`` (Kraken's default): the fills of one taker order
                against several makers arrive as one trade; ``False``: one trade per
                maker it matched. Only the first of several concurrent trade
                subscriptions puts its options on the wire.

        Other arguments, callback thread, ordering, backlog policy and errors as
        :meth:`subscribe_to_order_updates`.
        """
        if not isinstance(snapshot, bool):
            raise ConfigurationError(f"snapshot must be True or False, got {snapshot!r}")
        if not isinstance(consolidate_taker, bool):
            raise ConfigurationError(f"consolidate_taker must be True or False, got {consolidate_taker!r}")
        options: dict[str, Any] = {} if snapshot else {"snapshot": False}
        if not consolidate_taker:
            options["consolidate_taker"] = False
        return self._subscribe_private(OWN_TRADES_KEY, options, callback, websocket_token, timeout)

    def _subscribe_private(self, key: Hashable, options: dict[str, Any],
                           callback: Callable[[DataEvent[Any]], None] | None,
                           websocket_token: str | None, timeout: float | None) -> Subscription[Any]:
        self._check_open()
        timeout = validate.positive_timeout(timeout)
        if callback is not None and not callable(callback):
            raise ConfigurationError("callback must be callable")
        explicit = self._token_argument(websocket_token)
        if not self._registry.route(key):
            self._private_options[key] = options
            if explicit is None:
                self._explicit_tokens.pop(key, None)
            else:
                self._explicit_tokens[key] = explicit
        channel = cast("tuple[str, None]", key)[0]  # private keys are (channelName, None)
        return self._subscribe(self._private, topic=channel, keys=[key], callback=callback, timeout=timeout)

    def _sequence_gap(self, gap: SequenceGap) -> None:
        """Reader thread: a private feed skipped a sequence number. Report it and resubscribe
        that feed on a lane (never here: the reader must keep reading the replies)."""
        key: Hashable = (gap.channel, None)
        if not self._registry.route(key):
            return
        self.log.warning("%s", gap)
        self._report_error(gap, None)
        self._run_hook(self._resubscribe_private, key)

    def _resubscribe_private(self, key: Hashable) -> None:
        try:
            self._resubscribe(self._private, [key])
        except Exception as exc:
            self.log.error("resubscribing %s after a sequence gap failed: %s", key, exc)
            self._report_error(exc, None)

    def _wire_private(self, connection: Connection, key: Hashable, deadline: Deadline, *, unsubscribe: bool) -> None:
        """Subscribe or unsubscribe one private channel with the current token (§7)."""
        protocol = cast(KrakenProtocol, connection.protocol)  # this client's connections speak Kraken
        channel = cast("tuple[str, None]", key)[0]
        resubscribing = not connection.is_ready  # inside the reconnect hook
        explicit = self._explicit_tokens.get(key)
        if explicit is not None and resubscribing and self._token_fetcher.can_fetch:
            explicit = None  # a new connection wants a new token (§6.1): use the client's fresh one
        extra = None if unsubscribe else self._private_options.get(key)

        def send(token: str) -> Any:
            request_id, frame = protocol.subscribe(channel, None, unsubscribe=unsubscribe, token=token, extra=extra)
            return connection.request(request_id, frame, deadline.remaining(), wait_ready=False)

        try:
            self._with_token(send, explicit, deadline)
        except AuthenticationError as exc:
            if resubscribing and explicit is not None and not unsubscribe:
                # The caller's own token died with the old connection and there are no
                # credentials to fetch another: end the stream instead of reconnecting forever.
                self._subscription_ended(key, exc)
                return
            raise
