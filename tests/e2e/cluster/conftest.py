"""Two ``frmr-sso serve`` processes behind nginx, sharing one PostgreSQL database and Redis.

The instances share nothing else: no memory, no files but the upstreams file. The issuer is
nginx's address, the mock ESIA (in this process, on the shared Redis) knows the broker by it,
and both instances trust nginx (127.0.0.1) for ``X-Forwarded-For``. Key reloads run every
second (``FRMR_SSO_KEY_REFRESH_INTERVAL``) so a rotation is seen quickly.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from frmr_sso.demo import register_broker_at_mock
from frmr_sso.upstream.esia_signer import RsaSecretSigner
from tests.conftest import BACKEND
from tests.e2e.cluster.processes import FRMR_SSO, BrokerProcess, NginxProcess, nginx_binary
from tests.e2e.login.support import write_upstreams
from tests.support.esia_mock import MockEsia, mock_settings, running_mock

SECRET_KEY = "cluster-test-secret-key-0123456789-abcdef"


@pytest.fixture(scope="session")
def cluster_signer() -> RsaSecretSigner:
    return RsaSecretSigner.generate()


@pytest.fixture
def needs_nginx() -> str:
    binary = nginx_binary()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("nginx is missing in CI: scripts/test.sh installs the Debian package")
        pytest.skip("nginx is not installed (scripts/test.sh installs the Debian package)")
    return binary


@pytest.fixture
def shared_stores() -> None:
    if BACKEND != "postgresql+redis":
        pytest.skip(
            "several instances share only PostgreSQL and Redis: this runs in the PostgreSQL + Redis pass "
            "of scripts/test.sh (the embedded stores belong to one process)"
        )


@dataclass
class Cluster:
    nginx: NginxProcess
    a: BrokerProcess
    b: BrokerProcess
    mock: MockEsia
    env: dict[str, str]

    @property
    def url(self) -> str:
        return self.nginx.url

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``frmr-sso ARGS`` with the instances' settings (the shared database)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("FRMR_SSO_")} | self.env
        return subprocess.run(
            [FRMR_SSO, *args], env=env, capture_output=True, text=True, timeout=60, check=False
        )


@pytest.fixture
async def cluster(
    shared_stores: None,
    needs_nginx: str,
    migrated_database_url: str,
    redis_url: str | None,
    cluster_signer: RsaSecretSigner,
    tmp_path: Path,
) -> AsyncIterator[Cluster]:
    assert redis_url is not None
    async with running_mock(mock_settings(redis_url), cluster_signer) as mock:
        env = {
            "FRMR_SSO_MODE": "demo",
            "FRMR_SSO_DATABASE_URL": migrated_database_url,
            "FRMR_SSO_REDIS_URL": redis_url,
            "FRMR_SSO_SECRET_KEY": SECRET_KEY,
            "FRMR_SSO_UPSTREAMS_FILE": str(write_upstreams(tmp_path, mock, cluster_signer)),
            "FRMR_SSO_TRUSTED_PROXIES": '["127.0.0.1"]',
            "FRMR_SSO_SHUTDOWN_DRAIN_SECONDS": "0",
            "FRMR_SSO_SHUTDOWN_TIMEOUT": "10",
            "FRMR_SSO_KEY_REFRESH_INTERVAL": "1",
            "FRMR_SSO_LOG_LEVEL": "WARNING",
        }
        a, b = BrokerProcess("a", env, tmp_path), BrokerProcess("b", env, tmp_path)
        nginx = NginxProcess([a.port, b.port], tmp_path)
        env["FRMR_SSO_ISSUER"] = nginx.url
        a.env["FRMR_SSO_ISSUER"] = b.env["FRMR_SSO_ISSUER"] = nginx.url
        register_broker_at_mock(mock.state, cluster_signer, nginx.url)
        try:
            a.start()  # one at a time: demo mode seeds the demo clients at start
            b.start()
            nginx.start()
            yield Cluster(nginx=nginx, a=a, b=b, mock=mock, env=env)
        finally:
            nginx.stop()
            for broker in (a, b):
                broker.stop()
