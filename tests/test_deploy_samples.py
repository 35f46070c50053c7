"""The reverse-proxy samples in deploy/ agree with what the portal needs."""

from __future__ import annotations

import os
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


def _binary(name: str) -> str:
    import shutil

    import pytest

    path = shutil.which(name) or (f"/usr/sbin/{name}" if os.path.exists(f"/usr/sbin/{name}") else None)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing: .ci/run installs it")
        pytest.skip(f"{name} is not installed (apt-get install -y nginx-light caddy)")
    return path


def test_nginx_accepts_the_sample(tmp_path):
    """`nginx -t` on the sample, inside a minimal main configuration, with a
    throw-away certificate at the placeholders' paths."""
    import subprocess

    nginx = _binary("nginx")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=portail.example.fr", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    site = (PROJECT_ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    site = site.replace("/etc/ssl/segur/fullchain.pem", str(cert))
    site = site.replace("/etc/ssl/segur/privkey.pem", str(key))
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log {tmp_path}/access.log;\n  include {tmp_path}/site.conf;\n}}\n",
        encoding="utf-8")
    result = subprocess.run([nginx, "-t", "-c", str(main)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_caddy_accepts_the_sample():
    import subprocess

    caddy = _binary("caddy")
    result = subprocess.run([caddy, "validate", "--adapter", "caddyfile", "--config",
                             str(PROJECT_ROOT / "deploy" / "Caddyfile")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Valid configuration" in result.stdout + result.stderr
