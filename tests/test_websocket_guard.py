"""Websocket events: shape checks, per-connection limits, short log lines.

The guarded namespace runs against the portal's real event handlers (the app
is imported, not served); Reflex's own ``on_event`` and the socket close are
replaced by recorders. tests/e2e/test_hostile.py does the same over a real
websocket.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from typing import Any, Literal

import pytest
from reflex.app import EventNamespace
from reflex_base.event import EventSpec
from reflex_base.registry import RegistrationContext

from segur_app.api import websocket_guard as wg
from segur_app.api.handler_args import value_matches
from segur_app.api.event_limits import EventLimits, GuardedLog, TokenBucket
from segur_app.api.websocket_guard import (
    GuardedEventNamespace,
    backend_exception_handler,
    install_event_guard,
)
from segur_app.core.security import SESSION_COOKIE, new_token

SECRET = new_token()
LIMITS = EventLimits(rate=10, burst=5, max_malformed=8, log_lines_per_connection=3, log_lines_total=50)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def portal_app():
    import segur_app.segur_app as module

    return module.app


@pytest.fixture
def names(portal_app):
    with portal_app.set_contexts():
        handlers = list(RegistrationContext.get().event_handlers)

        def find(suffix: str) -> str:
            return next(name for name in handlers if name.endswith(suffix))

        yield {key: find(suffix) for key, suffix in {
            "hydrate": "reflex___state____state.hydrate",
            "remember": "enrolment_form_state.remember",
            "edit_step": "enrolment_form_state.edit_step",
            "toggle": "staff_news_state.toggle_published",
            "upload": "assistance_form_state.stage_file",
            "setvar": "staff_news_state.setvar",
            "submit": "forgot_password_state.submit",
        }.items()}


@pytest.fixture
def namespace(portal_app, monkeypatch):
    """A guarded namespace whose Reflex side and socket close are recorded."""
    clock = Clock()
    ns = GuardedEventNamespace("/_event", portal_app, LIMITS, clock=clock)
    ns.clock_ = clock
    ns.passed, ns.closed = [], []

    async def reflex_on_event(self, sid, data):
        self.passed.append(data)

    async def close(sid):
        ns.closed.append(sid)

    monkeypatch.setattr(EventNamespace, "on_event", reflex_on_event)
    monkeypatch.setattr(ns, "_close", close)
    ns.sid_to_token["sid-1"] = "tab-1"
    ns.sid_to_token["sid-2"] = "tab-2"
    with portal_app.set_contexts():
        yield ns


def send(ns, *events, sid="sid-1"):
    async def run():
        for event in events:
            await ns.trigger_event("event", sid, event)

    asyncio.run(run())


# --------------------------------------------------------------------------- #
# Building blocks
# --------------------------------------------------------------------------- #


def test_token_bucket_allows_a_burst_then_the_sustained_rate():
    bucket = TokenBucket(rate=10, capacity=5, now=0.0)
    assert [bucket.take(0.0) for _ in range(6)] == [True] * 5 + [False]
    assert bucket.take(0.05) is False  # half a token
    assert bucket.take(0.1) is True
    assert bucket.take(100.0) and bucket.tokens == 4.0  # never more than the capacity


def test_guarded_log_limits_per_key_and_in_total(caplog):
    clock = Clock()
    log = GuardedLog(per_key=2, total=5, clock=clock)
    caplog.set_level(logging.WARNING, logger="segur_app.websocket")
    for _ in range(4):
        log.note("websocket a", "refused")
    for key in ("b", "c", "d", "e"):
        log.note(f"websocket {key}", "refused")
    clock.now += 61
    log.note("websocket a", "again")
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "websocket a: refused", "websocket a: refused",
        "websocket a: further messages suppressed for 60 s",
        "websocket b: refused", "websocket c: refused",
        "more than 5 websocket log lines this minute: further ones suppressed",
        "websocket a: again",
    ]


class Colour(enum.Enum):
    RED = "red"


@pytest.mark.parametrize(("value", "hint", "ok"), [
    ("x", str, True), (1, str, False), (None, str, False),
    (3, int, True), ("3", int, True), ("-12", int, True), (True, int, False), ("3.5", int, False),
    ("x" * 30, int, False), (2.5, float, True), ("1e3", float, True), ("abc", float, False),
    (True, bool, True), ("false", bool, True), (1, bool, False),
    ({}, dict, True), ([], dict, False), ({"a": 1}, dict[str, Any], True),
    ([{"a": 1}], list[dict], True), (["a"], list[dict], False), ("a", list[str], False),
    (None, str | None, True), (1, str | None, False), ("red", Colour, True), ("blue", Colour, False),
    ("a", Literal["a", "b"], True), ("c", Literal["a", "b"], False), (object(), Any, True),
])
def test_values_are_checked_against_the_annotations(value, hint, ok):
    assert value_matches(value, hint) is ok


# --------------------------------------------------------------------------- #
# The namespace
# --------------------------------------------------------------------------- #


def test_well_formed_events_reach_reflex(namespace, names):
    events = [
        {"name": names["hydrate"], "payload": {}, "router_data": {"pathname": "/", "asPath": "/?a=1",
                                                                  "query": {"a": "1", "b": ["x"]}}},
        {"name": names["remember"], "payload": {"name": "siret", "value": "x" * 500_000}},
        {"name": names["edit_step"], "payload": {"step": "2"}},  # Reflex converts "2"
        {"name": names["toggle"], "payload": {"news_id": 3, "published": True}},
        {"name": names["submit"], "payload": {"form": {"identifiant": "a"}}},
    ]
    send(namespace, *events)
    assert namespace.passed == events
    assert namespace.closed == []


MALFORMED = [
    "a string", 12, None, [1, 2], {"payload": {}}, {"name": 5},
    {"name": "reflex___state____state.nope" * 1000},
    {"name": "HYDRATE", "payload": "x"},
    {"name": "HYDRATE", "router_data": ["x"]},
    {"name": "HYDRATE", "router_data": {"pathname": 5}},
    {"name": "HYDRATE", "router_data": {"query": {"a": {"b": 1}}}},
    {"name": "REMEMBER", "payload": {"name": "siret"}},
    {"name": "REMEMBER", "payload": {"name": "siret", "value": ["x"]}},
    {"name": "REMEMBER", "payload": {"name": "siret", "value": "x", "extra": SECRET}},
    {"name": "EDIT_STEP", "payload": {"step": "abc" * 10_000}},
    {"name": "UPLOAD", "payload": {"files": ["x"]}},
    # Reflex's generic setter on a portal state: it declares no audience.
    {"name": "SETVAR", "payload": {"var_name": "message", "value": "x"}},
]


def resolve(event, names):
    if isinstance(event, dict) and event.get("name") in ("HYDRATE", "REMEMBER", "EDIT_STEP", "UPLOAD",
                                                         "SETVAR"):
        return {**event, "name": names[event["name"].lower()]}
    return event


def test_malformed_events_are_refused_with_one_short_line_each(namespace, names, caplog):
    caplog.set_level(logging.DEBUG)
    namespace.log = GuardedLog(per_key=100, total=100, clock=namespace.clock_)
    namespace.limits = EventLimits(rate=1000, burst=1000, max_malformed=1000)
    namespace._buckets.clear()
    events = [resolve(event, names) for event in MALFORMED]
    send(namespace, *events)
    assert namespace.passed == []
    lines = [r.getMessage() for r in caplog.records if r.name == "segur_app.websocket"]
    assert len(lines) == len(MALFORMED)
    assert all(line.startswith("websocket sid-1: event refused: ") and len(line) < 260 for line in lines)
    assert SECRET not in caplog.text and "abcabc" not in caplog.text
    assert "Traceback" not in caplog.text
    assert "upload handler" in lines[-2]
    assert "handler without an audience" in lines[-1]


def test_log_lines_are_rate_limited_and_repeat_offenders_disconnected(namespace, caplog):
    caplog.set_level(logging.WARNING, logger="segur_app.websocket")
    for _ in range(LIMITS.max_malformed + 2):
        namespace.clock_.now += 1  # slowly: the rate limit is not what cuts it off
        send(namespace, "junk")
    lines = [r.getMessage() for r in caplog.records]
    assert lines[:3] == ["websocket sid-1: event refused: not an object (str)"] * 3
    assert lines[3] == "websocket sid-1: further messages suppressed for 60 s"
    assert lines[-1] == "websocket sid-1: 8 malformed events: disconnected"
    assert len(lines) == 5
    assert namespace.closed == ["sid-1"]


def test_a_flood_is_disconnected_and_other_connections_keep_working(namespace, names):
    hydrate = {"name": names["hydrate"], "payload": {}}
    send(namespace, *[hydrate] * (LIMITS.burst + 3))
    assert len(namespace.passed) == LIMITS.burst
    assert namespace.closed == ["sid-1"]  # once; what still arrives is dropped
    send(namespace, *[hydrate] * LIMITS.burst, sid="sid-2")
    assert len(namespace.passed) == 2 * LIMITS.burst
    namespace.clock_.now += 0.5  # the bucket refills at LIMITS.rate per second
    send(namespace, *[hydrate] * 5, sid="sid-2")
    assert len(namespace.passed) == 2 * LIMITS.burst + 5
    assert namespace.closed == ["sid-1"]


def test_other_socket_events_are_limited_and_arity_checked(namespace, caplog):
    caplog.set_level(logging.WARNING, logger="segur_app.websocket")

    async def run():
        await namespace.trigger_event("nope", "sid-1", "x")
        await namespace.trigger_event("event", "sid-1")
        await namespace.trigger_event("event", "sid-1", {}, {})
        await namespace.trigger_event("ping", "sid-1", "extra")

    asyncio.run(run())
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "websocket sid-1: unknown socket event nope",
        "websocket sid-1: event with 0 argument(s)",
        "websocket sid-1: event with 2 argument(s)",
        "websocket sid-1: further messages suppressed for 60 s",
    ]
    assert namespace.passed == []


def test_events_from_a_connection_without_a_token_are_dropped(namespace, names):
    send(namespace, {"name": names["hydrate"]}, sid="sid-unknown")
    assert namespace.passed == []


def test_the_portal_serves_its_websocket_through_the_guard(portal_app):
    guarded = portal_app.event_namespace
    assert isinstance(guarded, GuardedEventNamespace)
    assert portal_app.sio.namespace_handlers[guarded.namespace] is guarded
    assert install_event_guard(portal_app) is guarded  # idempotent


# --------------------------------------------------------------------------- #
# Failing handlers
# --------------------------------------------------------------------------- #


def test_a_failing_handler_is_one_short_line_and_a_french_message(monkeypatch, caplog):
    monkeypatch.setattr(wg, "_handler_log", GuardedLog(per_key=2, total=100))
    caplog.set_level(logging.WARNING, logger="segur_app.websocket")

    def handler_code():
        headers = {"cookie": f"{SESSION_COOKIE}={SECRET}"}
        raise ValueError(f"cannot use {headers} " + "x" * 5000)

    results = []
    for _ in range(4):
        try:
            handler_code()
        except ValueError as exc:
            results.append(backend_exception_handler(exc))
    assert all(isinstance(result, EventSpec) for result in results)
    assert wg.ERROR_MESSAGE.startswith("Une erreur est survenue")
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3
    assert lines[0].startswith("tab-") and "event handler failed: ValueError at test_websocket_guard.py:" in lines[0]
    assert "in handler_code" in lines[0] and len(lines[0]) < 320
    assert lines[2].endswith("further messages suppressed for 60 s")
    assert "Traceback" not in caplog.text


def test_events_are_refused_with_the_french_message_while_redis_is_down(namespace, names,
                                                                        monkeypatch):
    from segur_app.api import redis_health, websocket_guard

    status = redis_health.RedisStatus()
    monkeypatch.setattr(websocket_guard, "REDIS", status)
    told = []

    async def emit(event, data, to=None, **_):
        told.append((event, to, data))

    monkeypatch.setattr(namespace, "emit", emit)
    event = {"name": names["edit_step"], "payload": {"step": "2"}}
    status.down("test")
    send(namespace, event)
    assert namespace.passed == [] and len(told) == 1  # not processed, the tab is told
    name, to, update = told[0]
    assert (name, to) == ("event", "sid-1")
    assert "momentan" in str(update.events[0].payload)
    status.up()
    send(namespace, event)
    assert namespace.passed == [event]  # Redis back: served again
