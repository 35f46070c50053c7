"""UploadSizeGuard: upload bodies are capped before anything buffers them.

Tested as a real ASGI app through ``httpx.ASGITransport`` (which streams the
request body chunk by chunk), by driving the ASGI protocol directly, and
behind a real granian server speaking HTTP/1.1 on a socket.
"""

from __future__ import annotations

import asyncio
import json
import os
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from segur_app.api.upload_guard import (
    TOO_LARGE_MESSAGE,
    UPLOAD_REQUEST_LIMIT,
    UploadSizeGuard,
)
from segur_app.domain.uploads import MAX_UPLOAD_BYTES

LIMIT = 100_000
CHUNK = 8192
ROOT = Path(__file__).resolve().parents[1]


class Recorder:
    """Inner ASGI app: reads the whole body, records what it saw, answers 200."""

    def __init__(self) -> None:
        self.calls = 0
        self.received = 0
        self.messages: list[str] = []
        self.scopes: list[dict] = []

    @property
    def saw_disconnect(self) -> bool:
        return "http.disconnect" in self.messages

    async def __call__(self, scope, receive, send) -> None:
        self.calls += 1
        self.scopes.append(scope)
        if scope["type"] != "http":
            return
        while True:
            message = await receive()
            self.messages.append(message["type"])
            if message["type"] != "http.request":
                break
            self.received += len(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = json.dumps({"received": self.received}).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})


def client_for(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://portail.test")


def run(coro):
    return asyncio.run(coro)


class Producer:
    """Chunked request body (no Content-Length) that counts what was pulled."""

    def __init__(self, total: int, chunk: int = CHUNK, prefix: bytes = b"") -> None:
        self.total = total
        self.chunk = chunk
        self.prefix = prefix
        self.pulled = 0

    async def __aiter__(self):
        if self.prefix:
            self.pulled += len(self.prefix)
            yield self.prefix
        while self.pulled < self.total:
            size = min(self.chunk, self.total - self.pulled)
            self.pulled += size
            yield b"x" * size


def assert_too_large(response: httpx.Response) -> None:
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.json() == {"detail": TOO_LARGE_MESSAGE}
    assert response.headers["connection"] == "close"


# --------------------------------------------------------------------------- #
# Through httpx.ASGITransport
# --------------------------------------------------------------------------- #


def test_declared_oversize_is_refused_without_calling_the_app():
    inner = Recorder()
    guard = UploadSizeGuard(inner, max_body_bytes=LIMIT)

    async def scenario():
        async with client_for(guard) as client:
            return await client.post("/_upload", content=b"x" * (LIMIT + 1))

    response = run(scenario())
    assert_too_large(response)
    assert inner.calls == 0


def test_chunked_oversize_is_cut_at_the_limit():
    inner = Recorder()
    guard = UploadSizeGuard(inner, max_body_bytes=LIMIT)
    producer = Producer(total=50 * LIMIT)

    async def scenario():
        async with client_for(guard) as client:
            return await client.post("/_upload", content=producer)

    response = run(scenario())
    assert_too_large(response)
    assert inner.calls == 1
    assert inner.received <= LIMIT
    assert inner.saw_disconnect
    # Reading stopped right after the chunk that crossed the limit.
    assert producer.pulled <= LIMIT + CHUNK


def test_under_limit_upload_passes_through_whole():
    inner = Recorder()
    guard = UploadSizeGuard(inner, max_body_bytes=LIMIT)

    async def scenario():
        async with client_for(guard) as client:
            sized = await client.post("/_upload", content=b"y" * LIMIT)
            chunked = await client.post("/_upload", content=Producer(total=LIMIT - 1))
            return sized, chunked

    sized, chunked = run(scenario())
    assert sized.status_code == 200 and sized.json() == {"received": LIMIT}
    assert chunked.status_code == 200 and chunked.json() == {"received": 2 * LIMIT - 1}
    assert not inner.saw_disconnect


def test_multipart_upload_reaches_a_starlette_endpoint():
    seen = {}

    async def endpoint(request: Request):
        form = await request.form()
        upload = form["files"]
        seen["name"] = upload.filename
        seen["size"] = len(await upload.read())
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/_upload", endpoint, methods=["POST"])])
    guard = UploadSizeGuard(app, max_body_bytes=LIMIT)

    async def scenario():
        async with client_for(guard) as client:
            small = await client.post("/_upload", files={"files": ("pv.pdf", b"%" * 50_000)})
            big = await client.post("/_upload", files={"files": ("gros.pdf", b"%" * (LIMIT * 3))})
            return small, big

    small, big = run(scenario())
    assert small.status_code == 200
    assert seen == {"name": "pv.pdf", "size": 50_000}
    assert_too_large(big)


def test_starlette_endpoint_reading_a_chunked_oversize_gets_disconnected():
    """Starlette raises ClientDisconnect inside the endpoint: it is swallowed,
    the client gets the guard's 413, the endpoint's own reply is dropped."""
    outcome = {}

    async def endpoint(request: Request):
        try:
            await request.form()
        except Exception as exc:
            outcome["error"] = type(exc).__name__
            raise
        outcome["error"] = None
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/_upload", endpoint, methods=["POST"])])
    guard = UploadSizeGuard(app, max_body_bytes=LIMIT)
    producer = Producer(
        total=20 * LIMIT,
        prefix=b'--xyz\r\nContent-Disposition: form-data; name="files"; filename="gros.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n",
    )

    async def scenario():
        async with client_for(guard) as client:
            return await client.post(
                "/_upload",
                content=producer,
                headers={"content-type": "multipart/form-data; boundary=xyz"},
            )

    response = run(scenario())
    assert_too_large(response)
    assert outcome["error"] == "ClientDisconnect"
    assert producer.pulled <= LIMIT + CHUNK


def test_other_paths_and_methods_are_untouched():
    inner = Recorder()
    guard = UploadSizeGuard(inner, max_body_bytes=LIMIT)

    async def scenario():
        async with client_for(guard) as client:
            other = await client.post("/documents/import", content=b"z" * (3 * LIMIT))
            get = await client.get("/_upload/0123/pv.pdf")
            return other, get

    other, get = run(scenario())
    assert other.status_code == 200 and other.json() == {"received": 3 * LIMIT}
    assert get.status_code == 200
    assert inner.calls == 2
    assert not inner.saw_disconnect


def test_sub_paths_of_the_prefix_are_guarded():
    inner = Recorder()
    guard = UploadSizeGuard(inner, path_prefix="/backend/_upload", max_body_bytes=LIMIT)

    async def scenario():
        async with client_for(guard) as client:
            guarded = await client.post("/backend/_upload/chunk", content=b"x" * (LIMIT + 1))
            free = await client.post("/_upload", content=b"x" * (LIMIT + 1))
            return guarded, free

    guarded, free = run(scenario())
    assert_too_large(guarded)
    assert free.status_code == 200
    assert inner.calls == 1


def test_upload_limit_constant():
    assert UPLOAD_REQUEST_LIMIT == MAX_UPLOAD_BYTES + 256 * 1024 == 4_456_448


# --------------------------------------------------------------------------- #
# Driving the ASGI protocol directly
# --------------------------------------------------------------------------- #


def http_scope(path="/_upload", method="POST", headers=()):
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(name.encode(), value.encode()) for name, value in headers],
        "client": ("127.0.0.1", 1234),
        "server": ("portail.test", 80),
    }


def body_source(chunks: list[bytes]):
    state = {"served": 0}

    async def receive():
        if state["served"] < len(chunks):
            state["served"] += 1
            more = state["served"] < len(chunks)
            return {"type": "http.request", "body": chunks[state["served"] - 1], "more_body": more}
        await asyncio.sleep(3600)  # a real server would wait for the client

    return receive, state


def collect():
    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    return send, sent


def test_lying_content_length_is_cut_at_the_limit():
    inner = Recorder()
    guard = UploadSizeGuard(inner, max_body_bytes=LIMIT)
    receive, state = body_source([b"a" * 30_000] * 10)
    send, sent = collect()
    run(guard(http_scope(headers=[("content-length", "10")]), receive, send))
    assert sent[0]["status"] == 413
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert inner.received == 90_000
    assert state["served"] == 4  # 4th chunk crossed the limit: nothing read after it
    assert inner.messages[-1] == "http.disconnect"


def test_invalid_content_length_is_a_bad_request():
    inner = Recorder()
    guard = UploadSizeGuard(inner, max_body_bytes=LIMIT)
    for headers in ([("content-length", "12abc")], [("content-length", "5"), ("content-length", "6")]):
        send, sent = collect()
        receive, _ = body_source([b""])
        run(guard(http_scope(headers=headers), receive, send))
        assert sent[0]["status"] == 400
    assert inner.calls == 0


def test_response_already_started_is_not_replaced():
    """An app streaming its reply while reading: no 413 can be injected, it
    just sees the disconnect."""
    seen = {}

    async def echo(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        total = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                seen["disconnect_after"] = total
                break
            total += len(message["body"])
            await send({"type": "http.response.body", "body": b".", "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    guard = UploadSizeGuard(echo, max_body_bytes=LIMIT)
    receive, _ = body_source([b"a" * 60_000] * 5)
    send, sent = collect()
    run(guard(http_scope(), receive, send))
    assert sent[0]["status"] == 200
    assert all(m.get("status") != 413 for m in sent)
    assert seen["disconnect_after"] == 60_000


def test_inner_errors_propagate_when_the_guard_did_not_answer():
    async def broken(scope, receive, send):
        await receive()
        raise RuntimeError("bug")

    guard = UploadSizeGuard(broken, max_body_bytes=LIMIT)
    receive, _ = body_source([b"small"])
    send, _ = collect()
    with pytest.raises(RuntimeError, match="bug"):
        run(guard(http_scope(), receive, send))


@pytest.mark.parametrize("scope_type", ["websocket", "lifespan"])
def test_websocket_and_lifespan_pass_through_untouched(scope_type):
    calls = []

    async def inner(scope, receive, send):
        calls.append((scope, receive, send))

    guard = UploadSizeGuard(inner, max_body_bytes=0)
    scope = {"type": scope_type, "path": "/_upload"} if scope_type == "websocket" else {"type": "lifespan"}

    async def receive():
        return {}

    async def send(message):
        return None

    run(guard(scope, receive, send))
    assert calls == [(scope, receive, send)]


def test_max_body_bytes_is_required_keyword():
    with pytest.raises(TypeError):
        UploadSizeGuard(Recorder())  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        UploadSizeGuard(Recorder(), "/_upload", LIMIT)  # type: ignore[misc]


# --------------------------------------------------------------------------- #
# Behind a real HTTP server (granian)
# --------------------------------------------------------------------------- #

SERVED_LIMIT = 200_000


async def _served_inner(scope, receive, send):
    """Inner app of the served guard: logs what it received to a file."""
    if scope["type"] != "http":
        return
    received, disconnected = 0, False
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            disconnected = True
            break
        received += len(message.get("body", b""))
        if not message.get("more_body", False):
            break
    log = os.environ.get("SEGUR_GUARD_TEST_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"{scope['path']} {received} {disconnected}\n")
    body = str(received).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


served_app = UploadSizeGuard(_served_inner, max_body_bytes=SERVED_LIMIT)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def granian_server(tmp_path_factory):
    granian = Path(sys.executable).with_name("granian")
    # granian comes with reflex (requirements.txt): its absence is a broken install.
    assert granian.exists(), "granian missing from the virtualenv: pip install -r requirements.txt"
    log = tmp_path_factory.mktemp("guard") / "inner.log"
    log.touch()
    port = _free_port()
    process = subprocess.Popen(
        [str(granian), "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port),
         "--workers", "1", "--no-ws", "tests.test_upload_guard:served_app"],
        cwd=ROOT,
        env={**os.environ, "SEGUR_GUARD_TEST_LOG": str(log)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"granian did not start: {process.stderr.read().decode()[-2000:]}")
                time.sleep(0.1)
        yield port, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _raw_request(port: int, head: bytes, chunks=(), *, chunked: bool = False):
    """Send ``head`` then body chunks until the server answers; return
    (status line, body, bytes sent)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sent = 0
    try:
        sock.sendall(head)
        try:
            for chunk in chunks:
                if select.select([sock], [], [], 0)[0]:
                    break  # the server already answered
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
                sent += len(chunk)
            else:
                if chunked:
                    sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server may close the connection while we still send
        data = b""
        while b"\r\n\r\n" not in data:
            part = sock.recv(65536)
            if not part:
                break
            data += part
        header, _, body = data.partition(b"\r\n\r\n")
        lines = header.split(b"\r\n")
        length = next(
            (int(line.split(b":")[1]) for line in lines if line.lower().startswith(b"content-length:")),
            0,
        )
        while len(body) < length:
            part = sock.recv(65536)
            if not part:
                break
            body += part
        return lines[0].decode(), body, sent
    finally:
        sock.close()


def _log_lines(log: Path, count: int = 1) -> list[str]:
    """The inner app's log once it holds ``count`` lines (or what it holds after 10 s)."""
    deadline = time.monotonic() + 10
    while True:
        lines = log.read_text(encoding="utf-8").splitlines()
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def test_real_server_refuses_declared_oversize_before_the_body(granian_server):
    port, log = granian_server
    log.write_text("")
    started = time.monotonic()
    status, body, _ = _raw_request(
        port,
        b"POST /_upload HTTP/1.1\r\nHost: portail\r\nContent-Type: multipart/form-data; "
        b"boundary=x\r\nContent-Length: 104857600\r\n\r\n",  # 100 MB announced, none sent
    )
    assert time.monotonic() - started < 5
    assert status.startswith("HTTP/1.1 413")
    assert json.loads(body) == {"detail": TOO_LARGE_MESSAGE}
    # A request made after it is logged alone: the inner app never saw the first.
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        assert client.post("/api/marker", content=b"m").status_code == 200
    assert _log_lines(log) == ["/api/marker 1 False"]


def test_real_server_cuts_a_chunked_oversize(granian_server):
    port, log = granian_server
    log.write_text("")
    status, body, sent = _raw_request(
        port,
        b"POST /_upload HTTP/1.1\r\nHost: portail\r\nTransfer-Encoding: chunked\r\n\r\n",
        [b"x" * 65536] * 320,  # 20 MB offered
        chunked=True,
    )
    assert status.startswith("HTTP/1.1 413")
    assert json.loads(body) == {"detail": TOO_LARGE_MESSAGE}
    assert sent < 320 * 65536  # the client was stopped early
    path, received, disconnected = _log_lines(log)[0].split()
    assert path == "/_upload"
    assert int(received) <= SERVED_LIMIT
    assert disconnected == "True"


def test_real_server_passes_small_uploads_and_other_paths(granian_server):
    port, log = granian_server
    log.write_text("")
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        small = client.post("/_upload", files={"files": ("pv.pdf", b"%" * 100_000)})
        other = client.post("/api/other", content=b"o" * (SERVED_LIMIT * 2))
    assert small.status_code == 200 and 100_000 < int(small.text) <= SERVED_LIMIT
    assert other.status_code == 200 and int(other.text) == SERVED_LIMIT * 2
    assert [line.split()[0] for line in _log_lines(log, 2)] == ["/_upload", "/api/other"]


def test_the_refusal_names_the_limit_of_the_upload_policy():
    assert TOO_LARGE_MESSAGE == "Fichier trop volumineux : la taille maximum est de 4 Mo."
