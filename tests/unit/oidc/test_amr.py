from __future__ import annotations

import pytest

from frmr_sso.oidc.amr import ESIA_AMR, REGISTERED, from_esia, registered, with_method


@pytest.mark.parametrize(
    ("esia", "expected"),
    [
        (("PWD",), ("pwd",)),
        (("PWD", "SMS"), ("pwd", "sms", "mfa")),
        (("PWD", "TOTP"), ("pwd", "otp", "mfa")),
        (("DS",), ("hwk",)),
        (("pwd", " sms "), ("pwd", "sms", "mfa")),  # ESIA's words in any case
        (("PWD", "PWD"), ("pwd",)),
        (("PWD", "SOMETHING_NEW"), ("pwd",)),  # unknown names stay out of amr
        ((), ()),
    ],
)
def test_esia_methods_map_to_rfc_8176(esia: tuple[str, ...], expected: tuple[str, ...]) -> None:
    assert from_esia(esia) == expected


def test_the_table_maps_only_onto_registered_values() -> None:
    assert set(ESIA_AMR.values()) <= REGISTERED
    assert {"pwd", "sms", "otp", "mfa"} <= REGISTERED


def test_a_provider_s_amr_keeps_only_registered_values() -> None:
    assert registered(["PWD", "otp", "x-custom", "urn:foo"]) == ("pwd", "otp", "mfa")
    assert registered(["pwd"]) == ("pwd",)
    assert registered(["mfa"]) == ("mfa",)  # a provider's own word that several factors were used


def test_the_broker_s_otp_after_a_password_is_mfa() -> None:
    assert with_method(("pwd",), "otp") == ("pwd", "otp", "mfa")
    assert with_method(("pwd", "sms", "mfa"), "otp") == ("pwd", "sms", "otp", "mfa")
    assert with_method((), "otp") == ("otp",)
