"""deploy/nginx/nginx.conf: both brokers upstream, forwarded headers, safe retries, ``nginx -t``."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from frmr_sso.config import Settings
from frmr_sso.web.body_limit import UPLOAD_PATHS
from tests.deploy.support import BROKERS, DEPLOY, size_in_bytes


def test_nginx_balances_both_brokers_with_forwarded_headers(services: dict[str, dict[str, Any]]) -> None:
    conf = (DEPLOY / "nginx" / "nginx.conf").read_text(encoding="utf-8")
    code = "\n".join(line.split("#", 1)[0] for line in conf.splitlines())
    assert code.count("{") == code.count("}")
    upstream = re.search(r"upstream\s+(\w+)\s*\{([^}]*)\}", code)
    assert upstream is not None
    servers = set(re.findall(r"^\s*server\s+([\w.-]+:\d+)", upstream.group(2), re.MULTILINE))
    assert servers == {f"{b}:8000" for b in BROKERS}
    assert re.search(rf"proxy_pass\s+http://{upstream.group(1)}\s*;", code)
    assert re.search(r"proxy_set_header\s+X-Forwarded-For\s+\$\S+;", code)
    assert re.search(r"proxy_set_header\s+X-Forwarded-Proto\s+\$scheme;", code)
    assert re.search(r"proxy_set_header\s+Host\s+\$server_name;", code), "never the client's Host"
    assert "X-Forwarded-Host" not in code
    assert "FRMR_SSO_TRUSTED_PROXIES" in conf, "the config tells operators to trust nginx's network"
    listen = re.search(r"^\s*listen\s+(\d+)", code, re.MULTILINE)
    assert listen is not None
    published = [str(p).rsplit(":", 1)[1] for p in services["nginx"]["ports"]]
    assert listen.group(1) in published


def test_nginx_retries_only_what_is_safe_to_resend() -> None:
    conf = (DEPLOY / "nginx" / "nginx.conf").read_text(encoding="utf-8")
    code = "\n".join(line.split("#", 1)[0] for line in conf.splitlines())
    retry = re.search(r"proxy_next_upstream\s+([^;]*);", code)
    assert retry is not None
    conditions = set(retry.group(1).split())
    assert {"error", "timeout"} <= conditions, "a stopped or hung instance is skipped"
    assert not conditions & {"http_500", "http_502", "http_503", "http_504", "non_idempotent"}, (
        "a broker's own 5xx (ESIA down) must not replay a one-time callback on the other instance"
    )
    assert re.search(r"proxy_next_upstream_tries\s+2\s*;", code)


def test_nginx_accepts_the_shipped_config(tmp_path: Path) -> None:
    """``nginx -t`` on deploy/nginx/nginx.conf with loopback addresses for the compose names."""
    from tests.e2e.cluster.processes import NginxProcess, nginx_binary

    if nginx_binary() is None:
        if os.environ.get("CI"):
            pytest.fail("nginx is missing in CI: scripts/test.sh installs the Debian package")
        pytest.skip("nginx is not installed (scripts/test.sh installs the Debian package)")
    result = NginxProcess([8001, 8002], tmp_path).check()
    assert result.returncode == 0, result.stderr


def test_nginx_body_limits_agree_with_the_brokers() -> None:
    """Every route as small as the broker's forms and JSON; the upload forms as large as theirs."""
    conf = (DEPLOY / "nginx" / "nginx.conf").read_text(encoding="utf-8")
    code = "\n".join(line.split("#", 1)[0] for line in conf.splitlines())
    default = re.search(r"^    client_max_body_size\s+(\S+);", code, re.MULTILINE)
    assert default is not None
    assert size_in_bytes(default.group(1)) == Settings.model_fields["max_body_bytes"].default
    uploads = re.search(r"location\s+~\s+\^/\(([^)]*)\)\$\s*\{([^}]*)\}", code)
    assert uploads is not None
    assert {f"/{path}" for path in uploads.group(1).split("|")} == UPLOAD_PATHS
    size = re.search(r"client_max_body_size\s+(\S+);", uploads.group(2))
    assert size is not None
    assert size_in_bytes(size.group(1)) == Settings.model_fields["max_upload_body_bytes"].default
    assert size_in_bytes(size.group(1)) > 5 * 1024 * 1024, "a documented 5 MB file must pass"
    assert re.search(r"proxy_pass\s+http://frmr_sso\s*;", uploads.group(2))
