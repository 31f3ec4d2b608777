"""Which address the visitor really has.

Behind Cloudflare or a reverse proxy the peer is the proxy, and the headers naming the
visitor are believed only from whoever is known to write them:
- `CF-Connecting-IP` only when the peer itself is Cloudflare (CLOUDFLARE_PROXIES). Any other
  proxy (our Caddy) may pass the header on unchanged from the client, so from it the
  header says nothing.
- `X-Forwarded-For` only when the peer is a trusted proxy (TRUSTED_PROXIES), read from the
  right: each trusted proxy or Cloudflare hop appends the address it saw, so the right-most
  hop that is neither is the client; whatever the client itself wrote sits further left.
Anyone else could claim any address: another city, someone else's rate limit, the owner's
admin allow-list.
"""

from __future__ import annotations

import ipaddress

from eslamed.core.input_cache import cache_short_inputs

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_ADDRESS_CHARS = 64
MAX_CACHED_HEADERS_CHARS = 256


@cache_short_inputs(maxsize=16384, max_chars=MAX_ADDRESS_CHARS)
def _parse(value: str) -> Address | None:
    """Cached: parsing was ~10% of a /api/track request's CPU, and the same few
    proxy and visitor addresses come back again and again. Address objects are immutable.
    An IPv6 zone ("fe80::1%anything") names an interface of the sender's host, never a client:
    refused, so a header cannot make an address of any length that still matches its /64."""
    if "%" in value:
        return None
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _within(addr: Address, nets: tuple[Network, ...]) -> bool:
    return any(addr in net for net in nets)


@cache_short_inputs(maxsize=16384, max_chars=MAX_CACHED_HEADERS_CHARS)
def client_ip(
    peer: str,
    cf_connecting_ip: str | None,
    forwarded_for: str | None,
    proxies: tuple[Network, ...],
    cloudflare: tuple[Network, ...] = (),
) -> str:
    """Cached: a visitor's beacons come from the same address through the same proxy."""
    addr = _parse(peer)
    if addr is None:
        return ""
    if cf_connecting_ip and _within(addr, cloudflare):
        cf = _parse(cf_connecting_ip)
        if cf is not None:
            return str(cf)
    if not _within(addr, proxies) or not forwarded_for:
        return str(addr)
    for hop in reversed(forwarded_for.split(",")):
        hop_addr = _parse(hop)
        if hop_addr is None:
            break
        addr = hop_addr
        if not _within(addr, proxies) and not _within(addr, cloudflare):
            break
    return str(addr)
