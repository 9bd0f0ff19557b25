"""The APIs an access token may be for (its ``aud``) and the scopes only first-party clients get.

Every access token names the broker (the issuer) as an audience: UserInfo and
the registry, audit and administration APIs accept it. The person's sensitive
sections are APIs of their own, each with a dedicated scope and audience (the
API's URL, as an RFC 8707 resource indicator would name it):

| scope              | audience                          | what it opens                              |
|--------------------|-----------------------------------|--------------------------------------------|
| ``account.sessions`` | ``<issuer>/api/v1/me/sessions``  | list and end the person's SSO sessions     |
| ``frmr.documents``   | ``<issuer>/api/v1/me/documents`` | the identity documents section of the record |
| ``account.consents`` | ``<issuer>/api/v1/me/consents``  | list and revoke the person's consents to clients |
| ``account.logins``   | ``<issuer>/api/v1/me/logins``    | the person's own login history              |

A token carries the audience of such an API only when its scope was granted,
and these scopes are granted only to clients registered with
``first_party: true`` (the personal cabinet): a client's registration may list
them only then (``oauth.client_specs``), and a client never gets a scope it is
not registered for (``oauth.scope.narrow``).
"""

from __future__ import annotations

from collections.abc import Iterable

ACCOUNT_SESSIONS = "account.sessions"
FRMR_DOCUMENTS = "frmr.documents"
SESSIONS_API = "/api/v1/me/sessions"
DOCUMENTS_API = "/api/v1/me/documents"
ACCOUNT_CONSENTS = "account.consents"
CONSENTS_API = "/api/v1/me/consents"
ACCOUNT_LOGINS = "account.logins"
LOGINS_API = "/api/v1/me/logins"
_API_OF_SCOPE = {
    ACCOUNT_SESSIONS: SESSIONS_API, FRMR_DOCUMENTS: DOCUMENTS_API,
    ACCOUNT_CONSENTS: CONSENTS_API, ACCOUNT_LOGINS: LOGINS_API,
}
FIRST_PARTY_SCOPES = frozenset(_API_OF_SCOPE)


def api_audience(issuer: str, api: str) -> str:
    """The audience naming one of the broker's APIs: its absolute URL."""
    return issuer.rstrip("/") + api


def token_audience(issuer: str, scope: Iterable[str]) -> str | list[str]:
    """``aud`` of an access token granted ``scope``: the issuer, and the API of each first-party scope."""
    apis = [api_audience(issuer, _API_OF_SCOPE[s]) for s in scope if s in _API_OF_SCOPE]
    return [issuer, *apis] if apis else issuer
