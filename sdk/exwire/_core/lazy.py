"""Models decoded on first read: the reader checks a payload, a lane decodes it.

Building a model means building every ``Decimal`` and ``datetime`` of a message
on the reader thread, whether or not the callback reads them. :func:`lazy_model`
instead gives a factory of instances of a private subclass of the model that hold
the (already checked) wire payload and decode it the first time any field is
read, on whichever thread reads it, usually the dispatcher lane running the
callback. To the user nothing changes:

* ``isinstance(x, Ticker)`` holds, ``type(x).__name__`` and ``repr(x)`` are the
  model's, ``attrs.fields``, ``attrs.asdict`` and ``attrs.evolve`` work;
* every field reads as the eager decoder would have built it, because the fill
  *is* the eager decoder, run on the kept payload (so the two cannot disagree);
* ``==`` and ``hash`` equal those of the eagerly built model, in both directions;
* the instance stays immutable (attrs' frozen ``__setattr__``); pickling or
  copying gives a plain model.

A converter uses the lazy factory only after a cheap check on receipt
(:func:`plain_decimals`, :func:`plain_epochs`, types and lengths) that the payload
has the shape every field's decoder accepts; anything else takes the eager path,
which decodes or raises :class:`exwire.errors.DecodeError` on the reader as
before, so a malformed frame is still logged and skipped there, never raised
from a field read in a callback.

Thread-safety: two threads reading a fresh instance at once may both decode it;
both set equal values, and the payload is dropped once the fields are set.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

import attrs

__all__ = ["LAST_EPOCH_MS", "joined_plain_decimals", "lazy_model", "plain_decimals", "plain_epochs", "text_pattern",
           "text_shape"]

T = TypeVar("T")

# A plain decimal: what ``Decimal(text)`` reads exactly and every exchange sends
# (no exponent, no spaces, no NaN/Infinity, ASCII digits), i.e.
# ``-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)``. The joined form checks many texts with one
# regex call (a space cannot occur inside one). Every quantifier is possessive
# (``*+``, ``?+``): no backtracking could make a failed match succeed here (the
# branches start with different characters and each part ends where the next
# character cannot continue it), and without the backtracking state the match costs
# a third less (about 14,000 instructions instead of 20,500 for a Kraken ticker's
# sixteen texts, measured with callgrind).
_NUMBER = r"-?+(?:[0-9]++\.?+[0-9]*+|\.[0-9]++)"
_PLAIN_DECIMALS = re.compile(rf"{_NUMBER}(?: {_NUMBER})*+", re.ASCII)
# Epoch seconds as "<digits>[.<digits>]" with at most 11 integer digits: inside
# ``datetime``'s range, so ``epoch_to_datetime`` cannot fail on it.
_EPOCH = r"[0-9]{1,11}+(?:\.[0-9]*+)?+"
_PLAIN_EPOCHS = re.compile(rf"{_EPOCH}(?: {_EPOCH})*+", re.ASCII)


#: The last epoch millisecond ``datetime`` holds (9999-12-31T23:59:59.999Z): an integer
#: time from 0 to this converts without error (``epoch_ms_to_datetime``).
LAST_EPOCH_MS = 253_402_300_799_999


def _joined_match(fullmatch: Callable[[str], Any], texts: Sequence[Any]) -> str | None:
    """``texts`` joined by single spaces when ``fullmatch`` accepts that, else ``None``."""
    try:
        joined = " ".join(texts)
    except TypeError:  # a non-string item
        return None
    return joined if fullmatch(joined) is not None else None


def plain_decimals(texts: Sequence[Any]) -> bool:
    """Whether every item is a ``str`` holding a plain decimal (``"-12.5"``, ``"3"``, ``".5"``).

    ``False`` for anything else (a non-string, an exponent, spaces, ``NaN``, an
    empty text); the caller then decodes eagerly, which accepts or rejects it.
    """
    return _joined_match(_PLAIN_DECIMALS.fullmatch, texts) is not None


def joined_plain_decimals(texts: Sequence[Any]) -> str | None:
    """The items joined by single spaces when every one is a plain decimal ``str``, else ``None``.

    One string to keep instead of many (``text.split(" ")`` gives the items back):
    fewer objects to allocate, to track and to free, and one block of memory when a
    value kept for long (``client.latest``) is finally freed.
    """
    return _joined_match(_PLAIN_DECIMALS.fullmatch, texts)


def plain_epochs(texts: Sequence[Any]) -> bool:
    """Whether every item is a ``str`` of epoch seconds ``"<digits>[.<digits>]"`` within ``datetime``'s range."""
    return _joined_match(_PLAIN_EPOCHS.fullmatch, texts) is not None


_KINDS = {"decimal": _NUMBER, "epoch": _EPOCH}


def text_pattern(*kinds: str) -> Callable[[str], re.Match[str] | None]:
    """The ``fullmatch`` of ``kinds`` texts joined by single spaces, for a caller that joins them itself.

    ``kinds`` name each position's shape: ``"decimal"`` (as :func:`plain_decimals`) or
    ``"epoch"`` (as :func:`plain_epochs`). A text holding a space makes one part too many,
    so it never matches. For a check that runs once per message and already catches a
    ``TypeError`` (a non-string item) around ``" ".join``, this saves the two calls of
    :func:`text_shape`'s check.

    Raises:
        ValueError: an unknown kind.
    """
    try:
        return re.compile(" ".join(_KINDS[kind] for kind in kinds), re.ASCII).fullmatch
    except KeyError as exc:
        raise ValueError(f"unknown text kind {exc.args[0]!r}") from None


def text_shape(*kinds: str) -> Callable[[Sequence[Any]], str | None]:
    """A check of a fixed sequence of texts: ``check(texts)`` is their space-joined text or ``None``.

    ``kinds`` name each position's shape: ``"decimal"`` (as :func:`plain_decimals`) or
    ``"epoch"`` (as :func:`plain_epochs`); one regex call checks them all.

    Raises:
        ValueError: an unknown kind.
    """
    fullmatch = text_pattern(*kinds)

    def check(texts: Sequence[Any]) -> str | None:
        return _joined_match(fullmatch, texts)

    return check


def _restore(model: type[Any], fields: dict[str, Any]) -> Any:
    return model(**fields)


def lazy_model(model: type[T], decode: Callable[[Any], T],
               fill: Callable[[Any, T], None] | None = None) -> Callable[[Any], T]:
    """A factory ``make(payload) -> model`` whose instances run ``decode(payload)`` on first field read.

    Args:
        model: an attrs slotted class (``@attrs.frozen``) without an ``_wire`` field.
        decode: the eager decoder; it must succeed on every payload the caller
            passes to the factory (check the payload first).
        fill: ``fill(instance, eager)`` sets every field of the instance from the
            decoded model (through ``object.__setattr__``: the instance is frozen for
            users only); by default each field's value is copied. A model whose fields
            are built on their own first read (Coinsuper's book sides) copies the
            unbuilt slot values instead.

    Returns:
        The factory. Its instances are of a private subclass of ``model`` (see the
        module docstring for what that subclass keeps of ``model``'s behaviour).
    """
    names = tuple(field.name for field in attrs.fields(cast(Any, model)))
    fields = frozenset(names)
    get = object.__getattribute__
    put = object.__setattr__
    # One straight-line statement per field (as attrs generates its __init__): half the
    # cost of a loop over the names, paid on every first read.
    if fill is None:
        lines = "".join(f"    put(self, {name!r}, eager.{name})\n" for name in names)
        scope: dict[str, Any] = {"put": put}
        exec(f"def fill(self, eager):\n{lines or '    pass'}\n", scope)  # noqa: S102 - field names from attrs
        fill = cast(Callable[[Any, T], None], scope["fill"])
    set_fields = fill

    def __getattr__(self: Any, name: str) -> Any:  # noqa: N807 - only called for an unset slot
        if name not in fields:
            raise AttributeError(f"{model.__name__!r} object has no attribute {name!r}")
        try:
            wire = get(self, "_wire")
        except AttributeError:  # another thread filled it just now
            return get(self, name)
        set_fields(self, decode(wire))
        try:
            object.__delattr__(self, "_wire")  # the payload is no longer needed
        except AttributeError:
            pass
        return get(self, name)

    def __eq__(self: Any, other: object) -> bool:  # noqa: N807
        if not isinstance(other, model):
            return NotImplemented
        return all(getattr(self, field) == getattr(other, field) for field in names)

    def __ne__(self: Any, other: object) -> bool:  # noqa: N807
        equal = __eq__(self, other)
        return equal if equal is NotImplemented else not equal

    def __reduce__(self: Any) -> tuple[Any, ...]:  # noqa: N807 - pickles and copies as the plain model
        return _restore, (model, {field: getattr(self, field) for field in names})

    namespace: dict[str, Any] = {
        "__slots__": ("_wire",),
        "__getattr__": __getattr__,
        "__eq__": __eq__,
        "__ne__": __ne__,
        "__hash__": model.__hash__,
        "__reduce__": __reduce__,
        "__module__": model.__module__,
        "__qualname__": model.__qualname__,
        "__doc__": model.__doc__,
    }
    subclass = type(model.__name__, (model,), namespace)
    new = object.__new__
    set_wire = cast(Any, subclass.__dict__["_wire"]).__set__

    def make(payload: Any) -> T:
        instance: Any = new(subclass)
        set_wire(instance, payload)
        return cast(T, instance)

    return make
