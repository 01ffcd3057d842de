"""The client's address for limits and audit, believing X-Forwarded-For only from our proxies.

Anyone can send ``X-Forwarded-For: 1.2.3.4``; only the entries appended by proxies we run
are facts. So the header counts only when the TCP peer is a trusted proxy, and then it is
read from the right (the end our proxies write), skipping our proxies, up to the first
address we do not run: that is the client as our outermost proxy saw it.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from functools import lru_cache

__all__ = ["client_ip"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_ip(peer: str, forwarded_for: str | None, trusted_proxies: Sequence[str]) -> str:
    """The client address, canonical (IPv4-mapped IPv6 as IPv4, IPv6 compressed)."""
    networks = _networks(tuple(trusted_proxies))
    peer_ip = _parse(peer)
    if peer_ip is None:
        return peer.strip()
    if not forwarded_for or not _trusted(peer_ip, networks):
        return str(peer_ip)
    hops = [ip for ip in map(_parse, forwarded_for.split(",")) if ip is not None]
    for ip in reversed(hops):
        if not _trusted(ip, networks):
            return str(ip)
    # Every hop is one of ours: the request started inside our own network.
    return str(hops[0]) if hops else str(peer_ip)


def _trusted(ip: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    return any(ip.version == net.version and ip in net for net in networks)


def _parse(entry: str) -> IPAddress | None:
    """One address as proxies write it: ``1.2.3.4``, ``1.2.3.4:5678``, ``[2001:db8::1]:443``."""
    text = entry.strip().strip('"')
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:  # IPv4 with a port; bare IPv6 has two colons or more
        text = text.split(":", 1)[0]
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone (fe80::1%eth0)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


@lru_cache(maxsize=8)
def _networks(trusted_proxies: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    networks = []
    for entry in trusted_proxies:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(
                f"SONGDA_TRUSTED_PROXIES 中的 {entry!r} 不是 IP 地址或 CIDR 网段") from exc
    return tuple(networks)
