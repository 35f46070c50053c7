"""An S3-compatible server on this machine, for the tests and the drills.

No production S3 server (MinIO, Garage, SeaweedFS, Ceph RGW without a Ceph
cluster) can be installed from the package registries this project uses, so
the tests run boto3 against **moto's server mode** (``moto[server]``, PyPI): a
protocol-faithful emulator of the S3 REST API (ListObjectsV2 paging,
CopyObject, multipart uploads, S3's XML errors; signatures are accepted, not
verified), run as its own
process on a loopback port. Its objects live in the process (spilled to
temporary files under ``data_dir`` beyond 64 KiB); they do not survive
:meth:`S3Server.stop` — :meth:`S3Server.pause` / :meth:`S3Server.resume`
make the store unreachable (requests time out) and bring it back with its
objects.

From pytest: the ``s3_server`` fixture (``tests/conftest.py``). From anything
else (the drills)::

    from tests.s3_server import start_s3_server
    server = start_s3_server(9000, Path("/tmp/s3"), bucket="segur")
    os.environ.update(server.settings_env("segur", "documents"))  # SEGUR_STORAGE_URL…
    ...
    server.stop()

or in a terminal: ``python -m tests.s3_server --port 9000 --data-dir /tmp/s3 --bucket segur``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ACCESS_KEY_ID = "segur-test"
SECRET_ACCESS_KEY = "segur-test-secret"
REGION = "eu-west-3"
START_TIMEOUT_SECONDS = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"GET /moto-api/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            return sock.recv(12).startswith(b"HTTP/1.")
    except OSError:
        return False


@dataclass
class S3Server:
    """A running S3-compatible server (see the module docstring)."""

    url: str
    port: int
    data_dir: Path
    process: subprocess.Popen = field(repr=False)
    access_key_id: str = ACCESS_KEY_ID
    secret_access_key: str = SECRET_ACCESS_KEY
    region: str = REGION

    def client(self):
        """A plain boto3 client on this server (the tests' own look at the bucket)."""
        from segur_app.domain.storage import s3

        return s3.make_client(self.s3_settings(timeout_seconds=5.0, max_attempts=2))

    def s3_settings(self, **changes):
        from segur_app.domain.storage import s3

        options = dict(endpoint_url=self.url, region=self.region,
                       access_key_id=self.access_key_id,
                       secret_access_key=self.secret_access_key)
        return s3.S3Settings(**{**options, **changes})

    def create_bucket(self, bucket: str) -> None:
        client = self.client()
        try:
            client.create_bucket(Bucket=bucket, CreateBucketConfiguration={
                "LocationConstraint": self.region})
        except client.exceptions.BucketAlreadyOwnedByYou:
            pass

    def settings_env(self, bucket: str, prefix: str = "") -> dict[str, str]:
        """The portal's settings for this server (environment variables)."""
        return {
            "SEGUR_STORAGE_URL": f"s3://{bucket}/{prefix}".rstrip("/"),
            "SEGUR_S3_ENDPOINT_URL": self.url,
            "SEGUR_S3_REGION": self.region,
            "SEGUR_S3_ACCESS_KEY_ID": self.access_key_id,
            "SEGUR_S3_SECRET_ACCESS_KEY": self.secret_access_key,
        }

    def link(self, port: int | None = None) -> Link:
        """A relay to this server that can be cut (see :class:`Link`)."""
        return Link(self.port, port)

    def pause(self) -> None:
        """Unreachable: the process is stopped (connections hang, then time out)."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        """Stop the server (its objects are lost); idempotent."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> "S3Server":
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()


class Link:
    """A TCP relay in front of the server that can be cut: while cut, every
    connection is refused and those open are reset — the store is unreachable,
    its objects intact. ``server.link()`` makes one; point the portal at
    ``link.url``.
    """

    def __init__(self, target_port: int, port: int | None = None) -> None:
        self.target_port = target_port
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        """Reachable again (idempotent)."""
        with self._lock:
            if self._listener is not None:
                return
            listener = socket.socket()
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self.port))
            listener.listen(64)
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Unreachable: refuse new connections, reset the open ones."""
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, set()
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.close()

    close = cut

    @contextlib.contextmanager
    def unreachable(self):
        self.cut()
        try:
            yield
        finally:
            self.restore()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    upstream.close()
                    return
                self._sockets |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            with self._lock:
                self._sockets -= {source, sink}


def start_s3_server(port: int | None = None, data_dir: Path | None = None, *,
                    bucket: str | None = None) -> S3Server:
    """Start the server on ``127.0.0.1:port`` (a free port when None), wait
    until it answers, create ``bucket`` if given. Stop it with ``.stop()``."""
    port = port or free_port()
    data_dir = Path(data_dir or tempfile.mkdtemp(prefix="segur-s3-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "TMPDIR": str(data_dir),  # where objects beyond the buffer size are spilled
        "MOTO_S3_DEFAULT_KEY_BUFFER_SIZE": str(64 * 1024),
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
    }
    log = open(data_dir / "server.log", "ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
    )
    log.close()
    server = S3Server(url=f"http://127.0.0.1:{port}", port=port, data_dir=data_dir,
                      process=process)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not _answers(port):
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"the S3 server did not start: see {data_dir / 'server.log'}")
        time.sleep(0.1)
    if bucket:
        server.create_bucket(bucket)
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--bucket", default="segur")
    args = parser.parse_args(argv)
    server = start_s3_server(args.port, args.data_dir, bucket=args.bucket)
    for name, value in server.settings_env(args.bucket).items():
        print(f"{name}={value}", flush=True)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
