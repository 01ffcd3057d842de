"""X-Forwarded-For is believed only from our own proxies, and read from the right."""
from __future__ import annotations

import pytest

from web.client_address import client_ip

PROXIES = ["10.0.0.0/8", "192.0.2.10", "2001:db8:1::/48"]


@pytest.mark.parametrize(("peer", "xff", "expected"), [
    # no proxy in front: the peer is the client
    ("203.0.113.7", None, "203.0.113.7"),
    # forged header from an untrusted peer: ignored
    ("203.0.113.7", "1.2.3.4", "203.0.113.7"),
    ("203.0.113.7", "1.2.3.4, 10.0.0.5", "203.0.113.7"),
    # our proxy says who connected to it
    ("10.0.0.5", "198.51.100.20", "198.51.100.20"),
    # a client that forges a first entry: our proxy appended the real address on the right
    ("10.0.0.5", "1.2.3.4, 198.51.100.20", "198.51.100.20"),
    # two of our proxies in a row are skipped
    ("10.0.0.5", "1.2.3.4, 198.51.100.20, 192.0.2.10, 10.1.2.3", "198.51.100.20"),
    # invalid entries are ignored
    ("10.0.0.5", "198.51.100.20, unknown, ", "198.51.100.20"),
    ("10.0.0.5", "garbage", "10.0.0.5"),
    ("10.0.0.5", "", "10.0.0.5"),
    # addresses written with ports or brackets
    ("10.0.0.5", "198.51.100.20:4711", "198.51.100.20"),
    ("10.0.0.5", "[2001:db8:9::1]:443", "2001:db8:9::1"),
    # IPv6 proxies and clients, canonical form
    ("2001:db8:1::2", "2001:0db8:0009:0000:0000:0000:0000:0001", "2001:db8:9::1"),
    ("2001:db8:1::2", "198.51.100.20, 2001:db8:1::3", "198.51.100.20"),
    # an IPv4 peer seen through a dual-stack socket still matches the IPv4 proxy list
    ("::ffff:10.0.0.5", "198.51.100.20", "198.51.100.20"),
    ("::ffff:203.0.113.7", "1.2.3.4", "203.0.113.7"),
    # every hop is ours: the leftmost one is the best we know
    ("10.0.0.5", "10.9.9.9, 10.0.0.6", "10.9.9.9"),
])
def test_client_ip(peer, xff, expected):
    assert client_ip(peer, xff, PROXIES) == expected


def test_nothing_is_trusted_without_configured_proxies():
    assert client_ip("10.0.0.5", "1.2.3.4", []) == "10.0.0.5"


def test_a_bad_proxy_entry_names_the_setting():
    with pytest.raises(ValueError, match="SONGDA_TRUSTED_PROXIES"):
        client_ip("10.0.0.5", "1.2.3.4", ["10.0.0.0/8", "not-a-network"])
