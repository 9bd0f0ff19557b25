"""What every page says about the service itself: the operator, support contacts, the cabinet's address.

Built once from the settings by ``create_app`` (``app.state.site``) and given to every template as
``site``: the footer of each page, the start page ``/`` and the personal-data notice ``/privacy``.
"""

from __future__ import annotations

from dataclasses import dataclass

from frmr_sso.config import Settings

PRIVACY_PATH = "/privacy"


@dataclass(frozen=True, slots=True)
class SiteInfo:
    operator: str
    home_url: str = "/"
    """The start page: the issuer's root."""
    support_email: str | None = None
    support_phone: str | None = None
    cabinet_url: str | None = None
    """The personal cabinet's start page, when this broker serves it."""

    @classmethod
    def from_settings(cls, settings: Settings, *, cabinet_mount: str | None) -> SiteInfo:
        """``cabinet_mount``: where this app serves the personal cabinet (None: it does not)."""
        cabinet = f"{settings.issuer}{cabinet_mount}/" if cabinet_mount else None
        return cls(
            operator=settings.operator_name,
            home_url=f"{settings.issuer}/",
            support_email=settings.support_email,
            support_phone=settings.support_phone,
            cabinet_url=cabinet,
        )

    @property
    def privacy_url(self) -> str:
        return self.home_url.rstrip("/") + PRIVACY_PATH

    @property
    def phone_link(self) -> str | None:
        """``tel:`` form of the support phone: digits and a leading plus only."""
        if self.support_phone is None:
            return None
        digits = "".join(ch for ch in self.support_phone if ch.isdigit())
        return ("+" if self.support_phone.strip().startswith("+") else "") + digits


DEFAULT_SITE = SiteInfo(operator="Федеральный регистр медицинских работников")
