"""No secret survives in a log line: cookies, authorisation, passwords, answers, tokens."""

from __future__ import annotations

import io
import logging

import pytest
from reflex_base.event import Event

from segur_app.core import log_redaction
from segur_app.core.log_redaction import (
    MASK,
    RedactingFilter,
    install_log_redaction,
    redact,
)
from segur_app.core.security import SESSION_COOKIE, new_token

TOKEN = new_token()
TAB = "66fe7475-705d-42fb-88ea-136c9ba9b8fe"


@pytest.mark.parametrize(("text", "secret"), [
    (f"{{'cookie': '{SESSION_COOKIE}={TOKEN}; theme=dark', 'host': 'x'}}", TOKEN),
    (f"[(b'cookie', b'{SESSION_COOKIE}={TOKEN}'), (b'host', b'portail')]", TOKEN),
    (f'{{"Cookie": "a=b; {SESSION_COOKIE}={TOKEN}"}}', TOKEN),
    (f"Cookie: {SESSION_COOKIE}={TOKEN}; other=1\nHost: portail", TOKEN),
    ("Authorization: Bearer eyJhbGciOi.eyJzdWIi.sig", "eyJhbGciOi"),
    ("{'authorization': 'Basic dXNlcjpwYXNz'}", "dXNlcjpwYXNz"),
    ("{'identifiant': 'bob', 'password': 'S3cret!pass'}", "S3cret!pass"),
    ("{'old_password': 'Ancien-2023!', 'new_password': 'Nouveau-2024!'}", "Nouveau-2024!"),
    ("{'old_password': 'Ancien-2023!', 'new_password': 'Nouveau-2024!'}", "Ancien-2023!"),
    ("{'confirmation': 'Nouveau-2024!'}", "Nouveau-2024!"),
    ('{"answer": "mon chat", "question": "Animal ?"}', "mon chat"),
    ("{'secret_answer': 'le chat botte'}", "le chat botte"),
    ("password=hunter2&identifiant=bob", "hunter2"),
    ("POST /login password: hunter2 identifiant: bob", "hunter2"),
    (f"GET /_event/?token={TAB}&EIO=4&transport=websocket", TAB),
    (f"GET /reinitialiser-mot-de-passe?jeton={TOKEN} 200", TOKEN),
    (f"Attempting to send delta to disconnected client '{TAB}'", TAB),
    (f"a free-standing session token {TOKEN} in prose", TOKEN),
    (f"{SESSION_COOKIE}={TOKEN}", TOKEN),
    (f"__Host-{SESSION_COOKIE}={TOKEN}", TOKEN),
    (f"{{'session_token': '{TOKEN}'}}", TOKEN),
    ("{'smtp_password': 'relay-secret'}", "relay-secret"),
])
def test_secrets_are_masked(text, secret):
    masked = redact(text)
    assert secret not in masked
    assert MASK in masked


def test_ordinary_text_is_left_alone():
    for text in (
        "GET /aide 200 3.2ms",
        "reflex___state____state.segur_app___state___base____session_state.submit",
        "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "{'identifiant': 'test.ecomplementaire', 'siret': '39431067600017'}",
        "Demande FINSAS000123 déposée",
    ):
        assert redact(text) == text


def _capture(name: str) -> tuple[logging.Logger, io.StringIO, logging.Handler]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    log = logging.getLogger(name)
    log.addHandler(handler)
    return log, stream, handler


def test_the_filter_redacts_arguments_and_tracebacks_then_formats_normally():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "event %s took %.1f ms (%d)",
                               ({"cookie": f"{SESSION_COOKIE}={TOKEN}"}, 2.25, 3), None)
    try:
        raise ValueError(f"bad form {{'password': 'hunter2', 'token': '{TOKEN}'}}")
    except ValueError:
        import sys
        record.exc_info = sys.exc_info()
    assert RedactingFilter().filter(record) is True
    text = logging.Formatter("%(message)s").format(record)
    assert "took 2.2 ms (3)" in text or "took 2.3 ms (3)" in text
    assert "ValueError: bad form" in text and "Traceback" in text
    assert TOKEN not in text and "hunter2" not in text
    assert record.exc_info is None and record.args == ()


def test_installed_filter_covers_records_propagated_from_child_loggers(monkeypatch):
    """Reflex logs from ``reflex_base.event.processor...``: the filter on the
    handlers of the parent ``reflex`` logger still sees those records."""
    monkeypatch.setattr(log_redaction, "REDACTING_FILTER", RedactingFilter())
    parent, stream, handler = _capture("reflex")
    try:
        install_log_redaction()
        install_log_redaction()  # idempotent
        assert handler.filters.count(log_redaction.REDACTING_FILTER) == 1
        assert log_redaction.REDACTING_FILTER in logging.getLogger().filters
        assert log_redaction.REDACTING_FILTER in logging.getLogger("_granian").filters
        # What Reflex's event processor logged for an unknown handler: the whole
        # event, router data and request headers included.
        event = Event(
            name="reflex___state____state.nope",
            router_data={"headers": {"cookie": f"{SESSION_COOKIE}={TOKEN}", "host": "portail"},
                         "token": TAB},
            payload={"form": {"identifiant": "bob", "password": "hunter2"}},
        )
        child = logging.getLogger("reflex_base.event.processor.event_processor")
        try:
            raise KeyError(f"No registered handler found for event: {event.name}")
        except KeyError:
            child.exception(f"Error processing event queue entry for {event} [txid=1]:")
    finally:
        parent.removeHandler(handler)
        for name in log_redaction.LOGGER_NAMES:
            logging.getLogger(name).removeFilter(log_redaction.REDACTING_FILTER)
    output = stream.getvalue()
    assert "Error processing event queue entry" in output and "KeyError" in output
    for secret in (TOKEN, TAB, "hunter2"):
        assert secret not in output
