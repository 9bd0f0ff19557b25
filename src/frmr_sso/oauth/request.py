"""A framework-neutral OAuth request (RFC 6749 §3.1, §3.2).

The web layer converts its request into ``OAuthRequest``; the core never sees
FastAPI or Starlette. Parameters stay multi-valued until read, because
RFC 6749 §3.1 says "Request and response parameters MUST NOT be included more
than once" and "Parameters sent without a value MUST be treated as if they
were omitted from the request".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from frmr_sso.oauth.errors import InvalidRequest

DEFAULT_MAX_LENGTH = 2048


class Params:
    """Multi-valued query or form parameters, read one at a time with a length limit.

    Built from (name, value) pairs, a plain mapping, or any multi-dict with
    ``multi_items()`` (Starlette's QueryParams and FormData), whose repeated
    parameters are kept so that ``get`` can refuse them.
    """

    __slots__ = ("_values",)

    def __init__(self, pairs: Iterable[tuple[str, str]] | Mapping[str, str] = ()) -> None:
        values: dict[str, list[str]] = {}
        items: Iterable[tuple[str, str]]
        if hasattr(pairs, "multi_items"):
            items = pairs.multi_items()  # a multi-dict's items() would hide repeated parameters
        elif isinstance(pairs, Mapping):
            items = pairs.items()
        else:
            items = pairs
        for name, value in items:
            values.setdefault(name, []).append(value)
        self._values = values

    def __contains__(self, name: object) -> bool:
        return name in self._values

    def names(self) -> frozenset[str]:
        return frozenset(self._values)

    def get(self, name: str, *, max_length: int = DEFAULT_MAX_LENGTH) -> str | None:
        """The single value of ``name``; None when absent or empty.

        InvalidRequest when repeated (RFC 6749 §3.1) or longer than ``max_length``.
        """
        found = self._values.get(name)
        if found is None:
            return None
        if len(found) > 1:
            raise InvalidRequest(f"parameter {name} is repeated")
        value = found[0]
        if len(value) > max_length:
            raise InvalidRequest(f"parameter {name} is too long")
        return value or None

    def require(self, name: str, *, max_length: int = DEFAULT_MAX_LENGTH) -> str:
        value = self.get(name, max_length=max_length)
        if value is None:
            raise InvalidRequest(f"parameter {name} is missing")
        return value


@dataclass(frozen=True, slots=True)
class OAuthRequest:
    """One HTTP request as the core sees it; header names are lower case."""

    method: str
    query: Params = field(default_factory=Params)
    form: Params = field(default_factory=Params)
    headers: Mapping[str, str] = field(default_factory=dict)
    client_ip: str | None = None

    @classmethod
    def build(
        cls,
        method: str,
        *,
        query: Iterable[tuple[str, str]] | Mapping[str, str] = (),
        form: Iterable[tuple[str, str]] | Mapping[str, str] = (),
        headers: Mapping[str, str] | None = None,
        client_ip: str | None = None,
    ) -> OAuthRequest:
        lowered = {name.lower(): value for name, value in (headers or {}).items()}
        return cls(method.upper(), Params(query), Params(form), lowered, client_ip)

    @property
    def params(self) -> Params:
        """Form parameters of a POST, query parameters otherwise (OIDC Core §3.1.2.1)."""
        return self.form if self.method == "POST" else self.query

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())
