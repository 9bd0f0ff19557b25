"""Checks on signed statements with pyHanko's own validation and pypdf's text extraction."""

from __future__ import annotations

import io
from dataclasses import dataclass

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader


@dataclass(frozen=True)
class SignatureCheck:
    intact: bool
    valid: bool
    trusted: bool
    covers_whole_file: bool

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.covers_whole_file


def certificate(pem_or_der: bytes) -> asn1_x509.Certificate:
    if pem.detect(pem_or_der):
        _, _, pem_or_der = pem.unarmor(pem_or_der)
    return asn1_x509.Certificate.load(pem_or_der)


async def check_signature(pdf: bytes, trusted_certificate: bytes) -> SignatureCheck:
    signatures = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures
    assert len(signatures) == 1, f"expected one signature, found {len(signatures)}"
    context = ValidationContext(trust_roots=[certificate(trusted_certificate)])
    status = await async_validate_pdf_signature(signatures[0], context)
    return SignatureCheck(
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        covers_whole_file=status.coverage.name == "ENTIRE_FILE",
    )


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def tampered(pdf: bytes, old: bytes, new: bytes) -> bytes:
    """The file with the first ``old`` (inside the signed range) replaced by ``new`` of the same length."""
    assert len(old) == len(new)
    at = pdf.index(old)
    return pdf[:at] + new + pdf[at + len(old) :]
