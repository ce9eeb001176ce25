"""Exchange error codes → exwire error classes: one declarative table per exchange.

Each exchange declares one :class:`ErrorTable` (``ERRORS`` in its ``protocol.py``), a
list of :class:`ErrorRule` entries read in order, the first match winning (the pattern of
CryptoExchange.Net's ``ErrorMapping``)::

    ERRORS = ErrorTable("binance", [
        ErrorRule(-1003, RateLimited),
        ErrorRule(-2010, InsufficientFunds, message_contains="insufficient"),
        ErrorRule(-2010, InvalidRequest),
        ErrorRule(range(-1199, -1099), InvalidRequest),
        ErrorRule(-2026, OrderNotFound, scope="spot"),
    ])
    error = ERRORS.error(-2010, "Account has insufficient balance", scope="spot", raw=frame)

A rule's ``code`` is an ``int`` (equal integer codes; ``bool`` is never a code), a ``str``
(equal text codes, or with ``prefix=True`` every code that starts with it: Kraken's
``EService:`` family), a ``range`` of integers, or a tuple of those (any of them).
``message_contains`` narrows a rule to messages containing that text, ignoring case;
``scope`` narrows it to one API flavour the caller names (Binance ``"spot"`` or
``"futures"``, Coinsuper's MQTT packet). Codes no rule names fall back to the
``status_rules`` (matched against the HTTP-like status the caller passes), then to the
table's ``default`` class.

Tables are immutable once built and safe to share between threads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

import attrs

from exwire.errors import ConfigurationError, ExchangeError, RateLimited

__all__ = ["ErrorRule", "ErrorTable", "CodePattern"]

#: What a rule's ``code`` may be: one code, a range of integer codes, or a tuple of those.
CodePattern: TypeAlias = int | str | range | tuple[int | str | range, ...]


def _check_code(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    members = value if type(value) is tuple else (value,)
    if not members or not all(type(member) in (int, str, range) for member in members):
        raise ConfigurationError(f"an ErrorRule code is an int, str, range or a tuple of those, got {value!r}")


def _check_class(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not (isinstance(value, type) and issubclass(value, ExchangeError)):
        raise ConfigurationError(f"an ErrorRule class must be an ExchangeError subclass, got {value!r}")


@attrs.frozen
class ErrorRule:
    """One entry of an :class:`ErrorTable`: codes (and optionally a message and scope) → a class.

    Attributes:
        code: the codes the rule covers: an ``int``, a ``str``, a ``range`` of integers,
            or a tuple of those.
        cls: the :class:`~exwire.errors.ExchangeError` subclass raised for them.
        message_contains: the rule applies only when the message contains this text
            (case-insensitive); ``None``: whatever the message.
        scope: the rule applies only when the caller names this scope (e.g. ``"spot"``,
            ``"futures"``); ``None``: in every scope.
        prefix: a ``str`` code also covers every code that starts with it.
        default_message: the documented message, used when the exchange sends none;
            ``None``: the table's generic text.

    Raises:
        ConfigurationError: on construction, for a code or class of the wrong type.
    """

    code: CodePattern = attrs.field(validator=_check_code)
    cls: type[ExchangeError] = attrs.field(validator=_check_class)
    message_contains: str | None = attrs.field(default=None, kw_only=True)
    scope: str | None = attrs.field(default=None, kw_only=True)
    prefix: bool = attrs.field(default=False, kw_only=True)
    default_message: str | None = attrs.field(default=None, kw_only=True)
    _needle: str | None = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        needle = None if self.message_contains is None else self.message_contains.casefold()
        object.__setattr__(self, "_needle", needle)

    def covers(self, code: object) -> bool:
        """Whether ``code`` is one of the rule's codes (message and scope aside)."""
        pattern = self.code
        members = pattern if type(pattern) is tuple else (pattern,)
        kind = type(code)
        for member in members:
            member_kind = type(member)
            if member_kind is int:
                if kind is int and code == member:
                    return True
            elif member_kind is str:
                if kind is str and (code == member or (self.prefix and code.startswith(member))):  # type: ignore[attr-defined]
                    return True
            elif kind is int and code in member:  # type: ignore[operator]
                return True
        return False

    def matches(self, code: object, message: str | None = None, scope: str | None = None) -> bool:
        """Whether the rule applies to ``code`` with ``message`` in ``scope``."""
        if self.scope is not None and self.scope != scope:
            return False
        if self._needle is not None and (message is None or self._needle not in message.casefold()):
            return False
        return self.covers(code)


class ErrorTable:
    """The error codes of one exchange mapped onto the exwire error tree.

    Args:
        exchange: the exchange's name, the ``exchange`` of every error built.
        rules: read in order; the first rule that matches decides the class.
        default: the class of codes no rule covers.
        status_rules: rules matched against the ``status`` passed to :meth:`error`
            (an HTTP-like status) when no rule of ``rules`` matches the code.

    Thread-safety: immutable; share freely.

    Raises:
        ConfigurationError: ``default`` is not an ``ExchangeError`` subclass, or a rule
            is not an :class:`ErrorRule`.
    """

    __slots__ = ("exchange", "rules", "default", "status_rules")

    def __init__(
        self,
        exchange: str,
        rules: Sequence[ErrorRule],
        default: type[ExchangeError] = ExchangeError,
        *,
        status_rules: Sequence[ErrorRule] = (),
    ) -> None:
        if not (isinstance(default, type) and issubclass(default, ExchangeError)):
            raise ConfigurationError(f"default must be an ExchangeError subclass, got {default!r}")
        rules, status_rules = tuple(rules), tuple(status_rules)
        if not all(isinstance(rule, ErrorRule) for rule in rules + status_rules):
            raise ConfigurationError("every rule of an ErrorTable must be an ErrorRule")
        self.exchange = exchange
        self.rules: tuple[ErrorRule, ...] = rules
        self.default = default
        self.status_rules: tuple[ErrorRule, ...] = status_rules

    def __repr__(self) -> str:
        return f"ErrorTable({self.exchange!r}, {len(self.rules)} rules, default={self.default.__name__})"

    def rule_for(self, code: object, message: str | None = None, *, scope: str | None = None) -> ErrorRule | None:
        """The first rule that matches ``code`` (with ``message``, in ``scope``), or ``None``."""
        for rule in self.rules:
            if rule.matches(code, message, scope):
                return rule
        return None

    def class_for(self, code: object, message: str | None = None, *, scope: str | None = None,
                  status: int | None = None) -> type[ExchangeError]:
        """The class :meth:`error` would build: the first matching rule's, else the first
        matching status rule's, else ``default``."""
        rule = self.rule_for(code, message, scope=scope)
        if rule is None and status is not None and self.status_rules:
            rule = next((r for r in self.status_rules if r.matches(status, message, scope)), None)
        return self.default if rule is None else rule.cls

    def error(
        self,
        code: str | int | None,
        message: str | None,
        *,
        scope: str | None = None,
        raw: str | bytes | None = None,
        status: int | None = None,
        data: Any = None,
        retry_after: float | None = None,
    ) -> ExchangeError:
        """Build the exwire error for an exchange's refusal (returned, not raised).

        Args:
            code: the exchange's code, kept verbatim as the error's ``code``.
            message: the exchange's message; empty or ``None``: the matching rule's
                ``default_message``, else ``"unknown error"``.
            scope: the API flavour, for rules restricted to one (``None``: only
                unrestricted rules apply).
            raw: the frame, kept (truncated) as the error's ``raw``.
            status: the HTTP-like or exchange status, kept as the error's ``status``
                and matched against ``status_rules``; ``None`` if there is none.
            data: extra payload kept as the error's ``data``; ``None`` if there is none.
            retry_after: seconds to wait, for a :class:`~exwire.errors.RateLimited`
                (ignored by other classes); ``None`` if the exchange did not say.
        """
        rule = self.rule_for(code, message, scope=scope)
        if rule is None and status is not None and self.status_rules:
            rule = next((r for r in self.status_rules if r.matches(status, message, scope)), None)
        cls = self.default if rule is None else rule.cls
        if not message:
            message = (rule.default_message if rule is not None else None) or "unknown error"
        if issubclass(cls, RateLimited):
            return cls(self.exchange, code, message, raw, retry_after, status=status, data=data)
        return cls(self.exchange, code, message, raw, status=status, data=data)
