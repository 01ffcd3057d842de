"""Which callback URLs we will POST to. A webhook is a request our servers make on a client's
behalf, so an unchecked URL would let any API key probe our own network (SSRF)."""
from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver
from aiohttp.resolver import ThreadedResolver

from core.errors import ValidationFailed

MAX_URL_LENGTH = 500  # ApiClient.webhook_url


def _refused(message: str) -> ValidationFailed:
    return ValidationFailed(message, code="webhook_url_refused")


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052 well-known prefix
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated ::a.b.c.d (RFC 4291)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address] | None:
    """The IPv4 addresses a transition address reaches, or None for a plain IPv6 address.

    ``2002:7f00:1::`` (6to4), ``64:ff9b::7f00:1`` (NAT64), ``::ffff:127.0.0.1`` (mapped) and
    ``::127.0.0.1`` (compatible) all lead to 127.0.0.1 on a host that routes them."""
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return list(ip.teredo)  # (server, client)
    if ip in _NAT64 or (ip in _IPV4_COMPATIBLE and int(ip) > 1):  # not :: nor ::1
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    return None


def _is_internal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            # Judged by where they lead; a Teredo tunnel is never a court's endpoint either.
            return ip.teredo is not None or any(_is_internal(v4) for v4 in embedded)
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
            or ip.is_reserved or ip.is_unspecified or not ip.is_global)


def _host(url: str, allow_private: bool) -> tuple[str, int]:
    if len(url) > MAX_URL_LENGTH:
        raise _refused(f"回调地址不能超过 {MAX_URL_LENGTH} 个字符")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _refused("回调地址格式不正确") from exc
    if parts.scheme not in ("http", "https"):
        raise _refused("回调地址只能使用 http 或 https")
    if parts.scheme != "https" and not allow_private:
        # The payload names parties and receipts: it must not cross the network in clear text.
        raise _refused("回调地址必须使用 https")
    if not parts.hostname:
        raise _refused("回调地址缺少主机名")
    if parts.username or parts.password:
        raise _refused("回调地址不能包含用户名或密码")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def _check_addresses(host: str, addresses: list[str], allow_private: bool) -> None:
    if allow_private:
        return
    for address in addresses:
        if _is_internal(ipaddress.ip_address(address.split("%", 1)[0])):
            raise _refused(f"回调地址 {host} 指向内网、回环或保留地址，不允许")


def _literal(host: str) -> list[str] | None:
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        return None


def check_webhook_url(url: str, *, allow_private: bool) -> str:
    """Return ``url`` if we may POST to it; raise ValidationFailed otherwise. Resolves the host
    (blocking): use ``check_webhook_url_async`` on the event loop."""
    host, port = _host(url, allow_private)
    addresses = _literal(host)
    if addresses is None and not allow_private:
        try:
            addresses = [info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)]
        except socket.gaierror as exc:
            raise _refused(f"无法解析回调地址的主机名 {host}") from exc
    _check_addresses(host, addresses or [], allow_private)
    return url


async def check_webhook_url_async(url: str, *, allow_private: bool) -> str:
    host, port = _host(url, allow_private)
    addresses = _literal(host)
    if addresses is None and not allow_private:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
        except socket.gaierror as exc:
            raise _refused(f"无法解析回调地址的主机名 {host}") from exc
        addresses = [info[4][0] for info in infos]
    _check_addresses(host, addresses or [], allow_private)
    return url


class PolicyResolver(AbstractResolver):
    """DNS for the relay's connections, with the same rule as the URL check.

    The URL is checked when it is set and again before each send, but the connection resolves
    the name once more: a host that answered with a public address for the check could answer
    127.0.0.1 a moment later (DNS rebinding). Filtering the addresses the connection itself
    uses closes that gap. IP literals never reach a resolver; the URL check covers them.
    """

    def __init__(self, *, allow_private: bool) -> None:
        self._allow_private = allow_private
        self._inner = ThreadedResolver()

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET):
        infos = await self._inner.resolve(host, port, family)
        if self._allow_private:
            return infos
        public = [info for info in infos if not _is_internal(ipaddress.ip_address(info["host"].split("%", 1)[0]))]
        if not public:
            raise OSError(f"webhook host {host} resolves only to internal addresses")
        return public

    async def close(self) -> None:
        await self._inner.close()
