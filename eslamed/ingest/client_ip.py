"""Which address the visitor really has.

Behind Cloudflare or a reverse proxy the peer is the proxy; its `CF-Connecting-IP` or
`X-Forwarded-For` is believed only when the peer is one of the configured trusted proxies,
otherwise anyone could claim any city.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=16384)
def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Cached: parsing was ~10% of a /api/track request's CPU, and the same few
    proxy and visitor addresses come back again and again. Address objects are immutable."""
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _trusted(addr: ipaddress.IPv4Address | ipaddress.IPv6Address, proxies: tuple[Network, ...]) -> bool:
    return any(addr in net for net in proxies)


@lru_cache(maxsize=16384)
def client_ip(
    peer: str, cf_connecting_ip: str | None, forwarded_for: str | None, proxies: tuple[Network, ...]
) -> str:
    """Walk X-Forwarded-For from the right, skipping trusted hops; the first untrusted hop is the client.
    Cached: a visitor's beacons come from the same address through the same proxy."""
    peer_addr = _parse(peer)
    if peer_addr is None:
        return ""
    if not proxies or not _trusted(peer_addr, proxies):
        return str(peer_addr)
    if cf_connecting_ip:
        cf = _parse(cf_connecting_ip)
        if cf is not None:
            return str(cf)
    if forwarded_for:
        for hop in reversed(forwarded_for.split(",")):
            addr = _parse(hop)
            if addr is None:
                break
            if not _trusted(addr, proxies):
                return str(addr)
    return str(peer_addr)
