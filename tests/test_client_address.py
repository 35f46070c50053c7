"""Client address behind reverse proxies (SEGUR_TRUSTED_PROXIES, X-Forwarded-For)."""

from __future__ import annotations

import ipaddress

import pytest
from pydantic import ValidationError
from starlette.datastructures import Headers

from segur_app.core import client_address as ca
from segur_app.core.config import Settings, get_settings, parse_networks

PROXIES = parse_networks("10.0.0.0/8, 127.0.0.1, fd00::/8")
CLIENT = "203.0.113.7"


def xff(value: str) -> dict[str, str]:
    return {"X-Forwarded-For": value}


# --------------------------------------------------------------------------
# The setting
# --------------------------------------------------------------------------


def test_setting_is_empty_by_default(monkeypatch):
    monkeypatch.delenv("SEGUR_TRUSTED_PROXIES", raising=False)
    assert Settings().trusted_proxies == ()


def test_setting_reads_addresses_and_cidrs_ipv4_and_ipv6(monkeypatch):
    monkeypatch.setenv("SEGUR_TRUSTED_PROXIES", " 127.0.0.1, 10.0.0.0/8,, ::1 ,fd00::/8,")
    assert Settings().trusted_proxies == (
        ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("::1/128"), ipaddress.ip_network("fd00::/8"),
    )


@pytest.mark.parametrize("bad", ["proxy.internal", "10.0.0.1/8", "300.1.1.1", "10.0.0.0/33"])
def test_invalid_entries_are_refused_at_startup_with_a_clear_error(monkeypatch, bad):
    monkeypatch.setenv("SEGUR_TRUSTED_PROXIES", f"127.0.0.1, {bad}")
    with pytest.raises(ValidationError) as raised:
        Settings()
    message = str(raised.value)
    assert "SEGUR_TRUSTED_PROXIES" in message and repr(bad) in message


def test_ipv4_mapped_networks_are_read_as_ipv4():
    assert parse_networks("::ffff:10.0.0.0/104") == (ipaddress.ip_network("10.0.0.0/8"),)


# --------------------------------------------------------------------------
# The rules
# --------------------------------------------------------------------------


def test_without_trusted_proxies_the_peer_is_the_client_whatever_the_headers():
    assert ca.client_address("10.0.0.5", xff(CLIENT), ()) == "10.0.0.5"


def test_an_untrusted_peer_cannot_choose_its_address():
    assert ca.client_address(CLIENT, xff("198.51.100.1"), PROXIES) == CLIENT


def test_trusted_peer_gives_the_rightmost_untrusted_hop():
    # The client forged the first hop; our proxy appended the real one.
    headers = xff(f"198.51.100.66, {CLIENT}, 10.1.2.3")
    assert ca.client_address("127.0.0.1", headers, PROXIES) == CLIENT


def test_trusted_peer_without_header_is_the_client():
    assert ca.client_address("10.0.0.5", {}, PROXIES) == "10.0.0.5"
    assert ca.client_address("10.0.0.5", None, PROXIES) == "10.0.0.5"


def test_every_hop_trusted_gives_the_leftmost():
    assert ca.client_address("127.0.0.1", xff("10.0.0.9, 10.0.0.8"), PROXIES) == "10.0.0.9"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("unknown", "127.0.0.1"),                       # rightmost hop malformed: the peer
        (f"{CLIENT}, garbage", "127.0.0.1"),
        ("garbage, 10.0.0.9", "10.0.0.9"),             # the proxy that forwarded garbage
        (f"{CLIENT}, <script>, 10.0.0.9", "10.0.0.9"),
        ("proxy.example.org, 10.0.0.9", "10.0.0.9"),
        ("[2001:db8::1, 10.0.0.9", "10.0.0.9"),
        ("[2001:db8::1]x, 10.0.0.9", "10.0.0.9"),
        ("203.0.113.7:port, 10.0.0.9", "10.0.0.9"),
        ("\x00\xff, 10.0.0.9", "10.0.0.9"),
    ],
)
def test_malformed_hops_stop_the_walk_and_are_never_returned(header, expected):
    assert ca.client_address("127.0.0.1", xff(header), PROXIES) == expected


def test_empty_list_elements_are_skipped():
    assert ca.client_address("127.0.0.1", xff(f" , {CLIENT},, 10.0.0.9 ,"), PROXIES) == CLIENT


@pytest.mark.parametrize(
    ("hop", "expected"),
    [
        ("203.0.113.7:51234", CLIENT),
        ("2001:DB8:0:0::1", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("::ffff:203.0.113.7", CLIENT),
    ],
)
def test_hop_forms_are_canonicalised(hop, expected):
    assert ca.client_address("10.0.0.1", xff(hop), PROXIES) == expected


def test_ipv6_proxies_and_mapped_peers():
    assert ca.client_address("fd00::10", xff("2001:db8::7, fd00::20"), PROXIES) == "2001:db8::7"
    # A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d.
    assert ca.client_address("::ffff:10.0.0.1", xff(CLIENT), PROXIES) == CLIENT
    assert ca.client_address("::ffff:203.0.113.9", xff("1.2.3.4"), PROXIES) == "203.0.113.9"


def test_repeated_headers_are_read_in_order_and_names_in_any_case():
    pairs = [("x-forwarded-for", "198.51.100.66"), ("X-FORWARDED-FOR", f"{CLIENT}, 10.0.0.2")]
    assert ca.client_address("10.0.0.1", pairs, PROXIES) == CLIENT
    assert ca.client_address("10.0.0.1", [("x-forwarded-for", "198.51.100.66"),
                                          ("x-forwarded-for", CLIENT)], PROXIES) == CLIENT
    starlette = Headers(raw=[(b"x-forwarded-for", b"198.51.100.66"),
                             (b"x-forwarded-for", CLIENT.encode())])
    assert ca.client_address("10.0.0.1", starlette, PROXIES) == CLIENT


def test_oversized_header_is_read_from_the_right_by_whole_hops():
    stuffed = ",".join(["10.0.0.1"] * 2000) + f", {CLIENT}, 10.0.0.2"
    assert ca.client_address("10.0.0.1", xff(stuffed), PROXIES) == CLIENT
    # A hop cut in two by the size limit is dropped, never read as another address.
    tail = "," + ",".join(["10.0.0.1"] * 445 + ["10.0.0.10"] * 8)
    cut = "203.0.113.250" + tail
    assert cut[-ca.MAX_HEADER_LENGTH:].startswith("3.0.113.250,")  # looks valid once cut
    assert ca.client_address("10.0.0.1", xff(cut), PROXIES) == "10.0.0.1"


def test_peer_that_is_not_an_ip_is_kept_and_never_trusted():
    assert ca.client_address("testclient", xff(CLIENT), PROXIES) == "testclient"
    assert ca.client_address(None, xff(CLIENT), PROXIES) is None
    assert ca.client_address("", xff(CLIENT), PROXIES) is None
    assert ca.client_address("/run/" + "s" * 100, None, PROXIES) == ("/run/" + "s" * 100)[:64]


def test_default_trusted_networks_come_from_the_settings(monkeypatch):
    monkeypatch.setenv("SEGUR_TRUSTED_PROXIES", "10.0.0.0/8")
    get_settings.cache_clear()
    try:
        assert ca.client_address("10.0.0.1", xff(CLIENT)) == CLIENT
    finally:
        monkeypatch.delenv("SEGUR_TRUSTED_PROXIES")
        get_settings.cache_clear()
    assert ca.client_address("10.0.0.1", xff(CLIENT)) == "10.0.0.1"


# --------------------------------------------------------------------------
# ASGI scopes (HTTP routes, websocket handshakes)
# --------------------------------------------------------------------------


def scope(client, *headers: tuple[bytes, bytes], kind: str = "http") -> dict:
    return {"type": kind, "client": client, "headers": list(headers)}


def test_from_scope_reads_the_peer_and_the_raw_headers():
    trusted = scope(("10.0.0.1", 40000), (b"x-forwarded-for", f"{CLIENT}, 10.0.0.3".encode()))
    assert ca.from_scope(trusted, PROXIES) == CLIENT
    untrusted = scope((CLIENT, 40000), (b"x-forwarded-for", b"198.51.100.1"), kind="websocket")
    assert ca.from_scope(untrusted, PROXIES) == CLIENT


def test_from_scope_without_client_or_headers():
    assert ca.from_scope({"type": "http"}, PROXIES) is None
    assert ca.from_scope(scope(None), PROXIES) is None
    assert ca.from_scope({"type": "http", "client": ("10.0.0.1", 1)}, PROXIES) == "10.0.0.1"


def test_from_scope_survives_non_utf8_header_bytes():
    hostile = scope(("10.0.0.1", 1), (b"x-forwarded-for", b"\xff\xfe, " + CLIENT.encode()))
    assert ca.from_scope(hostile, PROXIES) == CLIENT
