"""The reverse-proxy samples in deploy/ agree with what the portal needs."""

from __future__ import annotations

import re

from segur_app.core.config import PROJECT_ROOT
from segur_app.domain.uploads import MAX_UPLOAD_BYTES

NGINX = (PROJECT_ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
CADDY = (PROJECT_ROOT / "deploy" / "Caddyfile").read_text(encoding="utf-8")
README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
# An attachment plus its multipart envelope (segur_app/api/upload_guard.py).
LARGEST_REQUEST = MAX_UPLOAD_BYTES + 256 * 1024


def test_nginx_sample_forwards_the_client_and_the_websocket():
    size = re.search(r"client_max_body_size\s+(\d+)m;", NGINX)
    assert size and int(size.group(1)) * 1024 * 1024 >= LARGEST_REQUEST
    event = NGINX[NGINX.index("location /_event"):]
    event = " ".join(event[:event.index("}")].split())
    for directive in ("Upgrade $http_upgrade;", "X-Forwarded-For $proxy_add_x_forwarded_for;",
                      "X-Forwarded-Proto $scheme;", "proxy_http_version 1.1;"):
        assert directive in event
    root = " ".join(NGINX[NGINX.index("location / {"):].split())
    assert "X-Forwarded-For $proxy_add_x_forwarded_for;" in root
    assert "X-Forwarded-Proto $scheme;" in root
    assert "ssl_certificate " in NGINX
    upstream = NGINX[NGINX.index("upstream segur_portal"):]
    upstream = upstream[:upstream.index("}")]
    assert len(re.findall(r"^\s*server \S+:3000", upstream, re.M)) == 2  # two app machines


def test_caddy_sample_limits_bodies_and_proxies_to_the_single_port():
    size = re.search(r"max_size\s+(\d+)MiB", CADDY)
    assert size and int(size.group(1)) * 1024 * 1024 >= LARGEST_REQUEST
    assert re.search(r"reverse_proxy \S+:3000 \S+:3000", CADDY)  # two app machines
    assert "health_uri /_health" in CADDY


def test_systemd_unit_stops_every_worker_and_reads_its_settings():
    unit = (PROJECT_ROOT / "deploy" / "segur-portail.service").read_text(encoding="utf-8")
    assert "KillMode=control-group" in unit and "Restart=always" in unit
    assert "EnvironmentFile=/etc/segur-portail/env" in unit
    assert "reflex run --env prod --single-port" in unit
    env = (PROJECT_ROOT / "deploy" / "segur-portail.env").read_text(encoding="utf-8")
    for name in ("SEGUR_ENV=production", "REFLEX_DB_URL=postgresql://", "REFLEX_REDIS_URL=redis://",
                 "SEGUR_TRUSTED_PROXIES=", "SEGUR_PUBLIC_URL=https://", "SEGUR_BIND_HOST="):
        assert name in env


def test_readme_documents_the_production_profile():
    section = README[README.index("## Mise en production"):]
    for needle in ("deploy/segur-portail.service", "deploy/nginx.conf", "deploy/Caddyfile",
                   "`SEGUR_WORKERS`", "`REFLEX_REDIS_LOCK_EXPIRATION`", "pg_dump", "versioning",
                   "pg_restore", "storage-check", "make drills"):
        assert needle in section, needle


def test_readme_documents_the_setting_and_points_to_the_samples():
    section = README[README.index("### Proxy inverse et adresse du client"):]
    assert "SEGUR_TRUSTED_PROXIES" in section
    assert "deploy/nginx.conf" in section and "deploy/Caddyfile" in section
    assert "| `SEGUR_TRUSTED_PROXIES` |" in README
