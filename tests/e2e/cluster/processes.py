"""Broker instances as real ``frmr-sso serve`` processes, and nginx (the Debian package) in front of them.

``BrokerProcess`` runs the production entry point with settings in its environment and its
output in a file (shown when it fails to start). ``NginxProcess`` renders the shipped
``deploy/nginx/nginx.conf`` for loopback: the compose service names become the instances'
ports, ``listen`` a free loopback port, the ``/tmp`` paths a temp dir; it adds a response
header naming the instance that answered, and runs nginx in the foreground.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

from tests.support.servers import free_port

FRMR_SSO = str(Path(sys.executable).with_name("frmr-sso"))
DEPLOY_NGINX = Path(__file__).resolve().parents[3] / "deploy" / "nginx" / "nginx.conf"
UPSTREAM_HEADER = "x-upstream-addr"
START_TIMEOUT = 60.0


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )


def wait_until_ready(url: str, process: subprocess.Popen[bytes], log: Path, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: exited with {process.returncode}:\n{_tail(log)}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} not ready after {timeout} s:\n{_tail(log)}")


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, *, timeout: float = 30) -> int:
    """Send ``sig`` (if still running) and wait; SIGKILL after ``timeout``. The exit code."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


class BrokerProcess:
    def __init__(self, name: str, env: Mapping[str, str], directory: Path) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = directory / f"{name}.log"
        self.env = dict(env)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FRMR_SSO_", "MOCK_ESIA_"))}
        env.update(self.env)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [FRMR_SSO, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        wait_until_ready(f"{self.url}/health/ready", self.process, self.log, timeout=START_TIMEOUT)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def send(self, sig: int) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    def wait(self, timeout: float = 30) -> int:
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        return None if self.process is None else stop(self.process, sig)


def render_nginx_conf(template: str, *, port: int, instances: Sequence[int], directory: Path) -> str:
    """``deploy/nginx/nginx.conf`` for loopback: same proxy rules, local addresses and paths."""
    servers = iter(instances)
    conf = re.sub(r"server\s+broker-\d+:8000", lambda _: f"server 127.0.0.1:{next(servers)}", template)
    conf = re.sub(r"listen\s+8080;", f"listen 127.0.0.1:{port};", conf)
    conf = conf.replace("/tmp/", f"{directory}/")  # noqa: S108 - the shipped file's paths, replaced
    conf = conf.replace("worker_processes auto;", "worker_processes 1;")
    conf = conf.replace("error_log /dev/stderr warn;", f"error_log {directory}/error.log warn;")
    conf = conf.replace("access_log /dev/stdout;", f"access_log {directory}/access.log;")
    # which instance answered (the last one tried), for the tests' routing assertions
    conf = conf.replace(
        "proxy_pass http://frmr_sso;",
        f"proxy_pass http://frmr_sso;\n            add_header {UPSTREAM_HEADER} $upstream_addr always;",
    )
    if os.geteuid() == 0:  # as root, workers would switch to "nobody", who cannot enter the temp dir
        conf = "user root;\n" + conf
    return conf


class NginxProcess:
    def __init__(self, instances: Sequence[int], directory: Path) -> None:
        binary = nginx_binary()
        if binary is None:
            raise RuntimeError("nginx is not installed (scripts/test.sh installs the Debian package)")
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.conf = directory / "nginx.conf"
        self.conf.write_text(
            render_nginx_conf(
                DEPLOY_NGINX.read_text(encoding="utf-8"),
                port=self.port,
                instances=instances,
                directory=directory,
            ),
            encoding="utf-8",
        )
        self.log = directory / "error.log"
        self.process: subprocess.Popen[bytes] | None = None

    def command(self, *extra: str) -> list[str]:
        return [self.binary, "-p", str(self.directory), "-c", str(self.conf), "-e", str(self.log), *extra]

    def check(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.command("-t"), capture_output=True, text=True, timeout=30, check=False)

    def start(self) -> None:
        with (self.directory / "nginx.out").open("ab") as out:
            self.process = subprocess.Popen(
                self.command("-g", "daemon off;"),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        wait_until_ready(f"{self.url}/nginx-health", self.process, self.log, timeout=20)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process, signal.SIGQUIT, timeout=10)  # SIGQUIT: nginx's graceful stop
