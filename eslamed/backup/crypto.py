"""Backup encryption with age: the server holds only the recipient (public) key.

A stolen server or bucket then yields no phone number or push subscription: the private
identity that opens a backup lives off the server and is handed to `eslamed restore` only.
age authenticates every chunk, so a file that decrypts is also byte-for-byte what was
encrypted. Every local file is created 0600 whatever the umask.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

import pyrage
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
