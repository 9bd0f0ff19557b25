"""Statements signed by a key on a PKCS#11 token (SoftHSM2), under the certificate put beside it."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from frmr_sso.bootstrap import build_statement_signer
from frmr_sso.cabinet_backend.statements.content import StatementKind, build_statement
from frmr_sso.cabinet_backend.statements.pdf import render_pdf
from frmr_sso.cabinet_backend.statements.service import SIGNER_ID, StatementService
from frmr_sso.cabinet_backend.statements.signing import PdfSigner, new_service_identity
from frmr_sso.config import ConfigurationError, load_settings
from frmr_sso.security.crypto import FieldCipher
from frmr_sso.security.pkcs11 import Pkcs11Config
from tests.support.pdf_signatures import check_signature, pdf_text
from tests.support.softhsm import SoftHsm, softhsm  # noqa: F401 - the session fixture
from tests.unit.cabinet_backend.statements.test_content import ISSUED, PERSON
from tests.unit.cabinet_backend.statements.test_service import MemoryStatements, Persons


def _on_token(softhsm: SoftHsm, directory: Path, *, certificate_on_token: bool) -> tuple[bytes, Pkcs11Config]:  # noqa: F811
    """A key and its certificate (the demo's self-issued kind) put on the token; the certificate's DER."""
    identity = new_service_identity("ФРМР организация")
    key = serialization.load_der_private_key(identity.private_key_der, password=None)
    label, key_id = f"statements-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex[:8]
    softhsm.import_key(label, key, key_id)  # type: ignore[arg-type]
    certificate = x509.load_der_x509_certificate(identity.certificate_der)
    extra: dict[str, object] = {}
    if certificate_on_token:
        softhsm.put_certificate(label, certificate, key_id)
    else:
        path = directory / "statements.pem"
        path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        extra["certificate_file"] = path
    config = Pkcs11Config(
        kind="pkcs11", module=softhsm.module, token_label=softhsm.token, key_label=label,
        pin_file=softhsm.pin_file(), **extra,  # type: ignore[arg-type]
    )
    return identity.certificate_der, config


@pytest.mark.parametrize("certificate_on_token", [False, True], ids=["certificate-file", "on-token"])
async def test_a_pdf_signed_on_the_token_validates(
    softhsm: SoftHsm, tmp_path: Path, certificate_on_token: bool  # noqa: F811
) -> None:
    certificate_der, config = _on_token(softhsm, tmp_path, certificate_on_token=certificate_on_token)
    signer = PdfSigner.on_token(config)
    assert signer.identity.certificate_der == certificate_der
    content = build_statement(StatementKind.EXTRACT, PERSON, number="2026-HSM", issued_at=ISSUED)
    pdf = await asyncio.to_thread(signer.sign, render_pdf(content), reason="Выписка № 2026-HSM")
    assert (await check_signature(pdf, certificate_der)).ok
    other = new_service_identity("другой").certificate_der
    assert not (await check_signature(pdf, other)).trusted


async def test_the_statement_service_signs_with_the_token_and_keeps_no_key(
    softhsm: SoftHsm, tmp_path: Path  # noqa: F811
) -> None:
    certificate_der, config = _on_token(softhsm, tmp_path, certificate_on_token=False)
    repo = MemoryStatements()
    svc = StatementService(
        repo, Persons(PERSON), FieldCipher("x" * 40, purpose="statement-signing-key"), signer_name="тест",
        signer=PdfSigner.on_token(config),
    )
    try:
        record = await svc.order(PERSON.frmr_id, "extract")
        await svc.wait(record.id)
        ready, pdf = await svc.pdf(PERSON.frmr_id, record.id)
    finally:
        await svc.aclose()
    assert ready.status == "ready"
    assert (await check_signature(pdf, certificate_der)).ok
    assert "Иванова Мария Петровна" in pdf_text(pdf)
    assert (await svc.identity()).certificate_der == certificate_der  # what the API publishes
    assert SIGNER_ID not in repo.signers  # no self-issued key was made


def test_the_setting_is_json_and_its_faults_are_named(softhsm: SoftHsm, tmp_path: Path) -> None:  # noqa: F811
    with pytest.raises(ConfigurationError, match=r"FRMR_SSO_STATEMENT_SIGNER\[key_label\]"):
        load_settings(mode="demo", statement_signer={"kind": "pkcs11", "module": "/x.so", "token_label": "t"})
    settings = load_settings(
        mode="demo",
        statement_signer={"kind": "pkcs11", "module": str(softhsm.module), "token_label": softhsm.token,
                          "key_label": "absent", "pin_file": str(softhsm.pin_file())},
    )
    with pytest.raises(ConfigurationError, match="FRMR_SSO_STATEMENT_SIGNER: key_label: no single private"):
        build_statement_signer(settings)
