"""The suite cannot reach the network beyond loopback."""

import socket

import httpx
import pytest
from pytest_socket import SocketConnectBlockedError


def test_connecting_beyond_loopback_fails_the_test():
    with pytest.raises(SocketConnectBlockedError):
        socket.create_connection(("93.184.215.14", 80), timeout=1)


def test_http_clients_cannot_reach_public_hosts():
    with pytest.raises(SocketConnectBlockedError):
        httpx.get("http://93.184.215.14/", timeout=1)


def test_loopback_is_allowed(demo_web):
    host, port = demo_web.address.split(":")
    with socket.create_connection((host, int(port)), timeout=1):
        pass
