"""base64url without padding (RFC 7515 §2 "Base64url Encoding", Appendix C), strict both ways.

The decoder takes only the URL-safe alphabet, no ``=`` and no whitespace, and refuses a length no
encoder produces (1 modulo 4); everything it accepts is what ``b64url_encode`` would have written
for some bytes. It runs in C: one regular-expression match and ``binascii``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

_ALPHABET = re.compile(r"[A-Za-z0-9_-]*")


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """The bytes of unpadded base64url ``text``; ValueError for anything else."""
    if not isinstance(text, str) or not _ALPHABET.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not unpadded base64url")
    padded = text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4)
    try:
        return binascii.a2b_base64(padded, strict_mode=True)
    except binascii.Error:
        raise ValueError("not unpadded base64url") from None


def json_segment(value: Any) -> str:
    """A JOSE header or JWT claims set as a compact-serialisation segment (compact JSON, UTF-8)."""
    return b64url_encode(json.dumps(value, separators=(",", ":")).encode("utf-8"))
