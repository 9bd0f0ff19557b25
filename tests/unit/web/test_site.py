"""``SiteInfo``: what every page says about the service, from the settings."""

from __future__ import annotations

from frmr_sso.config import load_settings
from frmr_sso.web.site import SiteInfo


def test_links_follow_the_issuer_and_the_cabinet_only_when_served() -> None:
    settings = load_settings(mode="demo", issuer="https://sso.example/frmr")
    site = SiteInfo.from_settings(settings, cabinet_mount=None)
    assert site.home_url == "https://sso.example/frmr/"
    assert site.privacy_url == "https://sso.example/frmr/privacy"
    assert site.cabinet_url is None
    served = SiteInfo.from_settings(settings, cabinet_mount="/cabinet")
    assert served.cabinet_url == "https://sso.example/frmr/cabinet/"


def test_the_phone_link_keeps_digits_and_the_leading_plus() -> None:
    assert SiteInfo("x", support_phone="+7 (800) 100-00-00").phone_link == "+78001000000"
    assert SiteInfo("x", support_phone="8 800 100 00 00").phone_link == "88001000000"
    assert SiteInfo("x").phone_link is None
