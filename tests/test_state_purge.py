"""The disk state manager's purge of expired tab states runs at most once a period."""

from __future__ import annotations

import os
import time
import types

import pytest
from reflex.istate.manager.disk import StateManagerDisk

from segur_app.core import state_purge


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(state_purge, "time", clock)
    # Whatever the test does, Reflex's own method is back afterwards.
    monkeypatch.setattr(StateManagerDisk, "_purge_expired_states",
                        StateManagerDisk._purge_expired_states)
    original = getattr(StateManagerDisk._purge_expired_states, "_segur_original", None)
    if original is not None:  # already throttled by an import of rxconfig
        monkeypatch.setattr(StateManagerDisk, "_purge_expired_states", original)
    return clock


def _old_state(directory, name: str):
    path = directory / f"{name}.pkl"
    path.write_bytes(b"state")
    two_hours_ago = time.time() - 7200
    os.utime(path, (two_hours_ago, two_hours_ago))
    return path


def test_the_purge_runs_once_then_waits_for_the_period(tmp_path, clock):
    assert state_purge.throttle_disk_state_purge(period=60)
    assert state_purge.throttle_disk_state_purge(period=60)  # idempotent: wrapped once
    manager = types.SimpleNamespace(states_directory=tmp_path, token_expiration=3600)
    fresh = tmp_path / "fresh.pkl"
    fresh.write_bytes(b"state")

    first = _old_state(tmp_path, "first")
    StateManagerDisk._purge_expired_states(manager)
    assert not first.exists() and fresh.exists()  # the first call always purges

    second = _old_state(tmp_path, "second")
    clock.now += 59
    StateManagerDisk._purge_expired_states(manager)
    assert second.exists()  # within the period: no directory scan

    clock.now += 2
    StateManagerDisk._purge_expired_states(manager)
    assert not second.exists() and fresh.exists()


def test_without_the_throttle_reflex_purges_at_every_call(tmp_path, clock):
    # What the throttle changes (the test above would pass on an unpatched
    # method only if it purged every time: this shows it does).
    manager = types.SimpleNamespace(states_directory=tmp_path, token_expiration=3600)
    StateManagerDisk._purge_expired_states(manager)
    again = _old_state(tmp_path, "again")
    StateManagerDisk._purge_expired_states(manager)
    assert not again.exists()
