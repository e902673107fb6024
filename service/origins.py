"""The network origin a per-origin limit counts: an IPv4 address, or the /64 of an IPv6
address — one subscriber usually holds a whole /64, and would otherwise have 2^64 fresh
origins. The staff login throttle, the API's and the pages' per-origin limits and the
sensor opinions' hourly limit all count by it."""

from __future__ import annotations

import ipaddress

IPV6_ORIGIN_PREFIX = 64


def origin_of(host: str) -> str:
    """The network origin to count: the IPv4 address, or the /64 of an IPv6 address."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host  # not an address (a test client, a Unix socket): counted as it is
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_ORIGIN_PREFIX), strict=False))
    return str(address)
