"""The REST side of the Kraken emulator: ``POST /0/private/GetWebSocketsToken`` (§6 of :doc:`the Kraken page </exchanges/kraken>`).

Kraken's token call is plain HTTP with a form body, which the websockets handshake
parser refuses (it accepts no request body), so the emulator peeks at each new TCP
connection: one that starts with ``POST`` is answered here, on the same port, by a
minimal HTTP/1.1 exchange (one request, then ``Connection: close``); anything else
goes on to the WebSocket server.

The signature check is written independently of :mod:`exwire.kraken.signing`, from
the algorithm of §6.2, so that the emulator cannot agree with a bug of the client.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

__all__ = ["TOKEN_PATH", "serve_http", "signature_matches"]

TOKEN_PATH = "/0/private/GetWebSocketsToken"
_MAX_HEAD = 64 * 1024
_MAX_BODY = 64 * 1024
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}

#: ``handler(path, headers, form) -> (status, document)``; headers have lower-case names.
Handler = Callable[[str, dict[str, str], "Form"], tuple[int, dict[str, Any]]]


class Form:
    """A parsed form body, keeping the exact bytes that were signed."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.text = raw.decode("utf-8", "replace")
        self.fields = dict(parse_qsl(self.text, keep_blank_values=True))


def is_http_post(raw_socket: socket.socket) -> bool:
    """Peek (without consuming) whether the client's first bytes are ``POST ``."""
    try:
        head = raw_socket.recv(5, socket.MSG_PEEK | socket.MSG_WAITALL)
    except OSError:
        return False
    return head == b"POST "


def serve_http(raw_socket: socket.socket, handler: Handler) -> None:
    """Read one HTTP request from ``raw_socket``, answer it with ``handler`` and close."""
    try:
        request = _read_request(raw_socket)
        if request is None:
            status, document = 400, {"error": ["EGeneral:Invalid arguments"]}
        else:
            method, path, headers, body = request
            if method != "POST":
                status, document = 405, {"error": ["EGeneral:Invalid arguments"]}
            else:
                status, document = handler(path, headers, Form(body))
        payload = json.dumps(document, separators=(",", ":")).encode("utf-8")
        head = (f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
                "Content-Type: application/json; charset=utf-8\r\n"
                f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n")
        raw_socket.sendall(head.encode("ascii") + payload)
    except OSError:
        pass  # the client went away; nothing to answer
    finally:
        try:
            raw_socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        raw_socket.close()


def _read_request(raw_socket: socket.socket) -> tuple[str, str, dict[str, str], bytes] | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = raw_socket.recv(4096)
        if not chunk or len(data) > _MAX_HEAD:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    try:
        method, target, _version = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
    except ValueError:
        return None
    if length > _MAX_BODY:
        return None
    while len(body) < length:
        chunk = raw_socket.recv(length - len(body))
        if not chunk:
            return None
        body += chunk
    return method, target.split("?", 1)[0], headers, body[:length]


def signature_matches(path: str, form: Form, api_sign: str, secret: str) -> bool:
    """Whether ``api_sign`` is the §6.2 signature of this request under ``secret``."""
    try:
        key = base64.b64decode(secret)
        given = base64.b64decode(api_sign, validate=True)
    except (binascii.Error, ValueError):
        return False
    nonce = form.fields.get("nonce", "")
    inner = hashlib.sha256(nonce.encode("utf-8") + form.raw).digest()
    expected = hmac.new(key, path.encode("utf-8") + inner, hashlib.sha512).digest()
    return hmac.compare_digest(expected, given)
