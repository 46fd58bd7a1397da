"""Who is calling, by address: the socket peer, unless the peer is a proxy the settings trust.

`X-Forwarded-For` is written by whoever sends the request, so believing it from anyone lets a
guesser name a new address for every attempt and never run out of a per-address budget. It is
believed only when the peer is listed in `trusted_proxies` (addresses or CIDR networks), and
then only up to the first hop that is not itself trusted: the right-most such address, the last
one a trusted proxy vouched for. Everything left of it could have been sent by the client.
`X-Forwarded-Proto` from a trusted proxy says whether the browser spoke https (for the session
cookie's Secure flag).

uvicorn has its own version of this, on by default and trusting 127.0.0.1; `hanano serve` turns
it off (`proxy_headers=False`) so that this middleware, configured by the settings, is the only
one that rewrites the client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
SCHEMES = frozenset({"http", "https"})


def parse_networks(setting: str) -> tuple[IPNetwork, ...]:
    """The `trusted_proxies` setting: comma-separated addresses or CIDR networks."""
    networks = []
    for part in setting.split(","):
        if part.strip():
            try:
                networks.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError as exc:
                raise ValueError(f"trusted_proxies: {part.strip()!r} is not an IP or CIDR") from exc
    return tuple(networks)


def parse_address(text: str) -> IPAddress | None:
    """An address as a header or the server gives it: bare, `a.b.c.d:port` or `[v6]:port`."""
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def is_trusted(ip: IPAddress | None, trusted: tuple[IPNetwork, ...]) -> bool:
    return ip is not None and any(ip in network for network in trusted)


def forwarded_client(
    peer: str, forwarded_for: Iterable[str], trusted: tuple[IPNetwork, ...]
) -> str:
    """The client's address: `peer` unless it is trusted, else the right-most address in the
    X-Forwarded-For chain that is not a trusted proxy."""
    if not is_trusted(parse_address(peer), trusted):
        return peer
    chain = [hop for header in forwarded_for for hop in header.split(",") if hop.strip()]
    client = peer
    for hop in reversed(chain):
        ip = parse_address(hop)
        if ip is None:
            # A hop a trusted proxy passed on but that is no address: nothing beyond it can be
            # believed, so the last trusted hop answers for the request.
            return client
        client = str(ip)
        if not is_trusted(ip, trusted):
            return client
    return client


class ClientAddress:
    """Sets the ASGI scope's client (and scheme) from a trusted proxy's headers; leaves both as
    the socket gave them for every other peer."""

    def __init__(self, app: ASGIApp, trusted_proxies: str = "") -> None:
        self.app = app
        self.trusted = parse_networks(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.trusted and scope["type"] in ("http", "websocket") and scope.get("client"):
            self._rewrite(scope)
        await self.app(scope, receive, send)

    def _rewrite(self, scope: Scope) -> None:
        peer = str(scope["client"][0])
        if not is_trusted(parse_address(peer), self.trusted):
            return
        headers = scope.get("headers", [])
        forwarded = [v.decode("latin-1") for k, v in headers if k == b"x-forwarded-for"]
        client = forwarded_client(peer, forwarded, self.trusted)
        if client != peer:
            scope["client"] = (client, 0)
        proto = [v.decode("latin-1") for k, v in headers if k == b"x-forwarded-proto"]
        scheme = proto[0].split(",")[0].strip().lower() if proto else ""
        if scheme in SCHEMES and scope["type"] == "http":
            scope["scheme"] = scheme
