"""UploadRequestCheck: hostile ``POST /_upload`` requests get a French 4xx.

The check runs against the portal's real event handlers (the app is imported,
not served); the inner app stands in for Reflex's endpoint and records what it
received. tests/e2e/test_hostile.py sends the same requests to the real portal.
"""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest
from reflex_base.registry import RegistrationContext

from segur_app.api import upload_validation as uv
from segur_app.api.upload_validation import UploadRequestCheck
from tests.document_samples import valid_pdf

BODY_MARKER = "CONTENU-PRIVE-DU-CORPS"


@pytest.fixture(scope="module")
def portal_app():
    import segur_app.segur_app as module

    return module.app


@pytest.fixture
def handlers(portal_app):
    with portal_app.set_contexts():
        names = list(RegistrationContext.get().event_handlers)
        yield {
            suffix: next(name for name in names if name.endswith(suffix))
            for suffix in ("advance_state.stage_file", "assistance_form_state.stage_file",
                           "forgot_password_state.submit")
        }


class Inner:
    """Reads the whole body like Reflex's endpoint, then answers 200."""

    def __init__(self, fail: str | None = None) -> None:
        self.calls = 0
        self.received = 0
        self.disconnected = False
        self.fail = fail

    async def __call__(self, scope, receive, send):
        self.calls += 1
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.disconnected = True
                await send({"type": "http.response.start", "status": 200, "headers": []})
                await send({"type": "http.response.body", "body": b"ignored"})
                return
            self.received += len(message.get("body", b""))
            if not message.get("more_body", False):
                break
        if self.fail == "before":
            raise TypeError("stage_file() missing 1 required positional argument: 'kind'")
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/x-ndjson")]})
        await send({"type": "http.response.body", "body": b'{"delta": {}}\n', "more_body": True})
        if self.fail == "after":
            raise ValueError("handler failed mid-stream")
        await send({"type": "http.response.body", "body": b""})


def post(app, handler: str | None, *, files=None, data=None, content=None, content_type=None,
         token: str | None = "tab-token"):
    headers = {}
    if token:
        headers["reflex-client-token"] = token
    if handler:
        headers["reflex-event-handler"] = handler
    if content_type:
        headers["content-type"] = content_type

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://portail.test") as client:
            return await client.post("/_upload", headers=headers, files=files, data=data, content=content)

    return asyncio.run(scenario())


def assert_refused(response: httpx.Response, status: int, message: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.json() == {"detail": message}


def args(**values) -> dict:
    return {uv.ARGS_FIELD: json.dumps(values)}


PDF = ("pv.pdf", valid_pdf(), "application/pdf")


def test_a_well_formed_upload_reaches_the_handler(handlers, portal_app):
    inner = Inner()
    with portal_app.set_contexts():
        response = post(UploadRequestCheck(inner), handlers["advance_state.stage_file"],
                        data=args(kind="pv_mise_en_service"), files={"files": PDF})
        assistance = post(UploadRequestCheck(inner), handlers["assistance_form_state.stage_file"],
                          files={"files": PDF})
    assert response.status_code == 200 and assistance.status_code == 200
    assert inner.calls == 2 and not inner.disconnected


@pytest.mark.parametrize(("case", "status", "message"), [
    ("no-headers", 400, uv.MSG_HEADERS),
    ("unknown-handler", 400, uv.MSG_HANDLER),
    ("not-an-upload-handler", 400, uv.MSG_HANDLER),
    ("json-body", 415, uv.MSG_CONTENT_TYPE),
    ("no-boundary", 400, uv.MSG_MALFORMED),
])
def test_requests_refused_before_the_body_is_read(handlers, portal_app, case, status, message):
    inner = Inner()
    handler = {"unknown-handler": "reflex___state____state.nope",
               "not-an-upload-handler": handlers["forgot_password_state.submit"]}.get(
        case, handlers["assistance_form_state.stage_file"])
    kwargs = {
        "no-headers": {"token": None, "files": {"files": PDF}},
        "json-body": {"content": b'{"files": []}', "content_type": "application/json"},
        "no-boundary": {"content": b"garbage", "content_type": "multipart/form-data"},
    }.get(case, {"files": {"files": PDF}})
    with portal_app.set_contexts():
        response = post(UploadRequestCheck(inner), handler if case != "no-headers" else None, **kwargs)
    assert_refused(response, status, message)
    assert inner.calls == 0


def multipart(*parts: bytes, boundary: bytes = b"xyz", end: bool = True) -> bytes:
    body = b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts)
    return body + (b"--" + boundary + b"--\r\n" if end else b"")


FILE_PART = b'Content-Disposition: form-data; name="files"; filename="pv.pdf"\r\n\r\n%PDF-1.4 x'


@pytest.mark.parametrize(("case", "body", "status", "message"), [
    ("file-without-filename",
     multipart(b'Content-Disposition: form-data; name="files"\r\n\r\n' + BODY_MARKER.encode()),
     400, uv.MSG_NO_FILENAME),
    ("file-with-empty-filename",
     multipart(b'Content-Disposition: form-data; name="files"; filename=""\r\n\r\nx'),
     400, uv.MSG_NO_FILENAME),
    ("large-text-part",
     multipart(b'Content-Disposition: form-data; name="commentaire"\r\n\r\n' + b"a" * 2_000_000, FILE_PART),
     400, uv.MSG_FIELD),
    ("large-args-part",
     multipart(b'Content-Disposition: form-data; name="__reflex_event_args"\r\n\r\n' + b"a" * 100_000),
     413, uv.MSG_TEXT_TOO_LARGE),
    ("garbage", b"garbage" + BODY_MARKER.encode() + b"--xyz\r\nContent-Disposition", 400, uv.MSG_MALFORMED),
    ("truncated", multipart(FILE_PART, end=False), 400, uv.MSG_MALFORMED),
    ("no-disposition", multipart(b"Content-Type: text/plain\r\n\r\nx"), 400, uv.MSG_MALFORMED),
    ("too-many-files", multipart(*[FILE_PART] * (uv.MAX_FILES + 1)), 400, uv.MSG_TOO_MANY),
    ("args-after-files",
     multipart(FILE_PART, b'Content-Disposition: form-data; name="__reflex_event_args"\r\n\r\n{}'),
     400, uv.MSG_ARGS),
    ("args-as-a-file",
     multipart(b'Content-Disposition: form-data; name="__reflex_event_args"; filename="a"\r\n\r\n{}'),
     400, uv.MSG_ARGS),
    ("args-not-json",
     multipart(b'Content-Disposition: form-data; name="__reflex_event_args"\r\n\r\n{nope', FILE_PART),
     400, uv.MSG_ARGS),
    ("args-not-an-object",
     multipart(b'Content-Disposition: form-data; name="__reflex_event_args"\r\n\r\n[1]', FILE_PART),
     400, uv.MSG_ARGS),
])
def test_hostile_bodies_are_refused_and_the_handler_sees_a_disconnect(
        handlers, portal_app, case, body, status, message, caplog):
    inner = Inner()
    caplog.set_level(logging.DEBUG)
    with portal_app.set_contexts():
        response = post(UploadRequestCheck(inner), handlers["assistance_form_state.stage_file"],
                        content=body, content_type="multipart/form-data; boundary=xyz")
    assert_refused(response, status, message)
    assert inner.disconnected
    assert BODY_MARKER not in caplog.text


@pytest.mark.parametrize(("bound", "ok"), [
    ({"kind": "pv_mise_en_service"}, True),
    ({}, False),  # kind is required
    ({"kind": 3}, False),  # wrong type
    ({"kind": "pv_mise_en_service", "extra": "x"}, False),  # not a parameter
    ({"kind": "pv_mise_en_service", "files": []}, False),  # the files come as parts
])
def test_bound_arguments_must_match_the_handler(handlers, portal_app, bound, ok):
    inner = Inner()
    with portal_app.set_contexts():
        response = post(UploadRequestCheck(inner), handlers["advance_state.stage_file"],
                        data={uv.ARGS_FIELD: json.dumps(bound)}, files={"files": PDF})
    if ok:
        assert response.status_code == 200
    else:
        assert_refused(response, 400, uv.MSG_ARGS)


def test_a_failing_handler_is_a_short_log_line_and_a_400(handlers, portal_app, caplog):
    caplog.set_level(logging.INFO)
    with portal_app.set_contexts():
        before = post(UploadRequestCheck(Inner(fail="before")), handlers["assistance_form_state.stage_file"],
                      files={"files": PDF})
        after = post(UploadRequestCheck(Inner(fail="after")), handlers["assistance_form_state.stage_file"],
                     files={"files": PDF})
    assert_refused(before, 400, uv.MSG_FAILED)
    assert after.status_code == 200 and after.text == '{"delta": {}}\n'  # ended cleanly
    lines = [r.getMessage() for r in caplog.records if r.name == "segur_app.upload"]
    assert lines == ["upload handler failed: TypeError", "upload handler failed: ValueError"]
    assert "Traceback" not in caplog.text


def test_other_requests_pass_through(handlers, portal_app):
    inner = Inner()

    async def scenario():
        transport = httpx.ASGITransport(app=UploadRequestCheck(inner))
        async with httpx.AsyncClient(transport=transport, base_url="http://portail.test") as client:
            return [await client.get("/_upload/x.pdf"), await client.post("/documents/1", content=b"x"),
                    await client.post("/_uploadx", content=b"x")]

    responses = asyncio.run(scenario())
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert inner.calls == 3
