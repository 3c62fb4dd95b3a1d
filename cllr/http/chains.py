"""Incomplete TLS chains completed as browsers do: the missing intermediate fetched from the
server certificate's Authority Information Access (AIA) "CA Issuers" URL. Verification is never turned off.

Many council servers send only their own certificate, without the intermediate that
issued it, so OpenSSL fails the handshake with "unable to get local issuer certificate"
(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY). Only then, and only for that error:

1. The server's certificate is read by a second handshake that does not verify, through
   the same checked-address backend as every connection; it is used to read the
   certificate and nothing else: no request is sent on it and it is closed at once.
2. Its CA Issuers URLs (http or https, at most three) are fetched through the Fetcher
   (politeness slots, public addresses, size cap, retries; no robots.txt, a certificate
   repository is not a site we crawl). DER, PEM and PKCS#7 (``.p7c``) bodies are read.
   What a URL gave is kept in memory for the run, keyed by the URL, failures too.
3. A fetched certificate is accepted as the issuer of the certificate below it only if
   (see :func:`issuer_problem`): its subject equals that certificate's issuer name; that
   certificate's signature verifies with its public key; it is a CA (basic constraints
   ``cA`` true, key usage, if present, allowing certificate signing, a path length
   constraint, if present, allowing the CA certificates below it); and it is within its
   validity dates now.
4. The fetched chain must reach a root of the host's trust store within three fetched
   certificates: the last one must be issued by a self-issued certificate of that store
   (``SSLContext.get_ca_certs``: certifi, or what the host's trust store loaded from
   files) by the same checks as in 3 (name, signature, CA, dates). Otherwise nothing is
   added and the fetch fails with the reason.
5. Only then are the fetched certificates added to a copy of the host's trust store, and
   the request is retried on it, with verification and host-name checking on as always.
   OpenSSL verifies the whole chain again in that handshake. Certificates added to a
   trust store would be trust anchors by themselves under OpenSSL's partial-chain flag
   (Python 3.13's default contexts set it): :func:`with_intermediates` clears the flag,
   so each chain must still end at a self-signed root that was already trusted, and an
   added intermediate is a building block of chains, never a trust anchor.

A server whose certificate names no CA Issuers URL fails with the ordinary verification
error. The per-council CA bundle (``council_overrides.csv``) remains the last resort.
"""

from __future__ import annotations

import datetime
import logging
import ssl
import threading
import warnings
from collections.abc import Callable
from contextvars import ContextVar

import httpcore
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import AuthorityInformationAccessOID

from cllr.http.addresses import GuardedBackend

log = logging.getLogger("cllr.http")

MISSING_ISSUER = 20  # X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "unable to get local issuer certificate"
MAX_FETCHED = 3  # certificates fetched up from the server's before a trusted root must be reached
MAX_URLS = 3  # CA Issuers URLs tried per certificate
ACCEPT = "application/pkix-cert, application/x-x509-ca-cert, application/pkcs7-mime, */*;q=0.5"

_COMPLETING: ContextVar[bool] = ContextVar("cllr_http_completing", default=False)


class ChainError(Exception):
    """A chain that could not be completed honestly; the message says which check failed."""


def missing_issuer(exc: BaseException) -> bool:
    """True if the handshake failed only for want of the issuer of a certificate the server sent."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen.verify_code == MISSING_ISSUER
        seen = seen.__cause__ or seen.__context__
    return False


def with_intermediates(context: ssl.SSLContext, certificates: list[x509.Certificate]) -> ssl.SSLContext:
    """``context`` (verifying, checking host names) with ``certificates`` added as chain building blocks only."""
    if context.verify_mode != ssl.CERT_REQUIRED or not context.check_hostname:
        raise ValueError("chains are completed only for a context that verifies certificates and host names")
    context.load_verify_locations(
        cadata="".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in certificates)
    )
    # Without partial chains, OpenSSL trusts a chain only if it ends at a self-signed
    # certificate of the store: an intermediate added here cannot be an anchor by itself.
    context.verify_flags &= ~ssl.VERIFY_X509_PARTIAL_CHAIN
    return context


def parse_certificates(data: bytes) -> list[x509.Certificate]:
    """The certificates of a CA Issuers body: DER or PEM, a PKCS#7 bundle (``.p7c``) in either."""
    try:
        if b"-----BEGIN PKCS7-----" in data:
            return pkcs7.load_pem_pkcs7_certificates(data)
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificates(data)
        try:
            return [x509.load_der_x509_certificate(data)]
        except ValueError:
            return pkcs7.load_der_pkcs7_certificates(data)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ChainError("not a certificate (DER, PEM or PKCS#7)") from None


def issuer_urls(certificate: x509.Certificate) -> list[str]:
    """The http(s) CA Issuers URLs of a certificate's Authority Information Access, in its order."""
    try:
        access = certificate.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except (x509.ExtensionNotFound, ValueError):
        return []
    return [
        d.access_location.value
        for d in access
        if d.access_method == AuthorityInformationAccessOID.CA_ISSUERS
        and isinstance(d.access_location, x509.UniformResourceIdentifier)
        and d.access_location.value.lower().startswith(("http://", "https://"))
    ][:MAX_URLS]


def issuer_problem(
    certificate: x509.Certificate, issuer: x509.Certificate, below: int, now: datetime.datetime
) -> str | None:
    """Why ``issuer`` did not issue ``certificate``, or None if it did.

    ``below``: the CA certificates between ``issuer`` and the server's certificate, for
    its path length constraint.
    """
    if issuer.subject != certificate.issuer:
        return f"its subject is {_name(issuer.subject)}, not {_name(certificate.issuer)}"
    try:
        certificate.verify_directly_issued_by(issuer)
    except InvalidSignature:
        return "the signature does not verify with its public key"
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        return f"the signature cannot be checked ({exc})"
    try:
        constraints = issuer.extensions.get_extension_for_class(x509.BasicConstraints).value
    except (x509.ExtensionNotFound, ValueError):
        return "it is not a CA certificate (no basic constraints)"
    if not constraints.ca:
        return "it is not a CA certificate"
    if constraints.path_length is not None and constraints.path_length < below:
        return f"its path length constraint ({constraints.path_length}) is exceeded"
    try:
        usage = issuer.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    except ValueError:
        return "its key usage cannot be read"
    if usage is not None and not usage.key_cert_sign:
        return "its key usage does not allow signing certificates"
    if not issuer.not_valid_before_utc <= now <= issuer.not_valid_after_utc:
        return f"it is valid only from {issuer.not_valid_before_utc:%Y-%m-%d} to {issuer.not_valid_after_utc:%Y-%m-%d}"
    return None


class Chains:
    """Completes chains for the Fetcher; thread-safe. What each URL gave is kept for the run."""

    def __init__(
        self,
        fetch: Callable[[str], bytes],
        trust: Callable[[str | None], ssl.SSLContext],
        backend: GuardedBackend,
        timeout: float,
    ):
        """``fetch(url)``: a body through the Fetcher, raising :class:`ChainError`; ``trust(bundle)``:
        a new copy of the trust store of a host with that CA bundle (None: the default)."""
        self._fetch = fetch
        self._trust = trust
        self._backend = backend
        self._timeout = timeout
        self._fetched: dict[str, list[x509.Certificate] | str] = {}  # URL → certificates, or why not
        self._roots: dict[str | None, dict[x509.Name, list[x509.Certificate]]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def complete(self, name: str, address: str, port: int, bundle: str | None) -> list[x509.Certificate] | None:
        """The intermediates that complete the chain of the server for ``name`` at ``address``:``port``.

        None if its certificate names no CA Issuers URL (the ordinary error stands), or
        while another chain is being completed (an https CA Issuers URL of its own);
        :class:`ChainError` if a chain to a trusted root cannot be built and checked.
        """
        if _COMPLETING.get():
            return None
        token = _COMPLETING.set(True)
        try:
            try:
                leaf = x509.load_der_x509_certificate(self._read_leaf(name, address, port))
            except ValueError:
                raise ChainError("the server's certificate cannot be read") from None
            if not issuer_urls(leaf):
                return None
            chain = self._chain(leaf, self._roots_of(bundle))
        finally:
            _COMPLETING.reset(token)
        log.info("completed the TLS chain of %s with %s", name, ", ".join(_name(c.subject) for c in chain))
        return chain

    def _chain(self, leaf: x509.Certificate, roots: dict[x509.Name, list[x509.Certificate]]) -> list[x509.Certificate]:
        now = datetime.datetime.now(datetime.UTC)
        chain: list[x509.Certificate] = []
        certificate = leaf
        while len(chain) < MAX_FETCHED:
            urls = issuer_urls(certificate)
            if not urls:
                raise ChainError(
                    f"{_name(certificate.subject)} does not chain to a trusted root and names no issuer URL"
                )
            certificate = self._issuer(certificate, urls, len(chain), now)
            chain.append(certificate)
            if any(
                issuer_problem(certificate, root, len(chain), now) is None for root in roots.get(certificate.issuer, ())
            ):
                return chain
            if certificate.subject == certificate.issuer:
                raise ChainError(
                    f"the chain ends at {_name(certificate.subject)}, which does not chain to a trusted root"
                )
        raise ChainError(f"the chain does not chain to a trusted root within {MAX_FETCHED} fetched certificates")

    def _issuer(self, certificate: x509.Certificate, urls: list[str], below: int, now) -> x509.Certificate:
        """The certificate from one of ``urls`` that passes the checks as ``certificate``'s issuer."""
        problems = []
        for url in urls:
            got = self._certificates(url)
            if isinstance(got, str):
                problems.append(got)
                continue
            for candidate in got:
                problem = issuer_problem(certificate, candidate, below, now)
                if problem is None:
                    return candidate
                problems.append(
                    f"the certificate at {url} is not the issuer of {_name(certificate.subject)}: {problem}"
                )
        raise ChainError("; ".join(problems))

    def _certificates(self, url: str) -> list[x509.Certificate] | str:
        """What ``url`` gave in this run: its certificates, or why there are none. Fetched once."""
        with self._lock:
            lock = self._locks.setdefault(url, threading.Lock())
        with lock:
            if url not in self._fetched:
                try:
                    self._fetched[url] = parse_certificates(self._fetch(url))
                except ChainError as exc:
                    self._fetched[url] = f"{url}: {exc}"
            return self._fetched[url]

    def _roots_of(self, bundle: str | None) -> dict[x509.Name, list[x509.Certificate]]:
        """The self-issued certificates of a host's trust store, by subject."""
        with self._lock:
            if bundle not in self._roots:
                roots: dict[x509.Name, list[x509.Certificate]] = {}
                for der in self._trust(bundle).get_ca_certs(binary_form=True):
                    try:
                        with warnings.catch_warnings():  # a few old roots break RFC 5280 (a zero serial number)
                            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
                            root = x509.load_der_x509_certificate(der)
                    except ValueError:
                        continue
                    if root.subject == root.issuer:
                        roots.setdefault(root.subject, []).append(root)
                self._roots[bundle] = roots
            return self._roots[bundle]

    def _read_leaf(self, name: str, address: str, port: int) -> bytes:
        """The server's own certificate (DER), from a handshake that only reads it: no request is sent."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        try:
            stream = self._backend.connect_tcp(address, port, timeout=self._timeout)
            try:
                stream = stream.start_tls(context, server_hostname=name, timeout=self._timeout)
                der = stream.get_extra_info("socket").getpeercert(binary_form=True)
            finally:
                stream.close()
        except (httpcore.ConnectError, httpcore.ConnectTimeout, OSError) as exc:
            raise ChainError(f"the server's certificate could not be read ({type(exc).__name__})") from None
        if not der:
            raise ChainError("the server sent no certificate")
        return der


def _name(name: x509.Name) -> str:
    return (name.rfc4514_string() or "(empty name)")[:120]
