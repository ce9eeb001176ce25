"""Loopback network helpers for the ssl_context=/proxy= tests: a throw-away CA, an HTTP
CONNECT proxy and a TLS-terminating relay, all on 127.0.0.1.

Both servers accept on a thread ``exwire-test-<name>`` and pipe each connection on a
thread ``exwire-test-<name>-conn-<n>`` (so the suite's leak check sees them); ``close``
wakes every one of them through one socket pair and joins them. Use them as context
managers.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import itertools
import select
import socket
import ssl
import threading
from pathlib import Path
from typing import Self

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

__all__ = ["TestCA", "ConnectProxy", "TlsRelay", "cause_chain"]

_IO_TIMEOUT = 10.0  # seconds a blocking socket call of a helper may take
_CHUNK = 64 * 1024


class TestCA:
    """A certificate authority made for one test, and a server certificate it signed
    for ``127.0.0.1`` and ``localhost``.

    Attributes:
        ca_path: the CA certificate (PEM), what a client trusts.
        cert_path, key_path: the server's certificate chain and key (PEM).
    """

    __test__ = False  # not a pytest test class

    def __init__(self, directory: Path) -> None:
        now = dt.datetime.now(dt.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "exwire test CA")])
        ca_certificate = (
            x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
            .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        server_key = ec.generate_private_key(ec.SECP256R1())
        server_certificate = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(server_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost"),
            ]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        self.ca_path = directory / "ca.pem"
        self.cert_path = directory / "server.pem"
        self.key_path = directory / "server-key.pem"
        self.ca_path.write_bytes(ca_certificate.public_bytes(serialization.Encoding.PEM))
        self.cert_path.write_bytes(server_certificate.public_bytes(serialization.Encoding.PEM))
        self.key_path.write_bytes(server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this CA only (host names checked)."""
        return ssl.create_default_context(cafile=str(self.ca_path))

    def server_context(self) -> ssl.SSLContext:
        """A server context presenting the certificate for 127.0.0.1/localhost."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(self.cert_path), str(self.key_path))
        return context


def _pipe(left: socket.socket, right: socket.socket, stop: socket.socket) -> None:
    """Copy bytes both ways until either side ends or ``stop`` becomes readable.

    One thread serves both directions, so a TLS socket is never read and written by
    two threads at once. Blocking sockets: a read follows select() (or TLS bytes
    already decrypted), so it returns what is there.
    """
    peers = {left: right, right: left}
    while True:
        ready: list[socket.socket] = [s for s in peers if isinstance(s, ssl.SSLSocket) and s.pending()]
        if not ready:
            readable, _, _ = select.select([left, right, stop], [], [])
            if stop in readable:
                return
            ready = [s for s in peers if s in readable]
        for source in ready:
            try:
                data = source.recv(_CHUNK)
                if not data:
                    return
                peers[source].sendall(data)
            except ssl.SSLWantReadError:
                continue  # a TLS record is not complete yet
            except OSError:
                return


def _close(*sockets: socket.socket | None) -> None:
    for sock in sockets:
        if sock is None:
            continue
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()


class _LoopbackServer:
    """Accept loop and per-connection threads shared by the two helpers."""

    def __init__(self, name: str, host: str = "127.0.0.1") -> None:
        self.name = name
        self.host = host
        self._listener = socket.create_server((host, 0))
        self.port: int = self._listener.getsockname()[1]
        self._stop_r, self._stop_w = socket.socketpair()
        self._lock = threading.Lock()  # guards _threads
        self._threads: list[threading.Thread] = []
        self._ids = itertools.count(1)
        self._accepter = threading.Thread(target=self._accept_loop, name=f"exwire-test-{name}", daemon=True)

    def __enter__(self) -> Self:
        self._accepter.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop accepting, end every piped connection and join every thread."""
        if self._stop_w.fileno() != -1:
            self._stop_w.close()  # EOF: readable for every select() that watches it
        if self._accepter.is_alive() or self._accepter.ident is not None:
            self._accepter.join(_IO_TIMEOUT)
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(_IO_TIMEOUT)
        self._listener.close()
        self._stop_r.close()

    def _accept_loop(self) -> None:
        while True:
            readable, _, _ = select.select([self._listener, self._stop_r], [], [])
            if self._stop_r in readable:
                return
            try:
                sock, _ = self._listener.accept()
            except OSError:
                continue
            thread = threading.Thread(target=self._serve_safely, args=(sock,),
                                      name=f"exwire-test-{self.name}-conn-{next(self._ids)}", daemon=True)
            with self._lock:
                self._threads.append(thread)
            thread.start()

    def _serve_safely(self, sock: socket.socket) -> None:
        sock.settimeout(_IO_TIMEOUT)
        upstream: socket.socket | None = None
        try:
            upstream = self._serve(sock)
            if upstream is not None:
                _pipe(sock, upstream, self._stop_r)
        except OSError:
            pass  # a failed handshake or a client that went away: the test sees it client-side
        finally:
            _close(sock, upstream)

    def _serve(self, sock: socket.socket) -> socket.socket | None:
        raise NotImplementedError


class ConnectProxy(_LoopbackServer):
    """An HTTP CONNECT proxy on 127.0.0.1: tunnels ``CONNECT host:port`` to that address.

    Args:
        credentials: ``(user, password)`` the proxy demands as ``Proxy-Authorization:
            Basic``; ``None``: no authentication. A missing or wrong one is answered 407.

    Attributes:
        targets: ``"host:port"`` of every CONNECT it tunnelled, in order.
        refused: how many CONNECTs it answered 407.
        url: ``http://127.0.0.1:<port>`` (without the credentials).
    """

    def __init__(self, credentials: tuple[str, str] | None = None) -> None:
        super().__init__("proxy")
        self._credentials = credentials
        self._changed = threading.Condition()
        self.targets: list[str] = []
        self.refused = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_for_targets(self, count: int, timeout: float) -> list[str]:
        """Wait until ``count`` CONNECTs were tunnelled; return the targets so far."""
        with self._changed:
            self._changed.wait_for(lambda: len(self.targets) >= count, timeout)
            return list(self.targets)

    def _serve(self, sock: socket.socket) -> socket.socket | None:
        request = b""
        while b"\r\n\r\n" not in request:
            data = sock.recv(4096)
            if not data or len(request) > 65536:
                return None
            request += data
        head, _, early = request.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if method != "CONNECT":
            sock.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return None
        if self._credentials is not None:
            scheme, _, token = headers.get("proxy-authorization", "").partition(" ")
            expected = base64.b64encode(":".join(self._credentials).encode()).decode()
            if scheme.lower() != "basic" or token.strip() != expected:
                with self._changed:
                    self.refused += 1
                sock.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                             b"Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n")
                return None
        host, _, port = target.rpartition(":")
        upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=_IO_TIMEOUT)
        if early:
            upstream.sendall(early)
        with self._changed:
            self.targets.append(target)
            self._changed.notify_all()
        # One write: some clients (PySocks) read the status line through a buffer and
        # drop the rest of what that read returned.
        sock.sendall(b"HTTP/1.1 200 Connection established\r\nProxy-Agent: exwire-test\r\n\r\n")
        return upstream


class TlsRelay(_LoopbackServer):
    """TLS termination on 127.0.0.1 in front of a plain TCP server (an emulator).

    Args:
        upstream_port: the plain server's port on 127.0.0.1.
        context: the server-side TLS context.
        host: the loopback address to listen on.

    Attributes:
        handshakes: TLS handshakes completed.
    """

    def __init__(self, upstream_port: int, context: ssl.SSLContext, host: str = "127.0.0.1") -> None:
        super().__init__("tls", host)
        self._upstream_port = upstream_port
        self._context = context
        self.handshakes = 0

    def secure(self, url: str, scheme: str = "wss") -> str:
        """``url`` (``ws://127.0.0.1:<upstream>/path``) pointed at this relay with ``scheme``."""
        _, _, rest = url.partition("://")
        _, _, path = rest.partition("/")
        return f"{scheme}://{self.host}:{self.port}/{path}"

    def _serve(self, sock: socket.socket) -> socket.socket | None:
        secured = self._context.wrap_socket(sock, server_side=True)  # handshake, within _IO_TIMEOUT
        self.handshakes += 1
        upstream = socket.create_connection(("127.0.0.1", self._upstream_port), timeout=_IO_TIMEOUT)
        try:
            _pipe(secured, upstream, self._stop_r)
        finally:
            _close(secured, upstream)
        return None


def cause_chain(error: BaseException) -> str:
    """Every message in ``error``'s cause/context chain, joined (for asserting on a root cause)."""
    parts: list[str] = []
    seen: BaseException | None = error
    while seen is not None and len(parts) < 10:
        parts.append(f"{type(seen).__name__}: {seen}")
        seen = seen.__cause__ or seen.__context__
    return " <- ".join(parts)
