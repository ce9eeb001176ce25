"""Write the intersphinx inventories the documentation links against, without the web.

CI reaches the package registries but no website, and neither Python nor attrs ships its
``objects.inv`` in an installed package, so the two inventories in this folder are
generated here: each lists exactly the names exwire's documentation refers to, with the
address of that name in the project's published documentation. Run
``python docs/_inventories/make_inventories.py`` after adding a name below.
"""

from __future__ import annotations

import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent

# (name, domain:role, relative URI) -- "$" stands for the name itself, as in Sphinx.
PYTHON = [
    ("decimal.Decimal", "py:class", "library/decimal.html#$"),
    ("datetime.datetime", "py:class", "library/datetime.html#$"),
    ("datetime.timedelta", "py:class", "library/datetime.html#$"),
    ("datetime.timezone", "py:class", "library/datetime.html#$"),
    ("datetime.timezone.utc", "py:attribute", "library/datetime.html#$"),
    ("ssl.SSLContext", "py:class", "library/ssl.html#$"),
    ("ssl.create_default_context", "py:function", "library/ssl.html#$"),
    ("logging", "py:module", "library/logging.html#module-logging"),
    ("logging.Logger", "py:class", "library/logging.html#$"),
    ("logging.NullHandler", "py:class", "library/logging.handlers.html#$"),
    ("logging.basicConfig", "py:function", "library/logging.html#$"),
    ("logging.getLogger", "py:function", "library/logging.html#$"),
    ("threading.Thread", "py:class", "library/threading.html#$"),
    ("threading.Event", "py:class", "library/threading.html#$"),
    ("concurrent.futures.Executor", "py:class", "library/concurrent.futures.html#$"),
    ("concurrent.futures.Future", "py:class", "library/concurrent.futures.html#$"),
    ("collections.abc.Callable", "py:class", "library/collections.abc.html#$"),
    ("collections.abc.Iterator", "py:class", "library/collections.abc.html#$"),
    ("collections.abc.Iterable", "py:class", "library/collections.abc.html#$"),
    ("collections.abc.Sequence", "py:class", "library/collections.abc.html#$"),
    ("collections.abc.Mapping", "py:class", "library/collections.abc.html#$"),
    ("typing.Any", "py:data", "library/typing.html#$"),
    ("typing.Generic", "py:class", "library/typing.html#$"),
    ("typing.Literal", "py:data", "library/typing.html#$"),
    ("typing.TypedDict", "py:class", "library/typing.html#$"),
    ("typing.Protocol", "py:class", "library/typing.html#$"),
    ("enum.Enum", "py:class", "library/enum.html#$"),
    ("enum.StrEnum", "py:class", "library/enum.html#$"),
    ("enum.IntEnum", "py:class", "library/enum.html#$"),
    ("pathlib.Path", "py:class", "library/pathlib.html#$"),
    ("queue.Queue", "py:class", "library/queue.html#$"),
    ("str", "py:class", "library/stdtypes.html#$"),
    ("int", "py:class", "library/functions.html#$"),
    ("float", "py:class", "library/functions.html#$"),
    ("bool", "py:class", "library/functions.html#$"),
    ("bytes", "py:class", "library/stdtypes.html#$"),
    ("list", "py:class", "library/stdtypes.html#$"),
    ("dict", "py:class", "library/stdtypes.html#$"),
    ("tuple", "py:class", "library/stdtypes.html#$"),
    ("set", "py:class", "library/stdtypes.html#$"),
    ("frozenset", "py:class", "library/stdtypes.html#$"),
    ("object", "py:class", "library/functions.html#$"),
    ("None", "py:data", "library/constants.html#$"),
    ("Exception", "py:exception", "library/exceptions.html#$"),
    ("ValueError", "py:exception", "library/exceptions.html#$"),
    ("TypeError", "py:exception", "library/exceptions.html#$"),
    ("TimeoutError", "py:exception", "library/exceptions.html#$"),
    ("OSError", "py:exception", "library/exceptions.html#$"),
    ("ImportError", "py:exception", "library/exceptions.html#$"),
    ("KeyError", "py:exception", "library/exceptions.html#$"),
    ("ResourceWarning", "py:exception", "library/exceptions.html#$"),
]

ATTRS = [
    ("attrs", "py:module", "api.html#module-attrs"),
    ("attrs.frozen", "py:function", "api.html#$"),
    ("attrs.define", "py:function", "api.html#$"),
    ("attrs.field", "py:function", "api.html#$"),
    ("attrs.evolve", "py:function", "api.html#$"),
    ("attrs.asdict", "py:function", "api.html#$"),
    ("attrs.exceptions.FrozenInstanceError", "py:exception", "api.html#$"),
]


def write(path: Path, project: str, version: str, entries: list[tuple[str, str, str]]) -> None:
    """Write a version 2 Sphinx inventory: four header lines, then zlib-compressed entries."""
    header = f"# Sphinx inventory version 2\n# Project: {project}\n# Version: {version}\n"
    header += "# The remainder of this file is compressed using zlib.\n"
    body = "".join(f"{name} {role} 1 {uri} -\n" for name, role, uri in entries)
    path.write_bytes(header.encode() + zlib.compress(body.encode()))


if __name__ == "__main__":
    write(HERE / "python.inv", "Python", "3.11", PYTHON)
    write(HERE / "attrs.inv", "attrs", "23.1", ATTRS)
