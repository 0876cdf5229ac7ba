"""The client's address behind a reverse proxy, for the per-address limits (connections, engine.io sessions, the
log-in throttle).

A proxy's forwarding header (X-Forwarded-For, or RFC 7239's Forwarded) is believed only when the TCP peer is one of
the configured trusted proxies (`trusted_proxies`): anybody else can write any address into it. Proxies append the
address they saw to the header, so it is read from the right: the hops that are themselves trusted proxies are
skipped, and the first one that is not is the client. An entry that is not an address (`unknown`, an obfuscated
`_name`) stops the walk: the limits then count the last trusted hop, as they would without the header.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

HEADERS = {"x-forwarded-for": "X-Forwarded-For", "forwarded": "Forwarded"}
# one `for=` parameter of a Forwarded element: a token or a quoted string
_FORWARDED_FOR = re.compile(r'(?:^|;)\s*for\s*=\s*("(?:[^"\\]|\\.)*"|[^;,\s]*)', re.IGNORECASE)


class ProxySettingsError(ValueError):
    """trusted_proxies or proxy_header cannot be read: the server does not start (docs/deploy.md)."""


class Headers(Protocol):
    def getall(self, key: str, default: list[str]) -> list[str]: ...


def _address(text: str) -> Address | None:
    """An address from a forwarding entry: `203.0.113.7`, `203.0.113.7:4711`, `[2001:db8::1]:80`, `2001:db8::1`."""
    text = text.strip().strip('"').strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:  # IPv4 with a port (a bare IPv6 address has two or more colons)
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class TrustedProxies:
    networks: tuple[Network, ...] = ()
    header: str = "x-forwarded-for"  # lower case, a key of HEADERS

    @classmethod
    def parse(cls, spec: str, header: str = "X-Forwarded-For") -> TrustedProxies:
        """From the settings: addresses or networks, separated by commas or spaces (`127.0.0.1, 10.0.0.0/8`)."""
        networks = []
        for item in spec.replace(",", " ").split():
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise ProxySettingsError(
                    f"trusted_proxies: {item!r} is not an IP address or network; give the reverse proxy's addresses "
                    "separated by commas, e.g. PEERSPACE_TRUSTED_PROXIES=127.0.0.1,10.0.0.0/8"
                ) from None
        key = header.strip().lower()
        if key not in HEADERS:
            raise ProxySettingsError(
                f"proxy_header: {header!r} is neither X-Forwarded-For nor Forwarded; give the header your reverse "
                "proxy sets (nginx: X-Forwarded-For)"
            )
        return cls(tuple(networks), key)

    def trusts(self, peer: str | None) -> bool:
        address = _address(peer) if peer else None
        return address is not None and self._trusted(address)

    def _trusted(self, address: Address) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)

    def _hops(self, headers: Headers) -> list[str]:
        """Every address the header lists, the client's first (several header lines read as one list)."""
        values = headers.getall(HEADERS[self.header], [])
        if self.header == "x-forwarded-for":
            return [hop for value in values for hop in value.split(",")]
        return [
            m.group(1) for value in values for element in value.split(",") for m in _FORWARDED_FOR.finditer(element)
        ]

    def client(self, peer: str | None, headers: Headers) -> str | None:
        """The address the per-address limits count: the forwarded client's when the peer is a trusted proxy."""
        if not self.networks or not self.trusts(peer):
            return peer
        client = peer
        for hop in reversed(self._hops(headers)):
            address = _address(hop)
            if address is None:
                break
            client = str(address)
            if not self._trusted(address):
                break
        return client


NO_PROXIES = TrustedProxies()


def client_address(request: web.BaseRequest, proxies: TrustedProxies) -> str | None:
    """The client's address for one request: the TCP peer's, or the forwarded one from a trusted proxy."""
    return proxies.client(request.remote, request.headers)
