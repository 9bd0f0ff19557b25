"""Why a brokered login failed upstream. Each class is one Russian page and one audit reason.

    UpstreamError (frmr_sso.errors)
    ├── UpstreamUnavailable     timeout, connection error, 5xx, ESIA-007007/007008, circuit open;
    │                           carries ``retry_after`` seconds for the page and the Retry-After header
    ├── UpstreamDenied          the person cancelled or the provider refused (access_denied, ESIA-007004)
    ├── UpstreamProtocolError   bad state, signature, iss, aud, exp, nonce, malformed answers,
    │                           refused client authentication or grant
    ├── AccountNotConfirmed     ESIA-007055, or the tokens/person record do not show a confirmed account
    │   └── SnilsNotVerified    an OIDC provider does not vouch for the SNILS it gave
    └── UpstreamSnilsError
        ├── UpstreamSnilsMissing    the provider gave no SNILS
        └── UpstreamSnilsInvalid    the SNILS fails the format or the checksum

Every error names the connector and a short machine ``reason`` (the audit event's
reason and a metric label: ``timeout``, ``bad_signature``, ``wrong_issuer`` …).
Messages never carry tokens, codes or a SNILS: they end up in logs.
"""

from __future__ import annotations

from frmr_sso.errors import UpstreamError


class UpstreamFailure(UpstreamError):
    """Common shape: the connector's name, a machine reason and, when ESIA said it, the ESIA code."""

    default_reason = "upstream_error"

    def __init__(
        self, message: str, *, connector: str = "", reason: str | None = None, esia_code: str | None = None
    ) -> None:
        super().__init__(message)
        self.connector = connector
        self.reason = reason or self.default_reason
        self.esia_code = esia_code

    def __str__(self) -> str:
        where = f"{self.connector}: " if self.connector else ""
        return f"{where}{self.args[0]} [{self.reason}]"


class UpstreamUnavailable(UpstreamFailure):
    default_reason = "unavailable"

    def __init__(
        self,
        message: str,
        *,
        retry_after: int,
        connector: str = "",
        reason: str | None = None,
        esia_code: str | None = None,
    ) -> None:
        super().__init__(message, connector=connector, reason=reason, esia_code=esia_code)
        self.retry_after = max(1, int(retry_after))


class UpstreamDenied(UpstreamFailure):
    default_reason = "access_denied"


class UpstreamProtocolError(UpstreamFailure):
    default_reason = "protocol_error"


class AccountNotConfirmed(UpstreamFailure):
    default_reason = "account_not_confirmed"


class SnilsNotVerified(AccountNotConfirmed):
    default_reason = "snils_unverified"


class UpstreamSnilsError(UpstreamFailure):
    default_reason = "snils"


class UpstreamSnilsMissing(UpstreamSnilsError):
    default_reason = "snils_missing"


class UpstreamSnilsInvalid(UpstreamSnilsError):
    default_reason = "snils_invalid"


__all__ = [
    "AccountNotConfirmed",
    "SnilsNotVerified",
    "UpstreamDenied",
    "UpstreamError",
    "UpstreamFailure",
    "UpstreamProtocolError",
    "UpstreamSnilsError",
    "UpstreamSnilsInvalid",
    "UpstreamSnilsMissing",
    "UpstreamUnavailable",
]
