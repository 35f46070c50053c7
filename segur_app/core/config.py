"""Typed settings, read once from the environment.

Our own variables use the ``SEGUR_`` prefix; the database and Redis URLs follow
Reflex's convention (``REFLEX_DB_URL``, ``REFLEX_REDIS_URL``) so that Reflex and
our code always talk to the same database.
"""

from __future__ import annotations

import ipaddress
import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
VAR_DIR = PROJECT_ROOT / "var"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Networks = tuple[Network, ...]


def parse_networks(value: str | list | tuple | None) -> Networks:
    """IP addresses and CIDR networks, comma-separated (``"10.0.0.1, fd00::/8"``).

    A bare address is a one-address network. Raises ``ValueError`` naming the
    first entry that is neither an address nor a network (host bits set in a
    CIDR, e.g. ``10.0.0.1/8``, are refused as a probable typo).
    """
    if value is None:
        return ()
    entries = value.split(",") if isinstance(value, str) else list(value)
    networks: list[Network] = []
    for entry in entries:
        if isinstance(entry, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
            networks.append(entry)
            continue
        text = str(entry).strip()
        if not text:
            continue
        try:
            network = ipaddress.ip_network(text)
        except ValueError as error:
            raise ValueError(
                f"SEGUR_TRUSTED_PROXIES: {text!r} is not an IP address or a CIDR network "
                f"({error}); expected e.g. '127.0.0.1, 10.0.0.0/8, ::1'"
            ) from None
        mapped = getattr(network.network_address, "ipv4_mapped", None)
        if mapped is not None and network.prefixlen >= 96:  # ::ffff:a.b.c.d/n
            network = ipaddress.ip_network(f"{mapped}/{network.prefixlen - 96}")
        networks.append(network)
    return tuple(networks)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SEGUR_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"

    # --- persistence -------------------------------------------------------
    db_url: str = Field(
        default=f"sqlite:///{VAR_DIR / 'segur.db'}",
        validation_alias=AliasChoices("REFLEX_DB_URL", "SEGUR_DB_URL"),
    )
    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("REFLEX_REDIS_URL")
    )
    # Backend worker processes of one machine (granian). Unset: one per core.
    # Several workers need Redis (REFLEX_REDIS_URL): without it there is one.
    workers: int | None = Field(default=None, ge=1)
    # Redis health check period of each worker (state/redis_health.py): while
    # Redis does not answer, events are refused with a French message.
    redis_check_seconds: float = Field(default=1.0, gt=0)
    # Private documents (attachments): never under assets/ or uploaded_files/.
    storage_dir: Path = VAR_DIR / "storage"
    # An S3-compatible object store instead of storage_dir: "s3://bucket/prefix"
    # (domain/storage/s3.py). Unset: the directory above.
    storage_url: str | None = None
    # How to reach it; unset credentials/region = boto3's standard chain
    # (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION, profiles, roles).
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    # Connection and read timeout of each request, and attempts per operation:
    # an unreachable store refuses a deposit within about attempts × timeout.
    s3_timeout_seconds: float = Field(default=5.0, gt=0)
    s3_max_attempts: int = Field(default=3, ge=1)
    # Files no row references are removed once older than this (storage-check
    # and the hourly sweep); it must exceed the longest deposit transaction.
    storage_grace_seconds: float = Field(default=3600.0, ge=0)
    # Each backend worker renders its PDF documents (receipts) in a helper
    # process of its own (domain/pdf_process.py); off: in the worker.
    pdf_process: bool = True
    # Files chosen in a form but never deposited are removed after this.
    staging_max_age_seconds: float = Field(default=24 * 3600.0, ge=0)

    # --- mail --------------------------------------------------------------
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_tls: bool = False
    smtp_timeout: float = 10.0
    mail_from: str = "Portail Ségur Numérique <ne-pas-repondre@segurnum.asp-public.fr>"
    # Embedded default when no SMTP host is configured: .eml files land here.
    outbox_dir: Path = VAR_DIR / "outbox"
    # Background delivery: poll period, retry back-off and give-up threshold.
    mail_poll_seconds: float = 5.0
    mail_retry_base_seconds: float = 30.0
    mail_retry_max_seconds: float = 3600.0
    mail_max_attempts: int = 20

    # --- portal ------------------------------------------------------------
    # Public address of the portal: every absolute link (emails) is built from
    # it by segur_app.links.absolute_url, the assistance link included.
    public_url: str = "http://localhost:3000"
    advance_amount: int = 30000
    balance_amount: int = 70000
    # Pieces required for the balance request (AttachmentKind values), e.g.
    # SEGUR_BALANCE_DOCUMENTS='["facture","pv_verification"]'.
    balance_documents: list[str] = ["facture", "pv_verification"]
    # TrueType fonts of the generated PDF documents (receipts, decision letters):
    # DejaVuSans.ttf, DejaVuSans-Bold.ttf, DejaVuSansMono.ttf (Debian fonts-dejavu-core).
    pdf_font_dir: Path = Path("/usr/share/fonts/truetype/dejavu")
    # « Demande de compléments »: days the supplier has to send the pieces asked
    # for (a reminder is emailed 7 days before the deadline).
    correction_delay_days: int = Field(default=30, ge=1, le=365)
    # Reverse proxies whose X-Forwarded-For is believed (core/client_address.py):
    # SEGUR_TRUSTED_PROXIES="127.0.0.1, 10.0.0.0/8, ::1". Empty: the TCP peer is
    # the client, whatever the headers say.
    trusted_proxies: Annotated[Networks, NoDecode] = ()

    @field_validator("storage_url")
    @classmethod
    def _check_storage_url(cls, value):
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
            raise ValueError(f"SEGUR_STORAGE_URL: {value!r} is not s3://bucket or "
                             "s3://bucket/prefix")
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _parse_trusted_proxies(cls, value):
        return parse_networks(value)

    # --- antivirus (domain/antivirus.py) ----------------------------------
    # ``required``: a file is accepted only once clamd has found it clean (clamd
    # unavailable → refused); ``optional``: clamd unavailable → accepted with the
    # result « erreur »; ``off``: not scanned. Unset: ``required`` in
    # production, ``off`` otherwise (the embedded ``make run``).
    antivirus: Literal["required", "optional", "off"] | None = None
    # clamd's socket: a unix socket path (``/run/clamav/clamd.ctl``,
    # ``unix:///…``) or ``host:port`` (TCP).
    clamd_socket: str = "/var/run/clamav/clamd.ctl"
    # Seconds to wait for clamd (connection and verdict) before « erreur ».
    clamd_timeout: float = Field(default=30.0, gt=0)

    # --- hostile input -----------------------------------------------------
    # Websocket events per connection: a token bucket refilled at
    # ``ws_event_rate`` events/s holding at most ``ws_event_burst``; a client
    # that empties it, or sends ``ws_max_malformed_events`` malformed events,
    # is disconnected.
    ws_event_rate: float = Field(default=30.0, gt=0)
    ws_event_burst: int = Field(default=60, ge=1)
    ws_max_malformed_events: int = Field(default=20, ge=1)
    # Log lines about one connection's rejected events / failing handlers per
    # minute (then one « suppressed » line); the whole process at most
    # ``ws_log_lines_per_minute_total``.
    ws_log_lines_per_connection: int = Field(default=5, ge=1)
    ws_log_lines_per_minute_total: int = Field(default=100, ge=1)
    # Strict-Transport-Security max-age (sent only when public_url is https).
    hsts_max_age: int = Field(default=365 * 24 * 3600, ge=0)

    @property
    def backend_workers(self) -> int:
        """Granian workers: ``SEGUR_WORKERS`` (default: the cores), 1 without Redis
        (Reflex's disk state manager is per process)."""
        if not self.redis_url:
            return 1
        return self.workers or os.cpu_count() or 1

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def antivirus_mode(self) -> str:
        """``required``, ``optional`` or ``off`` (see ``antivirus``)."""
        if self.antivirus is not None:
            return self.antivirus
        return "required" if self.is_production else "off"

    @property
    def is_https(self) -> bool:
        """Served over https: Secure cookies with the ``__Host-`` prefix."""
        return self.public_url.lower().startswith("https://")

    @property
    def public_origin(self) -> str:
        """``scheme://host[:port]`` of ``public_url`` (what browsers send as Origin)."""
        parts = urlsplit(self.public_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"SEGUR_PUBLIC_URL must be an http(s) URL: {self.public_url!r}")
        return f"{parts.scheme}://{parts.netloc.lower()}"

    @property
    def allowed_origins(self) -> list[str]:
        """Origins allowed by CORS and the websocket: the portal's own; in
        development also the Vite dev server's (``reflex run --env dev``), and
        on this machine both of its names (``localhost`` and ``127.0.0.1``: a
        newcomer may open either — with the other one the page would load but
        its websocket would be refused)."""
        origins = [self.public_origin]
        if self.env == "development":
            parts = urlsplit(self.public_origin)
            if parts.hostname in LOOPBACK_NAMES:
                port = f":{parts.port}" if parts.port else ""
                origins += [f"{parts.scheme}://{name}{port}" for name in LOOPBACK_NAMES]
            origins += [f"http://{name}:3000" for name in LOOPBACK_NAMES]
        return list(dict.fromkeys(origins))


LOOPBACK_NAMES = ("localhost", "127.0.0.1")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (cached; tests call ``get_settings.cache_clear()``)."""
    return Settings()
