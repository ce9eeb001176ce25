"""The documentation names only what is shipped: no docstring cites an unshipped file.

Docstrings end up in ``help()`` and in the API reference of the documentation site, so
a citation of the protocol notes, the design document or anything under ``../shared``
points a user at a file they never have. Exchange-specific notes live on the exchange
pages of ``docs/`` (``docs/exchanges/<exchange>.rst``); docstrings cite those pages or the
exchange's own public documentation.
"""

from __future__ import annotations

import ast
import functools
import io
import re
import tokenize
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "sdk" / "exwire"
REPO_ROOT = PACKAGE.parent.parent

#: What no docstring (nor ``#:`` attribute comment, which autodoc renders) may name.
FORBIDDEN = ("reference/protocols", "DESIGN.md", "../shared")
#: The protocol notes' file names, cited without their folder (``kraken.md`` and the like).
NOTES_FILE = re.compile(r"\b(?:kraken|binance|coinex|okex|okx|coinsuper)\.md\b")


@functools.cache
def _docstrings(source: str) -> list[tuple[int, str]]:
    """Every string statement of a module (module, class, function and attribute
    docstrings) and every ``#:`` comment, with its line number."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            found.append((node.lineno, node.value.value))
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT and token.string.startswith("#:"):
            found.append((token.start[0], token.string))
    return found


def violations(path: Path) -> list[str]:
    """``path:line: text`` for each docstring of ``path`` that names a forbidden file."""
    rel = path.relative_to(REPO_ROOT).as_posix()
    out = []
    for line, text in _docstrings(path.read_text(encoding="utf-8")):
        for name in FORBIDDEN:
            if name in text:
                out.append(f"{rel}:{line}: names {name!r}")
        for match in NOTES_FILE.finditer(text):
            out.append(f"{rel}:{line}: names {match.group()!r}")
    return out


def _checked_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_no_docstring_names_an_unshipped_file() -> None:
    files = _checked_files()
    assert len(files) > 50, "the package's modules were not found"
    found = [v for path in files for v in violations(path)]
    assert not found, "docstrings cite files that are not shipped:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "snippet",
    [
        '"""Checksum (``reference/protocols/kraken.md`` §5.5)."""\n',
        'def f():\n    """See DESIGN.md."""\n',
        'X = 1\n#: from ../shared/fixtures\nY = 2\n',
        'class C:\n    """Ping (kraken.md, ping)."""\n',
    ],
)
def test_the_check_finds_a_citation(snippet: str) -> None:
    cited = [
        text
        for _, text in _docstrings(snippet)
        if any(name in text for name in FORBIDDEN) or NOTES_FILE.search(text)
    ]
    assert len(cited) == 1


DOC_TARGET = re.compile(r":doc:`(?:[^`<]*<)?/?([\w/.-]+?)>?`")
EXCHANGE_PAGE = re.compile(r":doc:`[^`<]*</exchanges/(\w+)>`")
SECTION = re.compile(r"§\s?(\d+(?:\.\d+)*)")
DOCS = REPO_ROOT / "docs"


def _page_sections(exchange: str) -> set[str]:
    """The section numbers an exchange page defines: lines that start with ``§N`` or ``§N.M``."""
    text = (DOCS / "exchanges" / f"{exchange}.rst").read_text(encoding="utf-8")
    return set(re.findall(r"^§(\d+(?:\.\d+)?)\s", text, re.MULTILINE))


@pytest.mark.skipif(not (DOCS / "conf.py").exists(), reason="the documentation sources are not here")
def test_every_doc_reference_in_a_docstring_names_a_page() -> None:
    found = 0
    missing = []
    for path in _checked_files():
        for line, text in _docstrings(path.read_text(encoding="utf-8")):
            for target in DOC_TARGET.findall(text):
                found += 1
                if not (DOCS / f"{target.strip('/')}.rst").exists():
                    missing.append(f"{path.relative_to(REPO_ROOT).as_posix()}:{line}: {target}")
    assert found > 30, found
    assert not missing, missing


@pytest.mark.skipif(not (DOCS / "conf.py").exists(), reason="the documentation sources are not here")
def test_cited_section_numbers_exist_on_the_cited_exchange_page() -> None:
    """A module that points at one exchange page cites that page's numbered sections.

    Numbers of other standards are told apart by what precedes them (``RFC 6455 §5.5``,
    ``MQTT 3.1.1 §3.9``) or by their depth (the pages number two levels at most).
    """
    checked = 0
    missing = []
    for path in _checked_files():
        source = path.read_text(encoding="utf-8")
        pages = set(EXCHANGE_PAGE.findall(source))
        if len(pages) != 1:
            continue
        (exchange,) = pages
        sections = _page_sections(exchange)
        for line, text in _docstrings(source):
            for match in SECTION.finditer(text):
                number = match.group(1)
                if number.count(".") >= 2 or re.search(r"RFC|MQTT|standard", text[max(0, match.start() - 30):match.start()]):
                    continue
                checked += 1
                if number not in sections:
                    missing.append(f"{path.relative_to(REPO_ROOT).as_posix()}:{line}: §{number} not on {exchange}.rst")
    assert checked > 200, checked
    assert not missing, missing
