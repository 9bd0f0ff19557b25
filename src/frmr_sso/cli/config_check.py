"""``frmr-sso config check``: are the settings, the files and the services they name usable?

Prints a table (check, status, detail): the settings, the clients file, the
upstreams file (with each ESIA signer's key), how GOST tokens are verified, the
statements' token signer, the database and its schema,
Redis, and for each upstream its discovery document and JWKS, each reached with
a short timeout. Exit 0 when all is fine, 1 when something failed, 2 when the
settings themselves are invalid (one line, before the table; see ``main``).

``file_problem`` is the same reading of the two files, used by ``serve``
before it starts.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from frmr_sso.cli.common import database_problem, print_table
from frmr_sso.config import ConfigurationError, Settings

if TYPE_CHECKING:
    import httpx

    from frmr_sso.upstream.config import UpstreamsConfig


@dataclass(frozen=True, slots=True)
class Row:
    check: str
    ok: bool | None  # None: not configured, nothing to check
    detail: str


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    config = sub.add_parser("config", help="check the settings and what they point at")
    actions = config.add_subparsers(dest="action", required=True)
    check = actions.add_parser("check", help="settings, files, database, Redis, upstreams (exit 0, 1 or 2)")
    check.add_argument("--timeout", type=_seconds, default=5.0, help="seconds per service (0.1-60; 5)")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.1 <= value <= 60:
        raise argparse.ArgumentTypeError("must be a number of seconds from 0.1 to 60")
    return value


def run(settings: Settings, args: argparse.Namespace) -> int:
    source = f"from {args.settings_file}" if getattr(args, "settings_file", None) else "from the environment"
    rows = [Row("settings", True, f"mode {settings.mode}, {source}")]
    clients, upstreams = _clients_file(settings), _upstreams_file(settings)
    rows += [clients, upstreams[0], _gost_engine(settings, upstreams[1]), _statement_signer(settings)]
    rows += asyncio.run(_services(settings, upstreams[1], args.timeout))
    table: list[tuple[str, ...]] = [("check", "status", "detail")]
    table += [(r.check, "ok" if r.ok else "-" if r.ok is None else "FAILED", r.detail) for r in rows]
    print_table(table)
    return 1 if any(r.ok is False for r in rows) else 0


def file_problem(settings: Settings) -> str | None:
    """The first problem of the clients file or the upstreams file, as one line, or None."""
    for row in (_clients_file(settings), _upstreams_file(settings)[0]):
        if row.ok is False:
            return f"{row.check}: {row.detail}"
    return None


def _clients_file(settings: Settings) -> Row:
    from frmr_sso.oauth.client_specs import ClientSpecError, read_clients_file

    name, path = "FRMR_SSO_CLIENTS_FILE", settings.clients_file
    if path is None:
        return Row(name, None, "not set")
    try:
        specs = read_clients_file(path, production=not settings.is_demo)
    except ClientSpecError as exc:
        return Row(name, False, str(exc))
    return Row(name, True, f"{path}: {len(specs)} clients")


def _upstreams_file(settings: Settings) -> tuple[Row, UpstreamsConfig | None]:
    from frmr_sso.upstream.config import EsiaEntry, load_upstreams
    from frmr_sso.upstream.signers import load_signer

    name, path = "FRMR_SSO_UPSTREAMS_FILE", settings.upstreams_file
    if path is None:
        return Row(name, None, "not set (no upstream: nobody can log in)"), None
    try:
        config = load_upstreams(path)
        for index, entry in enumerate(config.upstreams):
            try:
                if isinstance(entry, EsiaEntry):
                    load_signer(entry.signer, config.base_dir, connector=entry.name)
                entry.options()
            except ValueError as exc:
                raise ConfigurationError(f"upstreams[{index}] {entry.name!r}: {exc}") from None
    except ConfigurationError as exc:
        return Row(name, False, str(exc)), None
    names = ", ".join(entry.name for entry in config.upstreams) or "none"
    return Row(name, True, f"{path}: {names}"), config


def _gost_engine(settings: Settings, upstreams: UpstreamsConfig | None) -> Row:
    from frmr_sso.upstream.config import gost_engine

    name = "FRMR_SSO_GOST_ENGINE"
    if upstreams is None:
        return Row(name, None, f"{settings.gost_engine} (no upstreams file)")
    try:
        engine = gost_engine(settings.gost_engine, settings.openssl_command, upstreams)
    except ConfigurationError as exc:
        return Row(name, False, str(exc))
    if engine is not None:
        return Row(name, True, f"GOST tokens verified by {settings.openssl_command} with the gost engine")
    return Row(name, None, "GOST tokens verified in pure Python (or none accepted)")


def _statement_signer(settings: Settings) -> Row:
    name, config = "FRMR_SSO_STATEMENT_SIGNER", settings.statement_signer
    if config is None:
        return Row(name, None, "not set: the self-issued certificate")
    from frmr_sso.cabinet_backend.statements.signing import PdfSigner

    try:
        signer = PdfSigner.on_token(config)
    except ValueError as exc:
        return Row(name, False, str(exc))
    from cryptography import x509

    subject = x509.load_der_x509_certificate(signer.identity.certificate_der).subject.rfc4514_string()
    return Row(name, True, f"token {config.token_label!r}, key {config.key_label!r}, certificate {subject}")


async def _services(settings: Settings, upstreams: UpstreamsConfig | None, wait: float) -> list[Row]:
    import httpx

    rows = [await _database(settings, wait), await _redis(settings, wait)]
    async with httpx.AsyncClient(timeout=wait, follow_redirects=False) as http:
        for entry in upstreams.upstreams if upstreams else []:
            rows.append(await _upstream(entry, http))
    return rows


async def _database(settings: Settings, wait: float) -> Row:
    from frmr_sso.storage.sql.engine import create_engine
    from frmr_sso.storage.sql.migrate import current_revisions, head_revisions

    try:
        engine = create_engine(settings.database_url)
    except OSError as exc:
        return Row("database", False, f"FRMR_SSO_DATABASE_URL: cannot open the database ({exc.filename}: "
                                      f"{exc.strerror})")
    try:
        if problem := await database_problem(engine, wait=wait):
            return Row("database", False, problem)
        current, newest = await current_revisions(engine), head_revisions()
    finally:
        await engine.dispose()
    if current != newest:
        return Row("database", False, f"schema at {', '.join(sorted(current))}, newest "
                                      f"{', '.join(sorted(newest))}: run `frmr-sso migrate`")
    return Row("database", True, f"{engine.url.get_backend_name()}, schema at {', '.join(sorted(current))}")


async def _redis(settings: Settings, wait: float) -> Row:
    from frmr_sso.storage.kv import open_kv

    if not settings.redis_url:
        return Row("redis", None, "FRMR_SSO_REDIS_URL not set: stores inside the process (one instance only)")
    kv = open_kv(settings.redis_url)
    try:
        alive = await asyncio.wait_for(kv.ping(), wait)
    except TimeoutError:
        alive = False
    finally:
        await kv.close()
    return Row("redis", alive, "PING answered" if alive else "FRMR_SSO_REDIS_URL: no answer to PING")


async def _upstream(entry: object, http: httpx.AsyncClient) -> Row:
    """ESIA: its JWKS; an OIDC provider: its discovery document, then the JWKS it names."""
    from frmr_sso.errors import FrmrSsoError
    from frmr_sso.upstream.config import EsiaEntry, OidcEntry
    from frmr_sso.upstream.discovery import parse_metadata
    from frmr_sso.upstream.jwks import parse_jwks

    assert isinstance(entry, EsiaEntry | OidcEntry)
    label = f"upstream {entry.name}"
    try:
        if isinstance(entry, EsiaEntry):
            jwks_uri = entry.jwks_uri or entry.base_url.rstrip("/") + "/aas/oauth2/jwks"
            where = ""
        else:
            discovery = entry.issuer.rstrip("/") + "/.well-known/openid-configuration"
            metadata = parse_metadata(await _json(http, discovery), issuer=entry.issuer, connector=entry.name)
            jwks_uri, where = metadata.jwks_uri, "discovery ok, "
        keys = parse_jwks(await _json(http, jwks_uri), connector=entry.name)
    except (OSError, ValueError, FrmrSsoError) as exc:
        return Row(label, False, str(exc).splitlines()[0][:200] or type(exc).__name__)
    return Row(label, True, f"{where}JWKS {jwks_uri}: {len(keys)} keys")


async def _json(http: httpx.AsyncClient, url: str) -> dict[str, object]:
    import httpx

    try:
        response = await http.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise ValueError(f"{url}: {type(exc).__name__} {exc}".strip()) from None
    if response.status_code != 200:
        raise ValueError(f"{url}: HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError:
        raise ValueError(f"{url}: not JSON") from None
    if not isinstance(data, dict):
        raise ValueError(f"{url}: not a JSON object")
    return data
