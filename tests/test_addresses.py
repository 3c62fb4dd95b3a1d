"""Connections go only to checked public addresses (S-17)."""

import re
import socket

import pytest

from cllr.http.addresses import GuardedBackend, UnsafeAddress, for_mapped_name, is_public


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("::1", False),
        ("fd00::1", False),
        ("fe80::1%eth0", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("2002:7f00:1::", False),
    ],
)
def test_what_counts_as_public(address, public):
    assert is_public(address) is public


def resolver(*answers):
    """A stub resolver returning each answer in turn: the first call, then the next..."""
    calls = []

    def resolve(host, port, type=0):
        calls.append(host)
        answer = answers[min(len(calls) - 1, len(answers) - 1)]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in answer]

    return resolve, calls


def test_the_checked_address_is_the_one_connected_to():
    resolve, calls = resolver(["93.184.215.14"], ["127.0.0.1"])  # a rebinding second answer
    backend = GuardedBackend(resolve=resolve)
    assert backend.checked_address("rebind.example", 80) == "93.184.215.14"
    assert calls == ["rebind.example"]  # resolved once: there is no second lookup to rebind


def test_any_non_public_answer_refuses_the_host():
    resolve, _ = resolver(["93.184.215.14", "10.0.0.5"])
    with pytest.raises(UnsafeAddress, match=re.escape("10.0.0.5")):
        GuardedBackend(resolve=resolve).checked_address("mixed.example", 443)


def test_connect_to_targets_are_allowed_by_address_and_port_and_for_a_mapped_name_only():
    resolve, _ = resolver(["127.0.0.1"])
    backend = GuardedBackend(allowed=[("127.0.0.1", 8123)], resolve=resolve)
    with for_mapped_name(True):
        assert backend.checked_address("127.0.0.1", 8123) == "127.0.0.1"
        with pytest.raises(UnsafeAddress):
            backend.checked_address("127.0.0.1", 22)
    with pytest.raises(UnsafeAddress):  # the right address and port, for a name connect_to does not map
        backend.checked_address("127.0.0.1", 8123)


def test_names_that_do_not_resolve_are_refused():
    def fail(*args, **kwargs):
        raise socket.gaierror("no such host")

    with pytest.raises(UnsafeAddress, match="does not resolve"):
        GuardedBackend(resolve=fail).checked_address("nowhere.invalid", 443)
