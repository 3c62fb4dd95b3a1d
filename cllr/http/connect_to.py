"""``connect_to``: the demo web's and the tests' way to reach a local web under real host names.

Only a request for a mapped name is sent to its local target, and only such a request may
connect to a local address at all (``addresses.GuardedBackend`` asks whether the connection
is made ``for_mapped_name``): a page that links to the target's address itself, or to another
name that resolves to it, is refused like any other non-public address.
"""

from __future__ import annotations

from collections.abc import Iterable

import httpx

from cllr.http.addresses import UnsafeAddress, for_mapped_name


def allowed_targets(mapping: dict[str, str]) -> list[tuple[str, int]]:
    """The local addresses and ports that ``connect_to`` may reach."""
    return [_target(target)[1:] for target in mapping.values()]


class ConnectTo(httpx.BaseTransport):
    """Send requests for mapped host names to a local address over plain HTTP.

    The URL and the Host header keep the real name; only the connection changes, like
    curl's ``--connect-to``. The demo web and the tests use this; nothing else should.
    """

    def __init__(self, inner: httpx.BaseTransport, mapping: dict[str, str]):
        self._inner = inner
        self._mapping = mapping
        self._targets: Iterable[tuple[str, int]] = set(allowed_targets(mapping))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        name = request.url.host.lower()
        target = self._mapping.get(name) or self._wildcard(name)
        if not target and (name, request.url.port) in self._targets:  # a pooled connection must not serve it
            raise UnsafeAddress(f"{name}:{request.url.port} is reached only through a mapped host name")
        if target and request.url.scheme in ("http", "https"):
            scheme, host, port = _target(target)
            extensions = dict(request.extensions)
            if scheme == "https":  # TLS to the local address, verified against the real name
                extensions["sni_hostname"] = name
            # A new request, so the client's (and the response's) URL keeps the real name.
            request = httpx.Request(
                request.method,
                request.url.copy_with(scheme=scheme, host=host, port=port),
                headers=request.headers,
                stream=request.stream,
                extensions=extensions,
            )
        with for_mapped_name(bool(target)):
            return self._inner.handle_request(request)

    def _wildcard(self, name: str) -> str | None:
        """The target of the longest ``*.domain`` pattern that ``name`` falls under, if any."""
        domains = [p for p in self._mapping if p.startswith("*.") and name.endswith(p[1:])]
        return self._mapping[max(domains, key=len)] if domains else None

    def close(self) -> None:
        self._inner.close()


def _target(value: str) -> tuple[str, str, int]:
    """A ``connect_to`` target: ``address:port`` (plain HTTP) or ``https://address:port``."""
    scheme, _, rest = value.rpartition("://")
    host, _, port = rest.rpartition(":")
    return scheme or "http", host, int(port)
