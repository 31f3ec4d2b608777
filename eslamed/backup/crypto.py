"""Backup encryption with age, and the manifest's signature: the server holds only the recipient (public)
key and the signing key; the identity file kept off the server holds the private age key and the key that
checks the signature.

A stolen server or bucket then yields no phone number or push subscription: the private
identity that opens a backup lives off the server and is handed to `eslamed restore` only.
age authenticates every chunk, so a file that decrypts is also byte-for-byte what was
encrypted. Every local file is created 0600 whatever the umask.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path
from typing import BinaryIO

import pyrage
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pyrage import x25519

from eslamed.backup.manifest import BackupRefused

SUFFIX = ".age"


def private_file(path: Path, exclusive: bool = False) -> BinaryIO:
    """Open `path` for writing as mode 0600 (created so; an existing file is narrowed first)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "wb")


def recipient_of(text: str) -> x25519.Recipient:
    try:
        return x25519.Recipient.from_str(text.strip())
    except (pyrage.RecipientError, ValueError) as exc:
        raise BackupRefused(f"BACKUP_RECIPIENT {text[:12]!r}… is not an age public key (age1…)") from exc


def identities_in(path: Path) -> list[x25519.Identity]:
    """The `AGE-SECRET-KEY-…` lines of an age-keygen / `eslamed backup-keygen` file."""
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise BackupRefused(f"cannot read the identity file {path}: {exc.strerror}") from exc
    try:
        found = [
            x25519.Identity.from_str(s.strip()) for s in lines if s.strip().startswith("AGE-SECRET-KEY-")
        ]
    except (pyrage.IdentityError, ValueError) as exc:
        raise BackupRefused(f"{path} holds a damaged age identity") from exc
    if not found:
        raise BackupRefused(f"{path} holds no age identity (AGE-SECRET-KEY-… line)")
    return found


def encrypt(source: Path, dest: Path, recipient: str) -> None:
    with source.open("rb") as plain, private_file(dest) as sealed:
        pyrage.encrypt_io(plain, sealed, [recipient_of(recipient)])


def decrypt(source: Path, dest: Path, identities: list[x25519.Identity], what: str) -> None:
    with source.open("rb") as sealed, private_file(dest) as plain:
        try:
            pyrage.decrypt_io(sealed, plain, identities)
        except pyrage.DecryptError as exc:
            raise BackupRefused(f"{what}: the identity given does not open it (wrong key?)") from exc


def new_key_pair() -> tuple[str, str]:
    """(identity, recipient): the private key for the safe, the public one for BACKUP_RECIPIENT."""
    identity = x25519.Identity.generate()
    return str(identity), str(identity.to_public())


# Anyone can seal a file to the public recipient, so a sealed file proves nothing about who wrote it: the
# manifest (names, sizes, sha256 of every file) is signed with Ed25519 by the backup side, and restore
# checks it with the key written into the identity file (issue 27 H).
MANIFEST_KEY_LINE = "# eslamed manifest key: "
RAW = serialization.Encoding.Raw


def new_signing_pair() -> tuple[str, str]:
    """(signing key for BACKUP_SIGNING_KEY on the server, verify key for the identity file), base64."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    public = key.public_key().public_bytes(RAW, serialization.PublicFormat.Raw)
    return base64.b64encode(private).decode(), base64.b64encode(public).decode()


def _decoded(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BackupRefused(f"{what} is not a base64 key") from exc
    if len(raw) != 32:
        raise BackupRefused(f"{what} is not an Ed25519 key (32 bytes)")
    return raw


def sign(data: bytes, signing_key: str) -> bytes:
    key = Ed25519PrivateKey.from_private_bytes(_decoded(signing_key, "BACKUP_SIGNING_KEY"))
    return base64.b64encode(key.sign(data))


def manifest_key_in(identity_file: Path) -> str | None:
    """The verify key `eslamed backup-keygen` wrote into the identity file (None: an older file)."""
    for line in identity_file.read_text().splitlines():
        if line.startswith(MANIFEST_KEY_LINE):
            return line.removeprefix(MANIFEST_KEY_LINE).strip()
    return None


def signature_ok(data: bytes, signature: bytes, verify_key: str) -> bool:
    key = Ed25519PublicKey.from_public_bytes(_decoded(verify_key, "the identity file's manifest key"))
    try:
        key.verify(base64.b64decode(signature.strip(), validate=True), data)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True
