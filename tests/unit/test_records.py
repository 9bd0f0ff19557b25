"""``field_values`` writes the JSON ``dataclasses.asdict`` wrote for the records of the login's path."""

from __future__ import annotations

import dataclasses
import json

from frmr_sso.login.session_store import SsoSession
from frmr_sso.login.transaction import LoginTransaction
from frmr_sso.oauth.codes import CodeGrant, RedeemedCode
from frmr_sso.records import field_values

CLAIMS = {"snils": "112-233-445 95", "frmr_organizations": [{"oid": "1.2.643", "name": "ГКБ №1"}], "n": None}
RECORDS = [
    LoginTransaction("esia", "st", "no", None, {"scope": ["openid"], "claims": CLAIMS}, "bh", 1700000000),
    CodeGrant(client_id="c", redirect_uri="https://rp/cb", scope=("openid", "frmr"), subject="s", auth_time=1,
              claims=CLAIMS, nonce="n", acr="a", amr=("pwd", "sms"), session_id="sid"),
    RedeemedCode("c", "jti", 2, "family"),
    SsoSession("sid", "sub", "esia", 1, 2, 3, "a", ("pwd",), ("r",), CLAIMS, "127.0.0.1", "UA", ("c",)),
]


def test_the_same_json_as_asdict_and_no_shared_top_level() -> None:
    for record in RECORDS:
        values = field_values(record)
        expected = json.dumps(dataclasses.asdict(record), ensure_ascii=False)
        assert json.dumps(values, ensure_ascii=False) == expected
        values.clear()  # a new dict: clearing it changes nothing of the record
        assert field_values(record) == {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
