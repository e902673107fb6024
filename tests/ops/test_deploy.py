"""What deploys the service, checked for real: the systemd units (``systemd-analyze verify``)
and the nginx configuration, run by a real nginx with a self-signed certificate in front of
a served instance, the clients' flows passing through it."""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from service.settings import PROJECT_ROOT
from tests.ops.support import sqlite_pass_only
from tests.support import operation, report_input
from tests.test_served import free_port, start_server, stop

DEPLOY = PROJECT_ROOT / "deploy"
INSTALLED_PYTHON = "/opt/alm-feedback/.venv/bin/python"


def needed(tool: str) -> str:
    """The tool's path; skipped when it is missing on a developer's machine, failed in CI
    (.ci/run installs it)."""
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{tool} is missing: .ci/run installs it")
        pytest.skip(f"{tool} is not installed")
    return path


@sqlite_pass_only
def test_the_systemd_units_verify(tmp_path: Path) -> None:
    # given: the units, pointing at this environment's Python instead of /opt/alm-feedback
    analyze = needed("systemd-analyze")
    for unit in (DEPLOY / "systemd").iterdir():
        text = unit.read_text(encoding="utf-8").replace(INSTALLED_PYTHON, sys.executable)
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    units = sorted(p.name for p in tmp_path.iterdir())
    # when
    result = subprocess.run(
        [analyze, "verify", *units], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    # then: no error and no warning (an unknown or misspelt key is only a warning)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr
    assert {"alm-feedback.service", "alm-feedback-indexer.service"} <= set(units)
    server = (DEPLOY / "systemd" / "alm-feedback.service").read_text(encoding="utf-8")
    for hardening in ("ProtectSystem=strict", "NoNewPrivileges=yes", "PrivateTmp=yes"):
        assert hardening in server


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def site_for_test(upstream: int, http: int, https: int, cert: Path, key: Path) -> str:
    """The repository's nginx site, with this test's ports, certificate and upstream."""
    site = (DEPLOY / "nginx" / "alm-feedback.conf").read_text(encoding="utf-8")
    replacements = {
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{upstream};",
        "    listen [::]:80;\n": "",
        "    listen [::]:443 ssl http2;\n": "",
        "listen 80;": f"listen 127.0.0.1:{http};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https} ssl http2;",
        "/etc/ssl/certs/signaler.example.pem": str(cert),
        "/etc/ssl/private/signaler.example.key": str(key),
    }
    for old, new in replacements.items():
        assert old in site, old
        site = site.replace(old, new)
    return site


@pytest.fixture
def behind_nginx(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """A served instance believing 127.0.0.1 as its proxy, and nginx in front: the https
    and http base URLs, and the certificate to trust."""
    nginx = needed("nginx")
    process, base = start_server(
        tmp_path / "data",
        settings={
            "SERVICE_FORWARDED_ALLOW_IPS": "127.0.0.1",
            "SERVICE_ANONYMOUS_SUBMISSIONS_PER_MINUTE": "2",
        },
    )
    upstream = int(base.rsplit(":", 1)[1])
    http, https = free_port(), free_port()
    cert, key = self_signed(tmp_path)
    (tmp_path / "site.conf").write_text(
        site_for_test(upstream, http, https, cert, key), encoding="utf-8"
    )
    temp = tmp_path / "nginx-temp"
    temp.mkdir()
    os.chmod(tmp_path, 0o755)  # nginx's workers run as nobody
    (tmp_path / "nginx.conf").write_text(
        f"""
daemon off;
worker_processes 1;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log warn;
events {{ worker_connections 64; }}
http {{
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {tmp_path}/site.conf;
}}
""",
        encoding="utf-8",
    )
    proxy = subprocess.Popen(
        [nginx, "-e", str(tmp_path / "error.log"), "-c", str(tmp_path / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(50):
            try:
                httpx.get(f"https://127.0.0.1:{https}/healthz", verify=trusting(cert), timeout=1)
                break
            except httpx.TransportError:
                if proxy.poll() is not None:
                    raise RuntimeError((tmp_path / "error.log").read_text()) from None
                time.sleep(0.1)
        yield f"https://127.0.0.1:{https}", f"http://127.0.0.1:{http}", cert
    finally:
        stop(proxy)
        stop(process)


def trusting(cert: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert))


def from_address(address: str, cert: Path) -> httpx.Client:
    """A client connecting from another loopback address (another resident)."""
    transport = httpx.HTTPTransport(local_address=address, verify=trusting(cert))
    return httpx.Client(transport=transport, timeout=10)


@sqlite_pass_only
@pytest.mark.slow
def test_the_client_flows_pass_through_nginx(behind_nginx: tuple[str, str, Path]) -> None:
    https, http, cert = behind_nginx
    report = {"query": operation("ReportCreate"), "variables": {"input": report_input()}}
    with from_address("127.0.0.5", cert) as first, from_address("127.0.0.6", cert) as second:
        # when: plain HTTP, the pages over HTTPS, and reports from two residents
        redirect = httpx.get(f"{http}/capteurs", follow_redirects=False, timeout=10)
        ready = first.get(f"{https}/readyz")
        page = first.get(f"{https}/?lang=en")
        accepted = [c.post(f"{https}/graphql", json=report) for c in (first, second) * 2]
        # a third report from the first, pretending to come from elsewhere
        spoofed = first.post(
            f"{https}/graphql", json=report, headers={"x-forwarded-for": "198.51.100.7"}
        )
        too_large = first.post(
            f"{https}/graphql",
            content=b'{"query": "' + b"#" * 1_200_000 + b'"}',
            headers={"content-type": "application/json"},
        )
        metrics = first.get(f"{https}/metrics")
    # then
    assert redirect.status_code == 301
    assert redirect.headers["location"] == "https://127.0.0.1/capteurs"
    assert ready.status_code == 200
    assert page.status_code == 200
    cookies = page.headers.get_list("set-cookie")
    assert cookies and all("secure" in c.lower() for c in cookies), cookies
    # each resident is counted apart (the proxy's address is not the origin)...
    assert [r.status_code for r in accepted] == [200, 200, 200, 200]
    assert all(r.json()["data"]["reportCreate"]["errors"] == [] for r in accepted)
    # ...and what a client says in X-Forwarded-For is not believed
    assert spoofed.status_code == 429
    assert too_large.status_code == 413
    assert metrics.status_code == 404
