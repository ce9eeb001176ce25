"""The throw-away TLS certificate behind an emulator's ``tls=True``.

:class:`SelfSignedCertificate` makes an ECDSA P-256 key and a self-signed certificate
for ``127.0.0.1``, ``localhost`` and the emulator's host with the ``cryptography``
package. The key never reaches a lasting file: :meth:`SelfSignedCertificate.server_context`
writes it to a private temporary directory only for ``load_cert_chain`` (which reads
files) and removes the directory before returning.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["SelfSignedCertificate"]

_VALIDITY = dt.timedelta(days=1)


class SelfSignedCertificate:
    """A key and a self-signed server certificate, valid from a minute ago for one day.

    The certificate is its own issuer and is marked as a CA (path length 0), so a client
    context can trust it directly as its only anchor, as :meth:`client_context` does.

    Args:
        host: The emulator's bound host; added to the subject alternative names (as an IP
            address when it is one) besides ``127.0.0.1`` and ``localhost``.

    Attributes:
        certificate_pem: The certificate, PEM text.
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        now = dt.datetime.now(dt.UTC)
        self._key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "exwire emulator")])
        alternative_names: list[x509.GeneralName] = [
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            if host and host != "localhost":
                alternative_names.append(x509.DNSName(host))
        else:
            if str(address) != "127.0.0.1":
                alternative_names.append(x509.IPAddress(address))
        public_key = self._key.public_key()
        certificate = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(public_key).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=1)).not_valid_after(now + _VALIDITY)
            .add_extension(x509.SubjectAlternativeName(alternative_names), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=False,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key), critical=False)
            .sign(self._key, hashes.SHA256())
        )
        self.certificate_pem = certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")

    def server_context(self) -> ssl.SSLContext:
        """A server-side context (TLS 1.2 or later) presenting this certificate."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        key_pem = self._key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption())
        with tempfile.TemporaryDirectory(prefix="exwire-emulator-tls-") as directory:
            cert_path = os.path.join(directory, "cert.pem")
            key_path = os.path.join(directory, "key.pem")
            with open(os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as file:
                file.write(key_pem)
            with open(cert_path, "w", encoding="ascii") as file:
                file.write(self.certificate_pem)
            context.load_cert_chain(cert_path, key_path)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client-side context that trusts this certificate only, host names checked."""
        return ssl.create_default_context(cadata=self.certificate_pem)
