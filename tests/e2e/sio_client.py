"""A minimal Socket.IO (Engine.IO v4, websocket transport) client for tests.

It speaks to the portal's ``/_event`` endpoint the way the Reflex frontend
does, so that tests can send what no browser would: malformed events, floods,
a foreign ``Origin``. Plain blocking socket + ``wsproto`` (installed with
python-socketio), no thread: every byte the server sends is read in order.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
import uuid
from collections import deque
from typing import Any
from urllib.parse import urlsplit

from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    Ping,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)

NAMESPACE = "/_event"


class Refused(Exception):
    """The server refused the websocket handshake or the namespace."""


class SioClient:
    def __init__(self, base_url: str, *, origin: str | None = None, token: str | None = None,
                 headers: dict[str, str] | None = None, timeout: float = 10) -> None:
        self.token = token or str(uuid.uuid4())
        self.timeout = timeout
        self.connected = False
        self._messages: deque[str] = deque()
        self._partial = ""
        parts = urlsplit(base_url)
        self.sock = socket.create_connection((parts.hostname, parts.port or 80), timeout=timeout)
        self.ws = WSConnection(ConnectionType.CLIENT)
        extra = [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()]
        if origin is not None:
            extra.append((b"origin", origin.encode()))
        target = f"{NAMESPACE}/?token={self.token}&EIO=4&transport=websocket"
        self.sock.sendall(self.ws.send(Request(host=parts.netloc, target=target, extra_headers=extra)))
        deadline = time.monotonic() + timeout
        while not self.connected:
            for event in self._read(deadline):
                if isinstance(event, RejectConnection):
                    self.sock.close()
                    raise Refused(f"handshake refused: {event.status_code}")
                if isinstance(event, AcceptConnection):
                    self.connected = True
            if time.monotonic() > deadline:
                raise Refused("no handshake answer")
        opening = self._next_raw()
        if opening is None or not opening.startswith("0"):
            raise Refused(f"no Engine.IO open packet: {opening!r}")
        self._send_text(f"40{NAMESPACE},")
        reply = self._next_raw()
        if reply is None or not reply.startswith(f"40{NAMESPACE},"):
            raise Refused(f"namespace refused: {reply!r}")
        self.sid = json.loads(reply.split(",", 1)[1])["sid"]

    # -- transport -------------------------------------------------------------------

    def _read(self, deadline: float) -> list[Any]:
        """Events from one read (empty on timeout); marks the connection closed."""
        self.sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            return []
        except OSError:
            data = b""
        self.ws.receive_data(data or None)
        events = []
        for event in self.ws.events():
            if isinstance(event, Ping):
                self.sock.sendall(self.ws.send(event.response()))
            elif isinstance(event, CloseConnection):
                self._hang_up()
            elif isinstance(event, TextMessage):
                self._partial += event.data
                if event.message_finished:
                    self._messages.append(self._partial)
                    self._partial = ""
            elif not isinstance(event, RejectData):
                events.append(event)
        if not data:
            self._hang_up()
        return events

    def _hang_up(self) -> None:
        self.connected = False
        try:
            self.sock.close()
        except OSError:
            pass

    def _send_text(self, text: str) -> None:
        if not self.connected:
            raise ConnectionError("the connection is closed")
        self.sock.sendall(self.ws.send(TextMessage(data=text)))

    def _next_raw(self, timeout: float | None = None) -> str | None:
        """The next Engine.IO packet that is not a ping (pings are answered);
        None on timeout or once the server has hung up."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            while self._messages:
                packet = self._messages.popleft()
                if packet == "2":
                    self._send_text("3")
                    continue
                if packet == "1":  # Engine.IO close: the server hangs up
                    self._hang_up()
                    return None
                return packet
            if not self.connected or time.monotonic() > deadline:
                return None
            self._read(deadline)

    # -- Socket.IO -------------------------------------------------------------------

    def emit(self, event: str, data: Any) -> None:
        self._send_text(f"42{NAMESPACE}," + json.dumps([event, data]))

    def next_event(self, timeout: float | None = None) -> tuple[str, Any] | None:
        """The next ``(name, data)`` event from the server, or None (timeout/closed)."""
        prefix = f"42{NAMESPACE},"
        while True:
            packet = self._next_raw(timeout)
            if packet is None:
                return None
            if packet.startswith(prefix):
                name, *rest = json.loads(packet[len(prefix):])
                return name, (rest[0] if rest else None)

    def wait_closed(self, timeout: float | None = None) -> bool:
        """Read until the server hangs up; True if it did within ``timeout``."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while self.connected and time.monotonic() < deadline:
            self._next_raw(deadline - time.monotonic())
        return not self.connected

    def close(self) -> None:
        if self.connected:
            with contextlib.suppress(OSError):  # the server may be gone already
                self.sock.sendall(self.ws.send(CloseConnection(code=1000)))
        self._hang_up()
