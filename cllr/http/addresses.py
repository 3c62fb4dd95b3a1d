"""Only public addresses: every connection, on every redirect hop, goes to a checked address.

The host name is resolved once, every address it resolves to must be globally routable
(no loopback, private ranges, link-local including 169.254.169.254, CGNAT, multicast,
reserved, IPv6 local ranges, or IPv4-mapped forms of those), and the connection is made
to the address that was checked, so a second DNS answer cannot swap in another. TLS
still verifies the certificate against the host name. The only exception is an
explicit ``connect_to`` target (the demo web and tests), allowed by address and port, and
only for a connection made for a name it maps.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import httpcore

from cllr.http.deadline import DeadlineStream, clamp


class UnsafeAddress(Exception):
    """A connection that would go somewhere other than the public internet."""


_mapped: ContextVar[bool] = ContextVar("for_mapped_name", default=False)


@contextmanager
def for_mapped_name(mapped: bool) -> Iterator[None]:
    """Connections made inside are for a name ``connect_to`` maps (``connect_to.ConnectTo``), or not:
    only those may reach its local targets."""
    token = _mapped.set(mapped)
    try:
        yield
    finally:
        _mapped.reset(token)


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and (ip.ipv4_mapped or ip.sixtofour):
        ip = ip.ipv4_mapped or ip.sixtofour
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's network backend with the address check in front of every TCP connection,
    and the fetch's deadline over every socket operation (``deadline.py``)."""

    def __init__(self, allowed: Iterable[tuple[str, int]] = (), resolve: Callable = socket.getaddrinfo):
        self._allowed = set(allowed)
        self._resolve = resolve

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        address = self.checked_address(host, port)
        stream = super().connect_tcp(
            address, port, clamp(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return DeadlineStream(stream)  # every read and write held to the fetch's deadline

    def checked_address(self, host: str, port: int) -> str:
        try:
            infos = self._resolve(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            raise UnsafeAddress(f"{host} does not resolve") from None
        addresses = [info[4][0] for info in infos]
        if not addresses:
            raise UnsafeAddress(f"{host} does not resolve")
        for address in addresses:
            if not is_public(address) and not ((address, port) in self._allowed and _mapped.get()):
                raise UnsafeAddress(f"{host} resolves to {address}, which is not a public address")
        return addresses[0]
