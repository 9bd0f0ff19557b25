"""OAuth 2.0 and OpenID Connect protocol errors as data (RFC 6749 §4.1.2.1, §5.2; RFC 6750 §3.1).

Every error knows its ``error`` code, HTTP status and the RFC section that
defines it, and builds its own body and headers; the web layer only converts.
An authorization error that carries ``redirect_uri`` may be sent back to the
client by redirect; one without it must be shown as an error page.

    OAuthError
    ├── InvalidRequest            400  RFC 6749 §4.1.2.1, §5.2
    ├── InvalidClient             401  RFC 6749 §5.2 (WWW-Authenticate: Basic)
    ├── InvalidGrant              400  RFC 6749 §5.2
    ├── UnauthorizedClient        400  RFC 6749 §4.1.2.1, §5.2
    ├── UnsupportedGrantType      400  RFC 6749 §5.2
    ├── UnsupportedTokenType      400  RFC 7009 §2.2.1
    ├── InvalidScope              400  RFC 6749 §4.1.2.1, §5.2
    ├── AccessDenied              403  RFC 6749 §4.1.2.1
    ├── UnsupportedResponseType   400  RFC 6749 §4.1.2.1
    ├── ServerError               500  RFC 6749 §4.1.2.1
    ├── TemporarilyUnavailable    503  RFC 6749 §4.1.2.1
    ├── InteractionRequired       400  OIDC Core §3.1.2.6
    │   ├── LoginRequired         400  OIDC Core §3.1.2.6
    │   └── ConsentRequired       400  OIDC Core §3.1.2.6
    ├── RequestNotSupported       400  OIDC Core §3.1.2.6
    ├── RequestUriNotSupported    400  OIDC Core §3.1.2.6
    └── BearerError                    RFC 6750 §3 (WWW-Authenticate: Bearer)
        ├── InvalidToken          401  RFC 6750 §3.1
        └── InsufficientScope     403  RFC 6750 §3.1
"""

from __future__ import annotations

from typing import ClassVar

NO_STORE_HEADERS: dict[str, str] = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthError(Exception):
    """Base of the protocol errors; never carries a token, code or secret in its text."""

    error: ClassVar[str] = "invalid_request"
    status_code: ClassVar[int] = 400
    section: ClassVar[str] = "RFC 6749 §5.2"

    def __init__(
        self,
        description: str | None = None,
        *,
        uri: str | None = None,
        redirect_uri: str | None = None,
        state: str | None = None,
    ) -> None:
        super().__init__(description or self.error)
        self.description = description
        self.uri = uri
        self.redirect_uri = redirect_uri
        self.state = state

    @property
    def redirectable(self) -> bool:
        """True once client and redirect_uri were validated (RFC 6749 §4.1.2.1)."""
        return self.redirect_uri is not None

    def body(self) -> dict[str, str]:
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        if self.uri:
            body["error_uri"] = self.uri
        return body

    def headers(self) -> dict[str, str]:
        return dict(NO_STORE_HEADERS)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(error={self.error!r}, description={self.description!r})"


class InvalidRequest(OAuthError):
    """RFC 6749 §5.2: "The request is missing a required parameter, includes an unsupported
    parameter value (other than grant type), repeats a parameter, ... or is otherwise malformed."
    """

    error = "invalid_request"
    section = "RFC 6749 §5.2"


class InvalidClient(OAuthError):
    """RFC 6749 §5.2: "Client authentication failed (e.g., unknown client, no client
    authentication included, or unsupported authentication method). ... the authorization
    server MAY return an HTTP 401 (Unauthorized) status code to indicate which HTTP
    authentication schemes are supported."

    Always 401 with ``WWW-Authenticate: Basic``: the same answer for an unknown client and
    a wrong secret.
    """

    error = "invalid_client"
    status_code = 401
    section = "RFC 6749 §5.2"
    realm: ClassVar[str] = "frmr-sso"

    def headers(self) -> dict[str, str]:
        return {**NO_STORE_HEADERS, "WWW-Authenticate": f'Basic realm="{self.realm}"'}


class InvalidGrant(OAuthError):
    """RFC 6749 §5.2: "The provided authorization grant (e.g., authorization code, resource
    owner credentials) or refresh token is invalid, expired, revoked, does not match the
    redirection URI used in the authorization request, or was issued to another client."
    """

    error = "invalid_grant"
    section = "RFC 6749 §5.2"


class UnauthorizedClient(OAuthError):
    """RFC 6749 §5.2: "The authenticated client is not authorized to use this authorization
    grant type." (§4.1.2.1: "... to request an authorization code using this method.")
    """

    error = "unauthorized_client"
    section = "RFC 6749 §5.2"


class UnsupportedGrantType(OAuthError):
    """RFC 6749 §5.2: "The authorization grant type is not supported by the authorization server." """

    error = "unsupported_grant_type"
    section = "RFC 6749 §5.2"


class UnsupportedTokenType(OAuthError):
    """RFC 7009 §2.2.1: "The authorization server does not support the revocation of the
    presented token type."
    """

    error = "unsupported_token_type"
    section = "RFC 7009 §2.2.1"


class InvalidScope(OAuthError):
    """RFC 6749 §5.2: "The requested scope is invalid, unknown, malformed, or exceeds the scope
    granted by the resource owner."
    """

    error = "invalid_scope"
    section = "RFC 6749 §5.2"


class AccessDenied(OAuthError):
    """RFC 6749 §4.1.2.1: "The resource owner or authorization server denied the request." """

    error = "access_denied"
    status_code = 403
    section = "RFC 6749 §4.1.2.1"


class UnsupportedResponseType(OAuthError):
    """RFC 6749 §4.1.2.1: "The authorization server does not support obtaining an
    authorization code using this method."
    """

    error = "unsupported_response_type"
    section = "RFC 6749 §4.1.2.1"


class ServerError(OAuthError):
    """RFC 6749 §4.1.2.1: "The authorization server encountered an unexpected condition that
    prevented it from fulfilling the request."
    """

    error = "server_error"
    status_code = 500
    section = "RFC 6749 §4.1.2.1"


class TemporarilyUnavailable(OAuthError):
    """RFC 6749 §4.1.2.1: "The authorization server is currently unable to handle the request
    due to a temporary overloading or maintenance of the server."
    """

    error = "temporarily_unavailable"
    status_code = 503
    section = "RFC 6749 §4.1.2.1"


class InteractionRequired(OAuthError):
    """OIDC Core §3.1.2.6: "The Authorization Server requires End-User interaction of some form
    to proceed. This error MAY be returned when the prompt parameter value in the
    Authentication Request is none ..."
    """

    error = "interaction_required"
    section = "OIDC Core §3.1.2.6"


class LoginRequired(InteractionRequired):
    """OIDC Core §3.1.2.6: "The Authorization Server requires End-User authentication. This
    error MAY be returned when the prompt parameter value in the Authentication Request is
    none, but the Authentication Request cannot be completed without displaying a user
    interface for End-User authentication."
    """

    error = "login_required"


class ConsentRequired(InteractionRequired):
    """OIDC Core §3.1.2.6: "The Authorization Server requires End-User consent." """

    error = "consent_required"


class RequestNotSupported(OAuthError):
    """OIDC Core §3.1.2.6: "The OP does not support use of the request parameter." """

    error = "request_not_supported"
    section = "OIDC Core §3.1.2.6"


class RequestUriNotSupported(OAuthError):
    """OIDC Core §3.1.2.6: "The OP does not support use of the request_uri parameter." """

    error = "request_uri_not_supported"
    section = "OIDC Core §3.1.2.6"


class BearerError(OAuthError):
    """RFC 6750 §3: errors of a protected resource, announced in ``WWW-Authenticate: Bearer``."""

    realm: ClassVar[str] = "frmr-sso"
    section = "RFC 6750 §3.1"

    def __init__(self, description: str | None = None, *, scope: str | None = None) -> None:
        super().__init__(description)
        self.scope = scope

    def headers(self) -> dict[str, str]:
        params = [f'realm="{self.realm}"', f'error="{self.error}"']
        for name, value in (("error_description", self.description), ("scope", self.scope)):
            quoted = _quoted(value or "").strip()
            if quoted:
                params.append(f'{name}="{quoted}"')
        return {**NO_STORE_HEADERS, "WWW-Authenticate": "Bearer " + ", ".join(params)}


class InvalidToken(BearerError):
    """RFC 6750 §3.1: "The access token provided is expired, revoked, malformed, or invalid for
    other reasons. The resource SHOULD respond with the HTTP 401 (Unauthorized) status code."
    """

    error = "invalid_token"
    status_code = 401


class InsufficientScope(BearerError):
    """RFC 6750 §3.1: "The request requires higher privileges than provided by the access
    token. The resource server SHOULD respond with the HTTP 403 (Forbidden) status code and
    MAY include the "scope" attribute with the scope necessary to access the protected resource."
    """

    error = "insufficient_scope"
    status_code = 403


def _quoted(value: str) -> str:
    """RFC 6750 §3: error_description and scope use %x20-21 / %x23-5B / %x5D-7E only."""
    return "".join(ch for ch in value if 0x20 <= ord(ch) <= 0x7E and ch not in '"\\')
