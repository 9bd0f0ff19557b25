"""Dev-only: the broker's ESIA client key pair for the compose stack.

``python esia_dev_key.py DIR`` writes ``DIR/esia-client.pem`` (RSA private key, PKCS#8,
mode 0400) and ``DIR/esia-client.pub.pem`` (its public half, which the mock ESIA loads
from mock-esia-clients.yaml), unless the private key already exists. Run as root on a
fresh volume, it hands both files to uid/gid 10001 (the image's user).

A real ESIA registration uses a key issued for your information system; mount that one
instead (see deploy/README.md).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

APP_UID = APP_GID = 10001
PRIVATE_NAME = "esia-client.pem"
PUBLIC_NAME = "esia-client.pub.pem"


def ensure_key_pair(directory: Path) -> bool:
    """Create the pair when missing; True when a new key was written."""
    directory.mkdir(parents=True, exist_ok=True)
    private_path, public_path = directory / PRIVATE_NAME, directory / PUBLIC_NAME
    created = False
    if private_path.exists():
        key = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        created = True
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    public_path.write_bytes(public_pem)
    public_path.chmod(0o444)
    if os.geteuid() == 0:
        for path in (directory, private_path, public_path):
            os.chown(path, APP_UID, APP_GID)
    return created


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: esia_dev_key.py DIR", file=sys.stderr)
        return 2
    created = ensure_key_pair(Path(argv[0]))
    print(f"ESIA dev client key {'created' if created else 'kept'} in {argv[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
