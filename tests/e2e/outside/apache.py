"""Apache httpd with mod_auth_openidc as a relying party: a generated config, one foreground process.

``running_apache`` writes a ``httpd.conf`` into a temp dir (its own ServerRoot, pid and log
files, a free loopback port), starts ``apache2 -X`` (one process, in the foreground) and stops it
with SIGTERM. Keep-alive is off, so a client's idle connection never holds up the broker's
back-channel request to that one process. The directory is made directly under the system's
temp dir (pytest's is closed to other users) and removed afterwards; as root the worker runs as
``nobody``, so it is opened to it. ``/protected/`` needs a login at the broker; the page answers
with the claims mod_auth_openidc passes on (``X-Claim-*`` headers, the serialized ID token in
``X-Id-Token``), and the redirect URI serves the module's own endpoints (``?info=json``,
``?logout=…``, ``?logout=backchannel``).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from frmr_sso.oauth.client_specs import ClientSpec
from tests.support.servers import free_port

APACHE = shutil.which("apache2") or "/usr/sbin/apache2"
MODULES = Path("/usr/lib/apache2/modules")
OPENIDC = MODULES / "mod_auth_openidc.so"
CLAIMS = ("sub", "family_name", "given_name", "snils", "frmr_person_id", "sid")
SCOPE = "openid profile snils frmr offline_access"
_MODULES = {
    "mpm_prefork_module": "mod_mpm_prefork.so",
    "authz_core_module": "mod_authz_core.so",
    "authn_core_module": "mod_authn_core.so",
    "authz_user_module": "mod_authz_user.so",
    "headers_module": "mod_headers.so",
    "mime_module": "mod_mime.so",
    "dir_module": "mod_dir.so",
    "auth_openidc_module": OPENIDC.name,
}


def missing() -> str | None:
    """Why Apache with mod_auth_openidc cannot run here (None: it can)."""
    if not Path(APACHE).exists():
        return "apache2 is not installed (Debian package apache2)"
    if not OPENIDC.exists():
        return "mod_auth_openidc is not installed (Debian package libapache2-mod-auth-openidc)"
    return None


@dataclass
class Apache:
    base: str
    client_id: str
    secret: str
    directory: Path

    @property
    def protected(self) -> str:
        return f"{self.base}/protected/"

    @property
    def redirect_uri(self) -> str:
        return f"{self.base}/protected/redirect_uri"

    @property
    def logged_out(self) -> str:
        return f"{self.base}/loggedout.html"

    def spec(self) -> ClientSpec:
        """The broker's registration of this relying party."""
        return ClientSpec(
            client_id=self.client_id, name="Apache mod_auth_openidc", secret=self.secret,
            redirect_uris=(self.redirect_uri,), post_logout_redirect_uris=(self.logged_out,),
            grant_types=("authorization_code", "refresh_token"), scopes=tuple(SCOPE.split()),
            backchannel_logout_uri=f"{self.redirect_uri}?logout=backchannel",
            first_party=True,  # marked by the operator: the login goes straight through
        )

    def error_log(self) -> str:
        path = self.directory / "error.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def _config(apache: Apache, port: int, issuer: str) -> str:
    root = apache.directory
    loads = "\n".join(f"LoadModule {name} {MODULES / file}" for name, file in _MODULES.items())
    user = "User nobody\nGroup nogroup\n" if os.geteuid() == 0 else ""
    headers = "\n".join(f'  Header set X-Claim-{c} "%{{OIDC_CLAIM_{c}}}e"' for c in CLAIMS)
    return f"""ServerRoot {root}
ServerName 127.0.0.1
KeepAlive Off
Listen 127.0.0.1:{port}
PidFile {root}/httpd.pid
ErrorLog {root}/error.log
LogLevel warn auth_openidc:info
{loads}
{user}DocumentRoot {root}/htdocs
DirectoryIndex index.html
TypesConfig /dev/null
<Directory />
  AllowOverride None
</Directory>
AddType text/html .html
OIDCProviderMetadataURL {issuer}/.well-known/openid-configuration
OIDCClientID {apache.client_id}
OIDCClientSecret {apache.secret}
OIDCProviderTokenEndpointAuth client_secret_basic
OIDCRedirectURI {apache.redirect_uri}
OIDCCryptoPassphrase {secrets.token_hex(16)}
OIDCScope "{SCOPE}"
OIDCPKCEMethod S256
OIDCPassClaimsAs environment
OIDCPassIDTokenAs claims serialized
OIDCPassRefreshToken On
OIDCInfoHook access_token access_token_expires id_token userinfo refresh_token session
OIDCDefaultLoggedOutURL {apache.logged_out}
OIDCCacheType shm
<Location /protected>
  AuthType openid-connect
  Require valid-user
{headers}
  Header set X-Id-Token "%{{OIDC_id_token}}e"
</Location>
"""


@contextmanager
def running_apache(issuer: str, client_id: str = "apache-rp") -> Iterator[Apache]:
    with tempfile.TemporaryDirectory(prefix="frmr-sso-apache-") as name, _apache(
        issuer, Path(name), client_id
    ) as apache:
        yield apache


@contextmanager
def _apache(issuer: str, directory: Path, client_id: str) -> Iterator[Apache]:
    port = free_port()
    apache = Apache(f"http://127.0.0.1:{port}", client_id, secrets.token_urlsafe(32), directory)
    (directory / "htdocs" / "protected").mkdir(parents=True)
    (directory / "htdocs" / "protected" / "index.html").write_text("<p>protected</p>\n", encoding="utf-8")
    (directory / "htdocs" / "loggedout.html").write_text("<p>logged out</p>\n", encoding="utf-8")
    (directory / "httpd.conf").write_text(_config(apache, port, issuer), encoding="utf-8")
    for path in (directory, *directory.rglob("*")):  # the worker (nobody, as root) reads them
        path.chmod(0o755 if path.is_dir() else 0o644)
    process = subprocess.Popen(
        [APACHE, "-X", "-f", str(directory / "httpd.conf")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        _wait(apache, process)
        yield apache
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


def _wait(apache: Apache, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stderr = process.stderr.read() if process.stderr else ""
            raise AssertionError(f"apache2 exited with {process.returncode}: {stderr}\n{apache.error_log()}")
        try:
            httpx.get(apache.logged_out, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError(f"apache2 did not answer on {apache.base}\n{apache.error_log()}")
