"""When a person is asked to consent to what a client will receive (OIDC Core §3.1.2.4, RFC 6749 §4.1.2.1).

A first-party client (the personal cabinet, systems the operator marks ``first_party``)
is never asked about. A third-party client is asked once for a set of scopes; the
answer is remembered per person and client with the scopes allowed, so:

    first-party client ─────────────────────────────────▶ GRANTED
    prompt=consent ─────────────────────────────────────▶ ASK
    every requested scope already allowed ──────────────▶ GRANTED
    prompt=none (no page may be shown) ─────────────────▶ REQUIRED (error consent_required)
    otherwise (nothing allowed yet, or a wider set) ────▶ ASK

A refusal goes back to the client as ``access_denied`` with ``state`` and ``iss``.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class ConsentDecision(StrEnum):
    GRANTED = "granted"
    ASK = "ask"
    REQUIRED = "consent_required"


def decide(
    *, first_party: bool, scope: Iterable[str], allowed: Iterable[str] | None, prompt: Iterable[str]
) -> ConsentDecision:
    """``allowed``: the scopes the person allowed this client before, None when never asked."""
    if first_party:
        return ConsentDecision.GRANTED
    prompts = frozenset(prompt)
    if "consent" in prompts:
        return ConsentDecision.REQUIRED if "none" in prompts else ConsentDecision.ASK
    if allowed is not None and set(scope) <= set(allowed):
        return ConsentDecision.GRANTED
    return ConsentDecision.REQUIRED if "none" in prompts else ConsentDecision.ASK
