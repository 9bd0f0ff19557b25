from __future__ import annotations

import base64
import re
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest

from frmr_sso.second_factor import totp
from frmr_sso.security.crypto import derive_key

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NOW = 1_764_158_400.0  # a multiple of 30: the start of a step
STEP = int(NOW) // 30


def test_a_new_secret_is_160_random_bits_in_base32() -> None:
    secrets = {totp.new_secret() for _ in range(20)}
    assert len(secrets) == 20
    for secret in secrets:
        assert len(base64.b32decode(secret)) == 20


def test_the_secret_is_grouped_by_four_for_typing() -> None:
    assert totp.grouped("ABCDEFGHIJ") == "ABCD EFGH IJ"


def test_the_provisioning_uri_names_issuer_account_and_secret() -> None:
    uri = totp.provisioning_uri(SECRET, "Морозов Дмитрий")
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert unquote(parts.path) == "/ФРМР:Морозов Дмитрий"
    query = parse_qs(parts.query)
    assert query["secret"] == [SECRET]
    assert query["issuer"] == ["ФРМР"]


def test_the_qr_code_is_inline_svg_without_xml_declaration() -> None:
    svg = totp.qr_svg(totp.provisioning_uri(SECRET, "x"))
    assert svg.startswith("<svg")
    assert "<?xml" not in svg
    assert "<script" not in svg
    assert "<title>" in svg


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_codes_of_the_current_step_and_one_either_side_match_with_their_step(offset: int) -> None:
    code = pyotp.TOTP(SECRET).at(NOW + offset * 30)
    assert totp.matching_step(SECRET, code, NOW) == STEP + offset


@pytest.mark.parametrize("offset", [-3, -2, 2, 3])
def test_codes_outside_the_window_do_not_match(offset: int) -> None:
    assert totp.matching_step(SECRET, totp.code_at(SECRET, STEP + offset), NOW) is None


@pytest.mark.parametrize("typed", ["12345", "1234567", "abcdef", "", "12 34 5x"])
def test_malformed_codes_never_match(typed: str) -> None:
    assert totp.matching_step(SECRET, typed, NOW) is None


def test_spaces_and_dashes_in_a_typed_code_are_ignored() -> None:
    code = totp.code_at(SECRET, STEP)
    assert totp.matching_step(SECRET, f" {code[:3]} {code[3:]} ", NOW) == STEP
    assert totp.matching_step(SECRET, f"{code[:3]}-{code[3:]}", NOW) == STEP


def test_ten_distinct_recovery_codes_of_an_unambiguous_alphabet() -> None:
    codes = totp.new_recovery_codes()
    assert len(set(codes)) == 10
    for code in codes:
        assert re.fullmatch(r"[a-hj-km-np-z2-9]{5}-[a-hj-km-np-z2-9]{5}", code)
        assert totp.looks_like_recovery_code(code)
        assert totp.looks_like_recovery_code(code.upper().replace("-", " "))
        assert not totp.looks_like_totp(code)
    assert not totp.looks_like_recovery_code("123456")
    assert totp.looks_like_totp("123 456")


def test_recovery_hashes_are_keyed_and_ignore_how_the_code_was_typed() -> None:
    key, other = derive_key("secret-one", "recovery-codes"), derive_key("secret-two", "recovery-codes")
    code = "abcde-fghjk"
    digest = totp.hash_recovery_code(key, code)
    assert len(digest) == 64
    assert code not in digest
    assert totp.hash_recovery_code(key, "ABCDE FGHJK") == digest
    assert totp.hash_recovery_code(other, code) != digest
