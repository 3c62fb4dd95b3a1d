"""A server that sends only its own certificate has its chain completed from the certificate's
CA Issuers URL, as browsers do, with verification on throughout (S-23, cllr/http/chains.py).

A test CA (root, intermediates, leaves) is made here; HTTPS servers on 127.0.0.1 send only
their leaf, and a plain-HTTP server plays the CA's certificate repository. The Fetcher
trusts the test root through the per-council CA bundle (the root only, never an
intermediate), and reaches the servers under their real-looking names through ``connect_to``.
"""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from cllr.config import Settings
from cllr.http import Fetcher, FetchError
from cllr.http.chains import with_intermediates

from .faults import FaultServer

CA_HOST = "ca.example"  # the CA's certificate repository, plain HTTP as real ones are
AIA = f"http://{CA_HOST}/intermediate.crt"
NOW = datetime.datetime.now(datetime.UTC)


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


class Authority:
    """A certificate and its key, issuing others."""

    def __init__(self, common: str, issuer: Authority | None = None, aia: str | None = None, path_length=None):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.certificate = _issue(
            _name(common),
            self.key,
            issuer,
            [
                (x509.BasicConstraints(ca=True, path_length=path_length), True),
                (_key_usage(ca=True), True),
                *_access(aia),
            ],
        )

    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)


def _key_usage(ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _access(url: str | None) -> list:
    if url is None:
        return []
    method = AuthorityInformationAccessOID.CA_ISSUERS
    return [
        (x509.AuthorityInformationAccess([x509.AccessDescription(method, x509.UniformResourceIdentifier(url))]), False)
    ]


def _issue(subject: x509.Name, key, issuer: Authority | None, extensions: list) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - datetime.timedelta(days=1))
        .not_valid_after(NOW + datetime.timedelta(days=30))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key((issuer.key if issuer else key).public_key()),
            critical=False,
        )
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(issuer.key if issuer else key, hashes.SHA256())


def leaf(host: str, issuer: Authority, aia: str | None) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = _issue(
        _name(host),
        key,
        issuer,
        [
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (_key_usage(ca=False), True),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
            (x509.SubjectAlternativeName([x509.DNSName(host)]), False),
            *_access(aia),
        ],
    )
    return certificate, key


# host → (issuer, CA Issuers URL): every server sends its leaf and nothing else.
SERVERS = {
    "council.example": ("intermediate", AIA),
    "other.example": ("intermediate", AIA),  # the same issuer as council.example
    "wrong.example": ("intermediate", f"http://{CA_HOST}/other.crt"),  # names another CA's certificate
    "impostor.example": ("intermediate", f"http://{CA_HOST}/impostor.crt"),  # the issuer's name, another key
    "rogue.example": ("rogue", f"http://{CA_HOST}/rogue.crt"),  # a CA under a root nobody trusts
    "plain.example": ("intermediate", None),  # no CA Issuers URL at all
}


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    root = Authority("Test Root CA")
    rogue_root = Authority("Rogue Root CA")
    authorities = {
        "root": root,
        "intermediate": Authority("Test Intermediate CA", root, path_length=0),
        # Issued by the trusted root, so each would pass as "chains to a trusted root":
        # only the issuer checks tell them from the real issuer.
        "other": Authority("Other Intermediate CA", root, path_length=0),
        "impostor": Authority("Test Intermediate CA", root, path_length=0),
        "rogue": Authority("Rogue Intermediate CA", rogue_root, aia=f"http://{CA_HOST}/rogue-root.crt"),
        "rogue-root": rogue_root,
    }
    folder = tmp_path_factory.mktemp("pki")
    (folder / "root.pem").write_bytes(root.pem())  # the trust anchor: the root only
    for host, (issuer, aia) in SERVERS.items():
        certificate, key = leaf(host, authorities[issuer], aia)
        (folder / f"{host}.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        (folder / f"{host}.key").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    return folder, authorities


class Repository:
    """A CA's certificate repository over plain HTTP on 127.0.0.1: path → body; every request logged."""

    def __init__(self, files: dict[str, bytes]):
        self.files = files
        self.requests: list[tuple[str, str]] = []  # (path, User-Agent)
        repository = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                repository.requests.append((self.path, self.headers.get("User-Agent", "")))
                body = repository.files.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "application/pkix-cert")
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self._server.server_address[1]}"

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]

    def __enter__(self) -> Repository:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


def _leaf_only(folder, host: str) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / f"{host}.pem", folder / f"{host}.key")  # the leaf alone, no intermediate
    return context


class World:
    def __init__(self, folder, repository: Repository, servers: dict[str, FaultServer]):
        self.folder = folder
        self.repository = repository
        self.servers = servers

    def fetcher(self) -> Fetcher:
        connect_to = {host: f"https://{server.address}" for host, server in self.servers.items()}
        settings = Settings(
            request_delay=0, retries=3, backoff_base=0.001, connect_to={**connect_to, CA_HOST: self.repository.address}
        )
        return Fetcher(settings, ca_bundles={host: str(self.folder / "root.pem") for host in self.servers})


@pytest.fixture
def world(pki):
    folder, authorities = pki
    files = {f"/{name}.crt": authority.der() for name, authority in authorities.items() if name != "intermediate"}
    files["/intermediate.crt"] = authorities["intermediate"].der()
    with Repository(files) as repository:
        servers = {host: FaultServer(tls=_leaf_only(folder, host)) for host in SERVERS}
        for server in servers.values():
            server.__enter__()
        try:
            yield World(folder, repository, servers)
        finally:
            for server in servers.values():
                server.__exit__(None, None, None)


def _encoded(authority: Authority, form: str) -> bytes:
    if form == "der":
        return authority.der()
    if form == "pem":
        return authority.pem()
    return pkcs7.serialize_certificates([authority.certificate], serialization.Encoding.DER)  # a .p7c


@pytest.mark.parametrize("form", ["der", "pem", "p7c"])
def test_an_incomplete_chain_is_completed_from_the_ca_issuers_url(world, pki, form):
    world.repository.files["/intermediate.crt"] = _encoded(pki[1]["intermediate"], form)
    with world.fetcher() as f:
        assert f.get("https://council.example/ok").content == b"ok"  # robots.txt first, over the completed chain
    assert world.servers["council.example"].hits.count("/ok") == 1
    assert "/robots.txt" in world.servers["council.example"].hits
    # Fetched through the Fetcher (its one User-Agent), without asking the repository's robots.txt.
    assert world.repository.paths() == ["/intermediate.crt"]
    assert world.repository.requests[0][1].startswith("CouncillorsOnline/")


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("wrong.example", "its subject is CN=Other Intermediate CA, not CN=Test Intermediate CA"),
        ("impostor.example", "the signature does not verify with its public key"),
    ],
)
def test_a_certificate_that_is_not_the_issuer_is_refused_and_the_page_never_asked_for(world, host, why):
    with world.fetcher() as f, pytest.raises(FetchError) as caught:
        f.get(f"https://{host}/ok", robots=False)
    assert caught.value.reason.startswith("TLS certificate verification failed: ")
    assert f"is not the issuer of CN={host}: {why}" in caught.value.reason
    assert "/ok" not in world.servers[host].hits


def test_an_issuer_that_does_not_chain_to_a_trusted_root_is_refused(world):
    with world.fetcher() as f, pytest.raises(FetchError) as caught:
        f.get("https://rogue.example/ok", robots=False)
    assert "the chain ends at CN=Rogue Root CA, which does not chain to a trusted root" in caught.value.reason
    assert world.repository.paths() == ["/rogue.crt", "/rogue-root.crt"]
    assert "/ok" not in world.servers["rogue.example"].hits


def test_an_intermediate_is_fetched_once_and_reused_for_another_host_of_the_same_issuer(world):
    with world.fetcher() as f:
        assert f.get("https://council.example/ok", robots=False).content == b"ok"
        assert f.get("https://other.example/ok", robots=False).content == b"ok"
        assert f.get("https://council.example/ok", robots=False).content == b"ok"
    assert world.repository.paths() == ["/intermediate.crt"]


def test_a_certificate_without_a_ca_issuers_url_fails_with_the_ordinary_error(world):
    with world.fetcher() as f, pytest.raises(FetchError) as caught:
        f.get("https://plain.example/ok", robots=False)
    assert caught.value.reason == "TLS certificate verification failed"
    assert world.repository.requests == []
    assert "/ok" not in world.servers["plain.example"].hits


def _handshake(context: ssl.SSLContext, world, host: str) -> None:
    address, port = world.servers[host].address.split(":")
    with (
        socket.create_connection((address, int(port)), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=host),
    ):
        pass


def test_an_added_intermediate_is_never_a_trust_anchor_by_itself(world, pki):
    """OpenSSL's partial-chain flag (set by Python 3.13's default contexts) would make any
    certificate in the store an anchor: the completed context clears it."""
    folder, authorities = pki

    def trusting_the_root() -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=folder / "root.pem")
        context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
        return context

    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(with_intermediates(trusting_the_root(), [authorities["rogue"].certificate]), world, "rogue.example")
    _handshake(
        with_intermediates(trusting_the_root(), [authorities["intermediate"].certificate]), world, "council.example"
    )
