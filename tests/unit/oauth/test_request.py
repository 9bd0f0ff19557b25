from __future__ import annotations

import pytest

from frmr_sso.oauth.errors import InvalidRequest
from frmr_sso.oauth.request import OAuthRequest, Params


def test_single_values_and_absent_parameters() -> None:
    params = Params([("a", "1"), ("b", "")])
    assert params.get("a") == "1"
    assert params.get("b") is None  # RFC 6749 §3.1: no value means omitted
    assert params.get("c") is None
    assert "b" in params
    assert "c" not in params
    assert params.names() == {"a", "b"}


def test_a_repeated_parameter_is_an_invalid_request() -> None:
    params = Params([("scope", "openid"), ("scope", "openid")])
    with pytest.raises(InvalidRequest, match="scope is repeated"):
        params.get("scope")


def test_a_repeated_empty_parameter_is_still_repeated() -> None:
    with pytest.raises(InvalidRequest):
        Params([("state", ""), ("state", "")]).get("state")


def test_length_limit() -> None:
    params = Params({"state": "x" * 11})
    assert params.get("state", max_length=11) == "x" * 11
    with pytest.raises(InvalidRequest, match="state is too long"):
        params.get("state", max_length=10)


def test_require() -> None:
    assert Params({"code": "c"}).require("code") == "c"
    for params in (Params(), Params({"code": ""})):
        with pytest.raises(InvalidRequest, match="code is missing"):
            params.require("code")


def test_request_reads_form_for_post_and_query_otherwise() -> None:
    post = OAuthRequest.build("post", query={"a": "query"}, form={"a": "form"})
    get = OAuthRequest.build("GET", query={"a": "query"}, form={"a": "form"})
    assert post.method == "POST"
    assert post.params.get("a") == "form"
    assert get.params.get("a") == "query"


def test_headers_are_case_insensitive() -> None:
    request = OAuthRequest.build("GET", headers={"Authorization": "Basic x"}, client_ip="192.0.2.1")
    assert request.header("authorization") == "Basic x"
    assert request.header("AUTHORIZATION") == "Basic x"
    assert request.header("cookie") is None
    assert request.client_ip == "192.0.2.1"


class MultiDict(dict[str, str]):
    """Like Starlette's QueryParams: ``items()`` shows one value per name, ``multi_items()`` all."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        super().__init__(pairs)
        self._pairs = pairs

    def multi_items(self) -> list[tuple[str, str]]:
        return list(self._pairs)


def test_a_multi_dict_keeps_its_repeated_parameters() -> None:
    params = Params(MultiDict([("scope", "openid"), ("scope", "profile"), ("state", "s")]))
    assert params.get("state") == "s"
    with pytest.raises(InvalidRequest, match="repeated"):
        params.get("scope")
