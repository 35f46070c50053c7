"""The real client address of a request, behind trusted reverse proxies or not.

Behind a reverse proxy every TCP connection comes from the proxy, so the
per-address limits (login, recovery, public forms) would lump every user
together. A proxy names the client it served in ``X-Forwarded-For``, but any
client can send that header too: it is believed only when the TCP peer is one
of ``SEGUR_TRUSTED_PROXIES`` (``Settings.trusted_proxies``).

Entry points (pure: no I/O; ``trusted`` defaults to the settings)
-----------------------------------------------------------------
``client_address(peer, headers, trusted=None) -> str | None``
    ``peer`` is the TCP peer address (Reflex: ``self.router.session.client_ip``;
    leave Reflex's own ``trusted_proxy_hops`` unset so that it stays the peer),
    ``headers`` any mapping or iterable of ``(name, value)`` pairs (names in any
    case; repeated headers are read in order), e.g.
    ``self.router.headers.raw_headers`` or a Starlette ``request.headers``.
``from_scope(scope, trusted=None) -> str | None``
    The same for an ASGI / Starlette scope (HTTP or websocket):
    peer = ``scope["client"][0]``, headers = ``scope["headers"]``.

Rules
-----
* Peer not trusted (or no trusted proxy configured): the peer is the client;
  ``X-Forwarded-For`` is ignored.
* Peer trusted: ``X-Forwarded-For`` is walked from the right (each proxy
  appends the address it received the request from) and the first address
  that is not a trusted proxy is the client. If every hop is trusted, the
  leftmost one is the client; without the header, the peer.
* A malformed hop (``unknown``, a host name, garbage) stops the walk: what is
  left of it was written by nobody we trust, so the client is the last valid
  address walked — the trusted proxy that forwarded the garbage (or the peer
  when the rightmost hop is malformed). Garbage is therefore never returned
  and never trusted, and the request is attributed to an address we know.
  Empty list elements (``a,,b``) are skipped, as RFC 9110 requires.
* Accepted hop forms: ``203.0.113.7``, ``203.0.113.7:51234``, ``2001:db8::1``,
  ``[2001:db8::1]`` and ``[2001:db8::1]:443``. Addresses are returned in
  canonical form (``2001:db8::1``; IPv4-mapped IPv6 ``::ffff:a.b.c.d`` as
  ``a.b.c.d``) so that one client always gets one throttling key.
* A peer that is not an IP address (a Unix socket, a test client) is returned
  as it is (at most 64 characters, the audit column's size) and is never
  trusted.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

from segur_app.core.config import Networks, get_settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Headers = Mapping[str, str] | Iterable[tuple[str, str]]

FORWARDED_FOR = "x-forwarded-for"
# A header longer than this is cut (from the left: the hops we read are on the
# right), so a hostile client cannot make us parse megabytes.
MAX_HEADER_LENGTH = 4096
MAX_ADDRESS_LENGTH = 64

__all__ = ["client_address", "from_scope", "parse_address"]


def parse_address(text: str | None) -> Address | None:
    """An address from a peer or a forwarded hop, or None when malformed."""
    if not text:
        return None
    text = text.strip()
    if text.startswith("["):  # [2001:db8::1] or [2001:db8::1]:443
        end = text.find("]")
        rest = text[end + 1:] if end > 0 else "?"
        if rest and not (rest.startswith(":") and rest[1:].isdigit()):
            return None
        text = text[1:end]
    elif text.count(":") == 1:  # 203.0.113.7:51234
        text, _, port = text.partition(":")
        if not port.isdigit():
            return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped if mapped is not None else address


def _is_trusted(address: Address, trusted: Networks) -> bool:
    return any(address.version == net.version and address in net for net in trusted)


def _forwarded_hops(headers: Headers | None) -> list[str]:
    if not headers:
        return []
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    values = [value for name, value in pairs if str(name).lower() == FORWARDED_FOR]
    joined = ",".join(str(v) for v in values)
    if len(joined) > MAX_HEADER_LENGTH:  # keep whole hops only: a cut one could look valid
        joined = joined[-MAX_HEADER_LENGTH:].partition(",")[2]
    return [hop.strip() for hop in joined.split(",") if hop.strip()]


def client_address(
    peer: str | None, headers: Headers | None = None, trusted: Networks | None = None
) -> str | None:
    """The client's address (see the module docstring for the rules)."""
    if trusted is None:
        trusted = get_settings().trusted_proxies
    peer_address = parse_address(peer)
    if peer_address is None:
        return (peer or "")[:MAX_ADDRESS_LENGTH] or None
    if not trusted or not _is_trusted(peer_address, trusted):
        return str(peer_address)
    client = peer_address
    for hop in reversed(_forwarded_hops(headers)):
        address = parse_address(hop)
        if address is None:  # malformed: stop, keep the last address we could trust
            break
        client = address
        if not _is_trusted(address, trusted):
            break
    return str(client)


def from_scope(scope: Mapping[str, Any], trusted: Networks | None = None) -> str | None:
    """The client's address for an ASGI (Starlette) HTTP or websocket scope."""
    client = scope.get("client")
    peer = client[0] if client else None
    headers = [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, value in scope.get("headers") or ()
    ]
    return client_address(peer, headers, trusted)
