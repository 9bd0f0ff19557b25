"""PAdES signatures on statements (pyHanko), under the service's own certificate or a token's.

By default the service signs with one RSA key and a self-issued X.509 certificate
(``digitalSignature`` + ``nonRepudiation``, ten years). ``new_service_identity``
makes the pair; the service keeps it in the store with the key sealed (see
``statements_service``). ``PdfSigner.on_token`` signs instead with a key on a
PKCS#11 token or HSM (``FRMR_SSO_STATEMENT_SIGNER``), under the certificate the
operator put beside it (the organisation's qualified one, say). A verifier trusts
that certificate — the cabinet and the API publish it — and pyHanko's validation
then reports the signature intact, valid and trusted; any change to the signed
bytes breaks it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from frmr_sso.security.pkcs11 import Pkcs11Config, TokenKey


def _der(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError:
        raise ValueError(f"certificate_file: cannot read {path}") from None
    if data.lstrip().startswith(b"-----BEGIN"):
        try:
            return x509.load_pem_x509_certificate(data).public_bytes(serialization.Encoding.DER)
        except ValueError:
            raise ValueError(f"certificate_file: {path} is not a PEM certificate") from None
    return data


CERTIFICATE_LIFETIME = timedelta(days=3650)
SIGNATURE_FIELD = "FRMRSignature"


@dataclass(frozen=True, slots=True)
class SigningCertificate:
    certificate_der: bytes

    @property
    def certificate_pem(self) -> str:
        cert = x509.load_der_x509_certificate(self.certificate_der)
        return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


@dataclass(frozen=True, slots=True)
class ServiceIdentity(SigningCertificate):
    private_key_der: bytes = field(repr=False)  # PKCS#8


def new_service_identity(common_name: str, *, now: datetime | None = None) -> ServiceIdentity:
    now = now or datetime.now(UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ФРМР"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Подпись выписок"),
        ]
    )
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + CERTIFICATE_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return ServiceIdentity(
        certificate_der=certificate.public_bytes(serialization.Encoding.DER),
        private_key_der=key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )


class PdfSigner:
    """Signs PDFs (PAdES baseline B, SHA-256) with a ``ServiceIdentity`` or a token's key; blocking,
    call it in a thread."""

    def __init__(self, identity: SigningCertificate, signer: signers.Signer | None = None) -> None:
        self.identity = identity
        if signer is None:
            if not isinstance(identity, ServiceIdentity):
                raise TypeError("a certificate without its key needs the signer that holds the key")
            signer = signers.SimpleSigner(
                signing_cert=asn1_x509.Certificate.load(identity.certificate_der),
                signing_key=asn1_keys.PrivateKeyInfo.load(identity.private_key_der),
                cert_registry=SimpleCertificateStore(),  # type: ignore[no-untyped-call]
            )
        self._signer = signer

    @classmethod
    def on_token(cls, config: Pkcs11Config, base_dir: Path = Path()) -> PdfSigner:
        """The key ``key_label`` on the token; the certificate from ``certificate_file`` or the token
        (``cert_label``, else the key's label). ValueError naming the field when any of it fails."""
        from pyhanko.sign.pkcs11 import PKCS11Signer

        token = TokenKey(config, base_dir)
        certificate = None
        if config.certificate_file is not None:
            certificate = asn1_x509.Certificate.load(_der(config.path(config.certificate_file, base_dir)))
        signer = PKCS11Signer(
            token.session, key_label=config.key_label, cert_label=config.cert_label or config.key_label,
            signing_cert=certificate,
        )
        try:
            der = signer.signing_cert.dump()
        except Exception as exc:  # pyHanko's lookup on the token: PKCS11Error, SigningError
            raise ValueError(f"cert_label: no certificate on the token ({type(exc).__name__})") from None
        return cls(SigningCertificate(der), signer)

    def sign(self, pdf: bytes, *, reason: str, location: str = "ФРМР") -> bytes:
        meta = signers.PdfSignatureMetadata(
            field_name=SIGNATURE_FIELD,
            subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256",
            reason=reason,
            location=location,
        )
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        signed = signers.sign_pdf(writer, meta, signer=self._signer)
        return bytes(signed.getvalue())
