"""TLS verification is always on; a council's broken chain is an explicit, recorded exception (S-22)."""

from __future__ import annotations

import datetime
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from cllr.config import Settings
from cllr.http import Fetcher, FetchError
from cllr.pipeline.overrides import ca_bundles

from .faults import FaultServer

HOST = "democracy.selfsigned.example"


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    """A private CA (as a council's odd chain would have) and a server certificate it signed."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Test council CA"))
        .issuer_name(_name("Test council CA"))
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name(HOST))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(2)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "server.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (folder / "server.key").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return folder


@pytest.fixture
def server(certificates):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates / "server.pem", certificates / "server.key")
    with FaultServer(tls=context) as running:
        yield running


def settings_for(server) -> Settings:
    return Settings(request_delay=0, retries=3, backoff_base=0.001, connect_to={HOST: f"https://{server.address}"})


def test_an_untrusted_certificate_fails_and_is_not_retried(server):
    with Fetcher(settings_for(server)) as f, pytest.raises(FetchError, match="TLS certificate verification failed"):
        f.get(f"https://{HOST}/ok", robots=False)


def test_a_recorded_exception_trusts_that_councils_extra_ca_only(server, certificates, tmp_path):
    overrides = tmp_path / "overrides.csv"
    overrides.write_text(f"code,request_delay,ca_bundle,note\nXSS,,{certificates / 'ca.pem'},chain not served\n")
    registry = [{"code": "XSS", "roster_url": f"https://{HOST}"}, {"code": "XOK", "roster_url": "https://ok.example"}]
    bundles = ca_bundles(registry, overrides)
    assert bundles == {HOST: str(certificates / "ca.pem")}
    with Fetcher(settings_for(server), ca_bundles=bundles) as f:
        assert f.get(f"https://{HOST}/ok", robots=False).content == b"ok"
