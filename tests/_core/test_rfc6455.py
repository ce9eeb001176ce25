"""WebSocketTransport against Autobahn-style cases (groups 1-7) played by a loopback server.

Each case names the Autobahn TestSuite case it follows. A valid case ends with a
server Close (1000) that the client must answer exactly once, echoing the code
(RFC 6455 §5.5.1). An invalid case must fail the connection: the client sends a Close
with the expected status code (1002, 1007 or 1009, RFC 6455 §7.4.1), ends the TCP
connection, raises ``TransportClosed`` with that code, and delivers nothing after the
bad frame.

Every case runs twice: reading frame by frame (``recv``) and reading every whole frame
of each socket read at once (``recv_many``, the connection's reader), which must
deliver the same frames and fail the same way, after the frames before the bad one.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import NamedTuple

import pytest

from exwire._core.netopts import NetworkOptions
from exwire._core.transport import TransportClosed, WebSocketTransport
from tests._core.autobahn_server import OP, AutobahnServer, ClientFrame, close_payload, frame
from tests.conftest import timeout

NORMAL_CLOSE = frame(OP.CLOSE, close_payload(1000))
_reading: list[str] = ["recv"]  # how play() reads; set per test by the fixture below


@pytest.fixture(autouse=True, params=["recv", "recv_many"])
def reading(request: pytest.FixtureRequest) -> str:
    _reading[0] = request.param
    return str(request.param)

PROTOCOL_ERROR, INVALID_PAYLOAD, TOO_BIG = 1002, 1007, 1009


class Outcome(NamedTuple):
    messages: list[str | bytes]
    error: TransportClosed | None
    sent: list[ClientFrame]  # what the client sent, in order

    @property
    def pongs(self) -> list[bytes]:
        return [f.payload for f in self.sent if f.opcode == OP.PONG]

    @property
    def close_codes(self) -> list[int | None]:
        return [f.close_code for f in self.sent if f.opcode == OP.CLOSE]


def play(
    script: Sequence[bytes], *, chop: int | None = None, max_message_size: int | None = None, close: bool = True
) -> Outcome:
    """Connect to a server playing ``script``; read until the transport closes."""
    network = NetworkOptions() if max_message_size is None else NetworkOptions(max_message_size=max_message_size)
    with AutobahnServer(script, chop=chop) as server:
        transport = WebSocketTransport(network=network)
        transport.open(server.url, timeout(5))
        messages: list[str | bytes] = []
        error = None
        try:
            while True:
                if _reading[0] == "recv_many":
                    batch = transport.recv_many(timeout(5))
                    assert batch, "the transport neither delivered nor failed in time"
                    messages.extend(batch)
                    continue
                message = transport.recv(timeout(5))
                assert message is not None, "the transport neither delivered nor failed in time"
                messages.append(message)
        except TransportClosed as exc:
            error = exc
        finally:
            if close:
                transport.close()  # after a failure or an answered Close: must send nothing more
        sent = server.wait_ended(timeout(5))
        assert server.error is None
    assert all(f.masked for f in sent), "client frames must be masked (RFC 6455 §5.3)"
    return Outcome(messages, error, sent)


class Case(NamedTuple):
    id: str
    script: list[bytes]
    messages: list[str | bytes]
    pongs: list[bytes]
    fails_with: int | None  # None: a valid case, ended by a normal close
    chop: int | None


def _valid(
    id: str,
    script: list[bytes],
    messages: list[str | bytes],
    pongs: Sequence[bytes] = (),
    *,
    chop: int | None = None,
) -> Case:
    return Case(id, [*script, NORMAL_CLOSE], messages, list(pongs), None, chop)


def _invalid(
    id: str, script: list[bytes], code: int, messages: Sequence[str | bytes] = (), *, chop: int | None = None
) -> Case:
    return Case(id, script, list(messages), [], code, chop)


def _text(payload: bytes, *, final: bool = True, rsv: int = 0, mask: bytes | None = None) -> bytes:
    return frame(OP.TEXT, payload, final=final, rsv=rsv, mask=mask)


def _cont(payload: bytes, *, final: bool = True, rsv: int = 0) -> bytes:
    return frame(OP.CONTINUATION, payload, final=final, rsv=rsv)


# -- 1 framing ---------------------------------------------------------------------------

SIZES = [0, 125, 126, 127, 65535, 65536]
FRAMING = [
    *(_valid(f"1.1 text {n} bytes", [_text(b"*" * n)], ["*" * n]) for n in SIZES),
    *(_valid(f"1.2 binary {n} bytes", [frame(OP.BINARY, b"\xfe" * n)], [b"\xfe" * n]) for n in SIZES),
    _valid("1.1.7 text 65536 bytes in 997-byte chunks", [_text(b"*" * 65536)], ["*" * 65536], chop=997),
    _valid("1.2.8 binary 300 bytes, byte by byte", [frame(OP.BINARY, b"\x01" * 300)], [b"\x01" * 300], chop=1),
    _valid(
        "1.x many frames in one write",
        [b"".join(_text(str(n).encode()) for n in range(200))],
        [str(n) for n in range(200)],
    ),
]

# -- 2 pings and pongs -------------------------------------------------------------------

PINGS = [
    _valid("2.1 ping without payload", [frame(OP.PING)], [], [b""]),
    _valid("2.2 ping with text payload", [frame(OP.PING, b"Hello, world!")], [], [b"Hello, world!"]),
    _valid("2.3 ping with binary payload", [frame(OP.PING, b"\x00\xff\xfe\xfd")], [], [b"\x00\xff\xfe\xfd"]),
    _valid("2.4 ping with 125-byte payload", [frame(OP.PING, b"\xfe" * 125)], [], [b"\xfe" * 125]),
    _invalid("2.5 ping with 126-byte payload", [frame(OP.PING, b"\xfe" * 126)], PROTOCOL_ERROR),
    _valid("2.6 125-byte ping, byte by byte", [frame(OP.PING, b"\xfe" * 125)], [], [b"\xfe" * 125], chop=1),
    _valid("2.7 unsolicited pong is ignored", [frame(OP.PONG)], []),
    _valid("2.8 unsolicited pong with payload", [frame(OP.PONG, b"unsolicited")], []),
    _valid("2.9 pong, then ping", [frame(OP.PONG, b"x"), frame(OP.PING, b"y")], [], [b"y"]),
    _valid("2.10 ten pings", [frame(OP.PING, b"%d" % n) for n in range(10)], [], [b"%d" % n for n in range(10)]),
]

# -- 3 reserved bits ---------------------------------------------------------------------

HELLO = _text(b"Hello")
RESERVED_BITS = [
    _invalid("3.1 text with RSV=1", [_text(b"Hello", rsv=1)], PROTOCOL_ERROR),
    _invalid("3.2 text, text with RSV=2, ping", [HELLO, _text(b"Hello", rsv=2), frame(OP.PING)], PROTOCOL_ERROR, ["Hello"]),
    _invalid("3.3 text, text with RSV=3, ping", [HELLO, _text(b"Hello", rsv=3), frame(OP.PING)], PROTOCOL_ERROR, ["Hello"]),
    _invalid("3.4 text with RSV=4, chopped", [HELLO, _text(b"Hello", rsv=4)], PROTOCOL_ERROR, ["Hello"], chop=1),
    _invalid("3.5 binary with RSV=5", [frame(OP.BINARY, b"\x00\xff", rsv=5)], PROTOCOL_ERROR),
    _invalid("3.6 ping with RSV=6", [frame(OP.PING, b"x", rsv=6)], PROTOCOL_ERROR),
    _invalid("3.7 close with RSV=7", [frame(OP.CLOSE, close_payload(1000), rsv=7)], PROTOCOL_ERROR),
    _invalid("3.x continuation with RSV=1", [_text(b"a", final=False), _cont(b"b", rsv=1)], PROTOCOL_ERROR),
]

# -- 4 opcodes ---------------------------------------------------------------------------

OPCODES = [
    *(
        _invalid(f"4.1.{n - 2} reserved data opcode {n}", [HELLO, frame(n, b"x"), frame(OP.PING)], PROTOCOL_ERROR, ["Hello"])
        for n in range(3, 8)
    ),
    *(
        _invalid(f"4.2.{n - 10} reserved control opcode {n:#x}", [HELLO, frame(n), frame(OP.PING)], PROTOCOL_ERROR, ["Hello"])
        for n in range(0xB, 0x10)
    ),
]

# -- 5 fragmentation ---------------------------------------------------------------------

FRAGMENTATION = [
    _invalid("5.1 fragmented ping", [frame(OP.PING, b"frag", final=False), _cont(b"ment")], PROTOCOL_ERROR),
    _invalid("5.2 fragmented pong", [frame(OP.PONG, b"frag", final=False), _cont(b"ment")], PROTOCOL_ERROR),
    _valid("5.3 text in two fragments", [_text(b"frag", final=False), _cont(b"ment")], ["fragment"]),
    _valid("5.4 text in two fragments, chopped", [_text(b"frag", final=False), _cont(b"ment")], ["fragment"], chop=1),
    _valid(
        "5.6 text fragments with a ping between",
        [_text(b"frag", final=False), frame(OP.PING, b"p"), _cont(b"ment")],
        ["fragment"],
        [b"p"],
    ),
    _valid(
        "5.8 text fragments with a ping between, chopped",
        [_text(b"frag", final=False), frame(OP.PING, b"p"), _cont(b"ment")],
        ["fragment"],
        [b"p"],
        chop=1,
    ),
    _invalid("5.9 continuation without a start (final)", [_cont(b"orphan"), HELLO], PROTOCOL_ERROR),
    _invalid("5.10 continuation without a start (not final)", [_cont(b"orphan", final=False), HELLO], PROTOCOL_ERROR),
    _invalid("5.12 continuation without a start, chopped", [_cont(b"orphan"), HELLO], PROTOCOL_ERROR, chop=1),
    _valid(
        "5.15 a message, then a fragmented one",
        [_text(b"a", final=False), _cont(b"b"), _text(b"c", final=False), _cont(b"d", final=False), _cont(b"e")],
        ["ab", "cde"],
    ),
    _invalid(
        "5.18 a text start inside a fragmented message",
        [_text(b"frag", final=False), _text(b"new"), _cont(b"ment")],
        PROTOCOL_ERROR,
    ),
    _invalid(
        "5.18 a binary start inside a fragmented message",
        [_text(b"frag", final=False), frame(OP.BINARY, b"new", final=False)],
        PROTOCOL_ERROR,
    ),
    _valid(
        "5.19 five fragments with pings interleaved",
        [
            _text(b"f1", final=False),
            _cont(b"f2", final=False),
            frame(OP.PING, b"p1"),
            _cont(b"f3", final=False),
            frame(OP.PONG, b"ignored"),
            _cont(b"f4", final=False),
            frame(OP.PING, b"p2"),
            _cont(b"f5"),
        ],
        ["f1f2f3f4f5"],
        [b"p1", b"p2"],
    ),
    _valid(
        "5.x binary in three fragments",
        [frame(OP.BINARY, b"\x00", final=False), _cont(b"\x01", final=False), _cont(b"\x02")],
        [b"\x00\x01\x02"],
    ),
    _valid("5.x empty fragments", [_text(b"", final=False), _cont(b"", final=False), _cont(b"")], [""]),
]

# -- 6 UTF-8 -----------------------------------------------------------------------------

KOSME = "κόσμε".encode()
HELLO_UTF8 = "Hello-µ@ßöäüàá-UTF-8!!".encode()
INVALID = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64"  # a surrogate


def _fragments(payload: bytes, size: int, opcode: int = OP.TEXT) -> list[bytes]:
    pieces = [payload[i : i + size] for i in range(0, len(payload), size)] or [b""]
    return [
        frame(opcode if i == 0 else OP.CONTINUATION, piece, final=i == len(pieces) - 1) for i, piece in enumerate(pieces)
    ]


UTF8 = [
    _valid("6.2.1 valid UTF-8 in one frame", [_text(HELLO_UTF8)], [HELLO_UTF8.decode()]),
    _valid("6.2.2 valid UTF-8 split at code points", [_text(b"Hello-\xc2\xb5@", final=False), _cont(b"\xc3\x9f")], ["Hello-µ@ß"]),
    _valid("6.2.3 valid UTF-8 one byte per fragment", _fragments(HELLO_UTF8, 1), [HELLO_UTF8.decode()]),
    _valid("6.2.4 kosme split inside code points", _fragments(KOSME, 3), ["κόσμε"]),
    _valid("6.x four-byte code point split across fragments", _fragments("a😀b".encode(), 2), ["a😀b"]),
    _invalid("6.3.1 invalid UTF-8 in one frame", [_text(INVALID)], INVALID_PAYLOAD),
    _invalid("6.3.2 invalid UTF-8 one byte per fragment", _fragments(INVALID, 1), INVALID_PAYLOAD),
    _invalid("6.x invalid byte 0xff", [_text(b"\xff")], INVALID_PAYLOAD),
    _invalid("6.x truncated code point at the end", [_text(b"ab\xce")], INVALID_PAYLOAD),
    _invalid("6.x truncated code point at the end of fragments", _fragments(b"ab\xce", 1), INVALID_PAYLOAD),
    _invalid("6.x overlong encoding", [_text(b"\xc0\xaf")], INVALID_PAYLOAD),
    _invalid("6.x code point above U+10FFFF", [_text(b"\xf4\x90\x80\x80")], INVALID_PAYLOAD),
    # Fail fast (Autobahn 6.4.x): the bad first fragment fails the connection on its own.
    _invalid("6.4.1 invalid first fragment, message never finished", [_text(INVALID, final=False)], INVALID_PAYLOAD),
    _valid("6.x invalid UTF-8 in a binary message is data", [frame(OP.BINARY, INVALID)], [INVALID]),
]

# -- 7 close handling --------------------------------------------------------------------

VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]
INVALID_CODES = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]


def _close(code: int | None, reason: bytes = b"") -> bytes:
    return frame(OP.CLOSE, close_payload(code, reason))


CLOSING = [
    _invalid("7.3.2 close with a 1-byte payload", [frame(OP.CLOSE, b"\x03")], PROTOCOL_ERROR),
    _invalid("7.3.6 close with a 126-byte payload", [_close(1000, b"*" * 124)], PROTOCOL_ERROR),
    _invalid("7.5.1 close reason not UTF-8", [_close(1000, INVALID)], INVALID_PAYLOAD),
    _invalid("7.x fragmented close", [frame(OP.CLOSE, close_payload(1000), final=False)], PROTOCOL_ERROR),
    *(_invalid(f"7.9 invalid close code {code}", [_close(code)], PROTOCOL_ERROR) for code in INVALID_CODES),
]


@pytest.mark.parametrize(
    "case",
    [*FRAMING, *PINGS, *RESERVED_BITS, *OPCODES, *FRAGMENTATION, *UTF8, *CLOSING],
    ids=lambda case: case.id,
)
def test_autobahn_case(case: Case) -> None:
    outcome = play(case.script, chop=case.chop)
    assert outcome.messages == case.messages
    assert outcome.pongs == case.pongs
    assert outcome.error is not None
    if case.fails_with is None:
        assert outcome.error.code == 1000
        assert outcome.close_codes == [1000]  # answered once, echoing the code
    else:
        assert outcome.error.code == case.fails_with
        assert outcome.close_codes == [case.fails_with]


def test_masked_server_frame_fails_the_connection() -> None:
    # RFC 6455 §5.1: a client MUST close the connection on a masked frame.
    outcome = play([HELLO, _text(b"masked", mask=b"\x01\x02\x03\x04"), _text(b"after")])
    assert outcome.messages == ["Hello"]
    assert outcome.error is not None and outcome.error.code == PROTOCOL_ERROR
    assert outcome.close_codes == [PROTOCOL_ERROR]


@pytest.mark.parametrize("code", VALID_CODES)
def test_valid_close_code_is_echoed_once(code: int) -> None:
    outcome = play([_close(code, b"bye")])
    assert outcome.error is not None and outcome.error.code == code and outcome.error.reason == "bye"
    assert outcome.close_codes == [code]
    assert outcome.sent[-1].payload == struct.pack("!H", code)


def test_close_without_payload_is_answered_by_an_empty_close() -> None:
    outcome = play([_close(None)])  # 7.3.1
    assert outcome.error is not None and outcome.error.code is None
    assert [(f.opcode, f.payload) for f in outcome.sent] == [(OP.CLOSE, b"")]


def test_close_with_a_123_byte_reason_is_accepted() -> None:
    outcome = play([_close(1000, b"*" * 123)])  # 7.3.5
    assert outcome.error is not None and outcome.error.reason == "*" * 123
    assert outcome.close_codes == [1000]


def test_nothing_after_a_close_is_delivered_or_answered() -> None:
    # 7.1.3/7.1.4/7.1.2: a ping, a text and a second close behind the close
    outcome = play([HELLO, _close(1000), frame(OP.PING, b"late"), _text(b"late"), _close(1001)])
    assert outcome.messages == ["Hello"]
    assert outcome.pongs == []
    assert outcome.close_codes == [1000]


def test_close_is_answered_once_even_without_a_close_call() -> None:
    outcome = play([_close(3000, b"bye")], close=False)  # the transport ends the connection itself
    assert outcome.close_codes == [3000]


def test_client_close_sends_one_normal_close() -> None:
    with AutobahnServer([HELLO]) as server:
        transport = WebSocketTransport()
        transport.open(server.url, timeout(5))
        assert transport.recv(timeout(5)) == "Hello"
        transport.close()
        transport.close()  # idempotent
        sent = server.wait_ended(timeout(5))
        with pytest.raises(TransportClosed):
            transport.recv(timeout(1))
    assert [(f.opcode, f.close_code) for f in sent] == [(OP.CLOSE, 1000)]


def test_take_buffered_raises_on_a_protocol_error_and_delivers_what_came_before() -> None:
    with AutobahnServer([HELLO + HELLO + _cont(b"orphan") + HELLO]) as server:
        transport = WebSocketTransport()
        transport.open(server.url, timeout(5))
        try:
            assert transport.recv(timeout(5)) == "Hello"
            # the rest arrived with the first frame, or arrives soon after
            with pytest.raises(TransportClosed) as raised:
                while True:
                    message = transport.take_buffered()
                    if message is None:
                        message = transport.recv(timeout(5))
                    assert message in ("Hello", None)
            assert raised.value.code == PROTOCOL_ERROR
            assert transport.take_buffered() is None  # nothing after the failure
        finally:
            transport.close()
        sent = server.wait_ended(timeout(5))
    assert [f.close_code for f in sent] == [PROTOCOL_ERROR]


# -- maximum message size (RFC 6455 §10.4) -----------------------------------------------


def _header(opcode: int, length: int, final: bool = True) -> bytes:
    return struct.pack("!BBQ", (0x80 if final else 0) | opcode, 127, length)


@pytest.mark.parametrize("length", [2**63 - 1, 2**63, 2**64 - 1], ids=["2^63-1", "2^63", "2^64-1"])
def test_a_huge_length_header_fails_at_once_without_buffering(length: int) -> None:
    # Only the header and a few bytes come: the client must not wait for the rest.
    outcome = play([_header(OP.BINARY, length) + b"\x00" * 10])
    assert outcome.messages == []
    assert outcome.error is not None and outcome.error.code == TOO_BIG
    assert outcome.close_codes == [TOO_BIG]


def test_a_frame_over_the_default_limit_fails_before_its_payload_arrives() -> None:
    outcome = play([_header(OP.TEXT, 16 * 1024 * 1024 + 1) + b"*" * 65536])
    assert outcome.error is not None and outcome.error.code == TOO_BIG
    assert outcome.close_codes == [TOO_BIG]


def test_a_frame_at_the_limit_is_delivered() -> None:
    outcome = play([_text(b"*" * 1000), NORMAL_CLOSE], max_message_size=1000)
    assert outcome.messages == ["*" * 1000]
    assert outcome.close_codes == [1000]


def test_a_frame_one_byte_over_the_limit_fails() -> None:
    outcome = play([_text(b"ok"), frame(OP.BINARY, b"*" * 1001)], max_message_size=1000)
    assert outcome.messages == ["ok"]
    assert outcome.error is not None and outcome.error.code == TOO_BIG
    assert outcome.close_codes == [TOO_BIG]


def test_a_fragmented_message_at_the_limit_is_delivered() -> None:
    outcome = play(_fragments(b"*" * 1000, 300) + [NORMAL_CLOSE], max_message_size=1000)
    assert outcome.messages == ["*" * 1000]


def test_a_fragmented_message_over_the_limit_fails() -> None:
    # Each fragment is under the limit; together they are not. The failure comes with
    # the header of the fragment that crosses it, before its payload.
    script = [_text(b"*" * 600, final=False), _header(OP.CONTINUATION, 600)]
    outcome = play(script, max_message_size=1000)
    assert outcome.messages == []
    assert outcome.error is not None and outcome.error.code == TOO_BIG
    assert outcome.close_codes == [TOO_BIG]


def test_control_frames_do_not_count_towards_the_message_size() -> None:
    script = [
        frame(OP.BINARY, b"*" * 500, final=False),
        frame(OP.PING, b"p" * 125),
        _cont(b"*" * 500),
        NORMAL_CLOSE,
    ]
    outcome = play(script, max_message_size=1000)
    assert outcome.messages == [b"*" * 1000]
    assert outcome.pongs == [b"p" * 125]
