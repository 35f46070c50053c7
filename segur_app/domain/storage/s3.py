"""An S3-compatible object store as a document store (``SEGUR_STORAGE_URL=s3://bucket/prefix``).

Objects are ``<prefix><name>`` in one private bucket, written and read with
boto3. Nothing is ever public and no presigned URL is made: downloads are
streamed through the portal (``/documents/{id}``), which checks the session
first.

- a PUT is atomic and durable when it returns; a copy is a server-side
  ``CopyObject`` (a new object, modified "now");
- :meth:`S3Store.writing` gives a real, unnamed temporary file on local disk
  (the upload checks map it), uploaded when the block ends: the only local
  trace of a document, gone with the file handle whatever happens;
- every failure to reach the store or to be answered (connection refused,
  timeout, credentials, 5xx) is :class:`StorageUnavailable` — the caller
  refuses cleanly; a missing object is ``FileNotFoundError``.

boto3 ≥ 1.36 adds CRC checksums to every upload by default, which several
S3-compatible servers refuse; checksums are only sent when an operation
requires them (the portal verifies every document's sha256 itself).
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import urlsplit

import boto3
from boto3.exceptions import Boto3Error
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from segur_app.domain.storage.base import Entry, StorageUnavailable

_MISSING = {"NoSuchKey", "NotFound", "404"}
_TRANSFER = TransferConfig(multipart_threshold=64 * 1024 * 1024,
                           multipart_chunksize=16 * 1024 * 1024, use_threads=False)


@dataclass(frozen=True)
class S3Settings:
    """How to reach the store (``SEGUR_S3_*``; None = boto3's standard chain:
    ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``AWS_DEFAULT_REGION``, profiles, roles)."""

    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    timeout_seconds: float = 5.0
    max_attempts: int = 3


def parse_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` → ``("bucket", "some/prefix/")``; ValueError otherwise."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(
            f"SEGUR_STORAGE_URL: {url!r} is not s3://bucket or s3://bucket/prefix")
    prefix = parts.path.strip("/")
    return parts.netloc, f"{prefix}/" if prefix else ""


def make_client(settings: S3Settings):
    """A thread-safe boto3 S3 client (one per process is enough)."""
    config = Config(
        connect_timeout=settings.timeout_seconds,
        read_timeout=settings.timeout_seconds,
        retries={"max_attempts": settings.max_attempts, "mode": "standard"},
        s3={"addressing_style": "path" if settings.endpoint_url else "auto"},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        max_pool_connections=32,
    )
    return boto3.session.Session().client(
        "s3", endpoint_url=settings.endpoint_url, region_name=settings.region,
        aws_access_key_id=settings.access_key_id,
        aws_secret_access_key=settings.secret_access_key, config=config)


@contextlib.contextmanager
def _answered(operation: str, name: str) -> Iterator[None]:
    """Translate the client's errors (see the module docstring)."""
    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        if str(error.get("Code")) in _MISSING:
            raise FileNotFoundError(name) from None
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        raise StorageUnavailable(
            f"object store: {operation} {name} refused ({error.get('Code')}, HTTP {status})"
        ) from exc
    except (BotoCoreError, Boto3Error) as exc:
        raise StorageUnavailable(f"object store: {operation} {name} failed ({exc})") from exc


class _Body(io.RawIOBase):
    """An object's streamed content; a failure while reading is StorageUnavailable."""

    def __init__(self, body, name: str) -> None:
        self._body, self._name = body, name

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        with _answered("get", self._name):
            return self._body.read(None if size is None or size < 0 else size)

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


class S3Store:
    """Objects of one bucket under one prefix (see the module docstring)."""

    def __init__(self, *, bucket: str, prefix: str = "", settings: S3Settings,
                 tmp_dir: str | None = None):
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        self.bucket, self.prefix, self.settings, self.tmp_dir = bucket, prefix, settings, tmp_dir
        self.location = f"s3://{bucket}/{prefix}"
        self._client, self._pid = None, None

    @classmethod
    def from_url(cls, url: str, settings: S3Settings) -> "S3Store":
        bucket, prefix = parse_url(url)
        return cls(bucket=bucket, prefix=prefix, settings=settings)

    @property
    def client(self):
        """This process's client: a forked worker never shares its parent's connections."""
        if self._pid != os.getpid():
            self._client, self._pid = make_client(self.settings), os.getpid()
        return self._client

    def __repr__(self) -> str:
        return f"S3Store({self.location!r})"

    def _key(self, name: str) -> str:
        if not name or name.startswith("/") or ".." in name.split("/"):
            raise ValueError("invalid object name")
        return self.prefix + name

    def put_stream(self, name: str, source: BinaryIO) -> None:
        with _answered("put", name):
            self.client.upload_fileobj(source, self.bucket, self._key(name), Config=_TRANSFER)

    @contextlib.contextmanager
    def writing(self, name: str) -> Iterator[BinaryIO]:
        key = self._key(name)
        # Unnamed (O_TMPFILE or unlinked at once): nothing survives a crash.
        with tempfile.TemporaryFile(dir=self.tmp_dir, prefix="segur-upload-") as fh:
            yield fh
            fh.flush()
            fh.seek(0)
            with _answered("put", name):
                self.client.upload_fileobj(fh, self.bucket, key, Config=_TRANSFER)

    def open(self, name: str) -> BinaryIO:
        with _answered("get", name):
            body = self.client.get_object(Bucket=self.bucket, Key=self._key(name))["Body"]
        return _Body(body, name)

    def stat(self, name: str) -> Entry | None:
        try:
            with _answered("head", name):
                head = self.client.head_object(Bucket=self.bucket, Key=self._key(name))
        except FileNotFoundError:
            return None
        return Entry(name=name, size_bytes=head["ContentLength"],
                     mtime=head["LastModified"].timestamp())

    def exists(self, name: str) -> bool:
        return self.stat(name) is not None

    def delete(self, name: str) -> None:
        with _answered("delete", name):  # a missing object answers 204 too
            self.client.delete_object(Bucket=self.bucket, Key=self._key(name))

    def list(self, prefix: str = "") -> Iterator[Entry]:
        paginator = self.client.get_paginator("list_objects_v2")
        with _answered("list", prefix or "/"):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                for item in page.get("Contents", ()):
                    yield Entry(name=item["Key"][len(self.prefix):], size_bytes=item["Size"],
                                mtime=item["LastModified"].timestamp())

    def sync(self, file) -> None:
        return None  # a temporary file: it is uploaded when the block ends

    def release(self, file) -> None:
        return None  # a temporary file, still to be read: it is uploaded when the block ends

    def seal(self, file) -> str:
        return ""  # the copy is verified by reading it back (publish_staged)

    def unchanged(self, name: str, seal: str) -> bool:
        return False

    def copy(self, source: str, target: str) -> None:
        with _answered("copy", target):
            self.client.copy_object(Bucket=self.bucket, Key=self._key(target),
                                    CopySource={"Bucket": self.bucket, "Key": self._key(source)})
