"""Which address a request comes from: the peer, or what a trusted proxy vouches for."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hanano.access.login_limit import address_group
from hanano.settings import Settings
from hanano.web.client_address import forwarded_client, parse_networks

TRUSTED = parse_networks("10.0.0.0/8, 192.168.1.5, fd00::/8")


@pytest.mark.parametrize(
    ("peer", "headers", "client"),
    [
        # An untrusted peer is the client, whatever it claims (loopback included).
        ("203.0.113.9", ["198.51.100.1"], "203.0.113.9"),
        ("127.0.0.1", ["198.51.100.1"], "127.0.0.1"),
        ("testclient", ["198.51.100.1"], "testclient"),
        # A trusted proxy: the right-most hop that is not itself a trusted proxy.
        ("10.0.0.2", ["198.51.100.1"], "198.51.100.1"),
        ("10.0.0.2", ["1.2.3.4, 198.51.100.1, 10.9.9.9"], "198.51.100.1"),
        ("10.0.0.2", ["1.2.3.4", "198.51.100.1"], "198.51.100.1"),
        ("192.168.1.5", ["198.51.100.1:5123"], "198.51.100.1"),
        ("fd00::7", ["[2001:db8::1]:443"], "2001:db8::1"),
        ("::ffff:10.0.0.2", ["::ffff:198.51.100.1"], "198.51.100.1"),
        # Nothing forwarded, or only proxies: the farthest proxy.
        ("10.0.0.2", [], "10.0.0.2"),
        ("10.0.0.2", ["10.1.1.1, 10.2.2.2"], "10.1.1.1"),
        # A hop that is no address: nothing beyond it is believed.
        ("10.0.0.2", ["198.51.100.1, not-an-ip"], "10.0.0.2"),
        ("10.0.0.2", ["198.51.100.1, not-an-ip, 10.3.3.3"], "10.3.3.3"),
    ],
)
def test_forwarded_client(peer: str, headers: list[str], client: str) -> None:
    assert forwarded_client(peer, headers, TRUSTED) == client


def test_addresses_are_counted_by_subscriber() -> None:
    assert address_group("198.51.100.1") == "198.51.100.1"
    assert address_group("2001:db8:1:2:abcd::1") == "2001:db8:1:2::/64"
    assert address_group("::ffff:198.51.100.1") == "198.51.100.1"
    assert address_group("testclient") == "testclient"


def test_a_trusted_proxy_that_is_no_address_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="trusted_proxies"):
        Settings(trusted_proxies="10.0.0.0/8, proxy.example")
    assert Settings(trusted_proxies=" 10.0.0.0/8 , ::1 ").trusted_proxies
