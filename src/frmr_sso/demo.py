"""``frmr-sso demo``: broker and mock ESIA in one process, on embedded stores, with demo data.

Data lives under ``./var/``. The broker's ESIA client key is generated there
on the first run and registered at the mock as client ``FRMR01`` with the
redirect URI of this run's port, so ports can change between runs.

The providers of ``FRMR_SSO_UPSTREAMS_FILE``, when set, join the mock ESIA in
``./var/upstreams.yaml``. ``./var/demo.env`` records this run's settings for the
other ``frmr-sso`` commands started in the same folder (see ``frmr_sso.cli.env_file``).
Both ports are bound before anything starts: a port in use stops the demo with
one line.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import uvicorn
import yaml
from cryptography.hazmat.primitives import serialization

from frmr_sso.app import create_app
from frmr_sso.config import ConfigurationError, Settings, load_settings
from frmr_sso.logs import configure_logging
from frmr_sso.upstream.esia_signer import RsaSecretSigner
from mock_esia.app import create_app as create_mock_app
from mock_esia.clients import ESIA_SCOPES, RegisteredClient
from mock_esia.config import MockSettings
from mock_esia.state import MockState

ESIA_CLIENT_ID = "FRMR01"
_FACTORS = {"sms": "SMS", "totp": "TOTP", "none": "—"}


def load_or_create_esia_key(var: Path) -> RsaSecretSigner:
    path = var / "esia-client-key.pem"
    if path.exists():
        return RsaSecretSigner.from_pem(path.read_bytes())
    signer = RsaSecretSigner.generate()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(signer.private_key_pem())
    return signer


def certificate_hash(signer: RsaSecretSigner) -> str:
    der = serialization.load_pem_public_key(signer.public_key_pem().encode()).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest().upper()


def register_broker_at_mock(state: MockState, signer: RsaSecretSigner, broker_url: str) -> None:
    known = state.clients.get(ESIA_CLIENT_ID)
    redirect = f"{broker_url}/callback/esia"
    client = RegisteredClient(
        client_id=ESIA_CLIENT_ID,
        name=known.name if known else "ФРМР — брокер входа (демо)",
        redirect_uris=(redirect,),
        certificate_hash=certificate_hash(signer),
        scopes=known.scopes if known else ESIA_SCOPES,
        signature="rsa",
        public_key=signer.public_key_pem(),
    )
    state.clients.register(client)


def demo_client_lines() -> list[str]:
    from frmr_sso.oauth.client_specs import DEMO_CLIENTS

    lines = []
    for spec in DEMO_CLIENTS:
        secret = f"secret {spec.secret}" if spec.secret else "public, PKCE S256"
        where = " ".join(spec.redirect_uris) or "-"
        lines.append(f"  {spec.client_id:<14} {secret:<28} {','.join(spec.grant_types):<34} {where}")
    return lines


def example_urls(broker_url: str) -> list[str]:
    """A login to start in a browser, and the token call that redeems its code."""
    query = urlencode(
        {
            "client_id": "demo-web",
            "response_type": "code",
            "scope": "openid profile snils frmr",
            "redirect_uri": "http://127.0.0.1:9999/callback",
            "state": "demo-state",
            "nonce": "demo-nonce",
        }
    )
    partner = urlencode({
        "client_id": "demo-partner", "response_type": "code", "scope": "openid profile frmr",
        "redirect_uri": "http://127.0.0.1:9997/callback", "state": "demo-state",
    })
    return [
        f"  discovery:  {broker_url}/.well-known/openid-configuration",
        f"  login:      {broker_url}/authorize?{query}",
        "  token:      curl -u demo-web:demo-web-secret -d grant_type=authorization_code "
        f"-d code=<code> -d redirect_uri=http://127.0.0.1:9999/callback {broker_url}/token",
        "  service:    curl -u demo-service:demo-service-secret -d grant_type=client_credentials "
        f"{broker_url}/token",
        f"  consent:    {broker_url}/authorize?{partner} (a third-party app: the consent page)",
    ]


def write_upstreams_file(var: Path, esia_url: str, cert_hash: str, extra: Path | None = None) -> Path:
    """The broker's upstreams file for this run: the mock ESIA at this run's port, then the providers of
    ``extra`` (an operator's upstreams file) with their key files made absolute."""
    entry = {
        "name": "esia",
        "type": "esia",
        "display_name": "Госуслуги (учебная ЕСИА)",
        "base_url": esia_url,
        "issuer": f"{esia_url}/",
        "client_id": ESIA_CLIENT_ID,
        "certificate_hash": cert_hash,
        "signer": {"kind": "rsa", "key_file": str(var / "esia-client-key.pem")},
        "scopes": ["openid", "fullname", "birthdate", "gender", "snils"],
    }
    entries = [entry, *(_extra_upstreams(extra) if extra is not None else [])]
    path = var / "upstreams.yaml"
    path.write_text(yaml.safe_dump({"upstreams": entries}, allow_unicode=True), encoding="utf-8")
    return path


def _extra_upstreams(path: Path) -> list[dict[str, Any]]:
    from frmr_sso.upstream.config import load_upstreams

    try:
        load_upstreams(path)  # checked as the broker will read it: the file and the entry are named
    except ConfigurationError as exc:
        raise ConfigurationError(f"FRMR_SSO_UPSTREAMS_FILE: {exc}") from None
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    entries: list[dict[str, Any]] = (data.get("upstreams") if isinstance(data, dict) else data) or []
    for entry in entries:
        if entry.get("name") == "esia":
            raise ConfigurationError(
                f"FRMR_SSO_UPSTREAMS_FILE: {path}: the name 'esia' is the demo's mock ESIA; rename the entry"
            )
        signer = entry.get("signer")
        if isinstance(signer, dict) and signer.get("key_file"):
            signer["key_file"] = str((path.parent / str(signer["key_file"])).resolve())
    return entries


def write_env_file(var: Path, settings: Settings) -> Path:
    """This run's settings for the other commands: ``frmr-sso clients list`` etc. in the same folder."""
    lines = [
        "# Written by `frmr-sso demo` at each start: the demo's settings for the other frmr-sso commands",
        "# run in this folder (read when no FRMR_SSO_* variable is set, or with --env-file).",
        "FRMR_SSO_MODE=demo",
        f"FRMR_SSO_ISSUER={settings.issuer}",
        f"FRMR_SSO_DATABASE_URL={settings.database_url}",
        f"FRMR_SSO_UPSTREAMS_FILE={settings.upstreams_file}",
    ]
    path = var / "demo.env"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def describe(accounts_file: Path, broker_url: str, esia_url: str) -> str:
    data: dict[str, Any] = yaml.safe_load(accounts_file.read_text(encoding="utf-8"))
    rows = [
        f"  {a['phone']:<14} {a.get('email') or '':<26} {a['password']:<22} "
        f"{_FACTORS[a.get('second_factor', 'none')]:<5} {a.get('note', '')}"
        for a in data["accounts"]
    ]
    return "\n".join(
        [
            "frmr-sso demo",
            f"  broker (OpenID Provider): {broker_url}   health: {broker_url}/health/ready",
            f"  mock ESIA:                {esia_url}   SMS codes: {esia_url}/_dev/outbox?login=<login>",
            f"  personal cabinet:         {broker_url}/cabinet/   (client frmr-cabinet, "
            "secret frmr-cabinet-demo-secret)",
            "",
            "ESIA demo accounts (login by phone, e-mail or SNILS):",
            f"  {'phone':<14} {'e-mail':<26} {'password':<22} {'2FA':<5} case",
            *rows,
            "",
            "Demo clients of the broker (OpenID Provider):",
            *demo_client_lines(),
            "",
            "Try it (the login ends at the client's redirect URI; take the code from the address bar):",
            *example_urls(broker_url),
            "",
            "Broker's own second factor (TOTP or a passkey): registry administrator +79990000007 is asked",
            "  for it (FRMR role registry_admin); so is anyone when a client sends acr_values="
            "urn:frmr-sso:acr:esia-confirmed+mfa.",
            f"  The first such login enrols an authenticator app at {broker_url}/login/2fa (QR code, ten",
            f"  recovery codes); replace it at {broker_url}/account/2fa; an administrator resets it",
            "  with `frmr-sso 2fa reset SUBJECT`.",
            f"  Passkeys instead of the app: the same page, and {broker_url}/account/2fa/passkeys; browsers",
            "  allow them only on a host name, so start the demo with --host localhost to try them.",
            "",
            f"ESIA client of the broker: {ESIA_CLIENT_ID} (key in ./var/esia-client-key.pem)",
            "Other frmr-sso commands run in this folder use the demo's settings (./var/demo.env),",
            "e.g. frmr-sso clients list, frmr-sso config check.",
            "Stop with Ctrl+C.",
        ]
    )


def run_demo(*, host: str = "127.0.0.1", port: int = 8000, esia_port: int = 8001) -> int:
    """Exit 1 with one line when a port is taken; ConfigurationError for a bad upstreams file."""
    from frmr_sso.web.metrics_port import bind_sockets

    try:
        sockets = bind_sockets([(host, port), (host, esia_port)])
    except OSError as exc:
        print(f"frmr-sso: {exc}", file=sys.stderr)
        return 1
    try:
        return _run(sockets, host, port, esia_port)
    finally:
        for sock in sockets:
            sock.close()


def _run(sockets: list[socket.socket], host: str, port: int, esia_port: int) -> int:
    var = Path.cwd() / "var"
    var.mkdir(exist_ok=True)
    broker_url, esia_url = f"http://{host}:{port}", f"http://{host}:{esia_port}"
    extra = os.environ.get("FRMR_SSO_UPSTREAMS_FILE") or None
    if extra and Path(extra).resolve() == (var / "upstreams.yaml").resolve():
        extra = None  # this demo's own file (e.g. from --env-file var/demo.env): the mock is already in it
    signer = load_or_create_esia_key(var)
    upstreams = write_upstreams_file(var, esia_url, certificate_hash(signer), Path(extra) if extra else None)
    settings = load_settings(
        mode="demo",
        issuer=broker_url,
        host=host,
        port=port,
        database_url=f"sqlite+aiosqlite:///{var / 'frmr_sso.db'}",
        upstreams_file=upstreams,
    )
    mock_settings = MockSettings(
        host=host, port=esia_port, base_url=esia_url, issuer=f"{esia_url}/", dev=True
    )
    write_env_file(var, settings)
    configure_logging(settings.log_level)
    mock_app = create_mock_app(mock_settings)
    register_broker_at_mock(mock_app.state.mock, signer, broker_url)
    print(describe(mock_settings.accounts_file, broker_url, esia_url), flush=True)

    servers = [
        uvicorn.Server(  # the app reads X-Forwarded-For itself, behind FRMR_SSO_TRUSTED_PROXIES only
            uvicorn.Config(
                create_app(settings), host=host, port=port, log_config=None, access_log=False,
                proxy_headers=False,
            )
        ),
        uvicorn.Server(uvicorn.Config(mock_app, host=host, port=esia_port, log_config=None)),
    ]

    async def serve_both() -> None:
        pairs = zip(servers, sockets, strict=True)
        await asyncio.gather(*(server.serve(sockets=[sock]) for server, sock in pairs))

    asyncio.run(serve_both())
    return 0
