"""Where backups live: a local directory or any S3-compatible bucket (AWS, Hetzner, MinIO).

Both targets write an object completely or not at all (a temp file renamed into place; an
S3 PUT), and every transfer is retried, so an interrupted upload is either repeated or
fails the whole backup before its manifest is written. Local files are 0600 in 0700
directories; S3 objects ask for the bucket's server-side encryption (S3_SERVER_SIDE_ENCRYPTION,
default AES256; `none` for a store that offers none) on top of the age encryption.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TypeVar
from urllib.parse import urlparse

from eslamed.backup.crypto import private_file
from eslamed.core.config import BackupSettings, S3Settings, Settings

T = TypeVar("T")
ATTEMPTS = 5


class TargetError(Exception):
    """A transfer failed after every retry."""


class Target(Protocol):
    def describe(self) -> str: ...
    def put_file(self, key: str, path: Path) -> None: ...
    def get_file(self, key: str, path: Path) -> bool: ...
    def list(self, prefix: str) -> list[str]: ...
    def delete(self, keys: list[str]) -> None: ...


def with_retries(what: str, action: Callable[[], T], attempts: int = ATTEMPTS, pause_s: float = 0.5) -> T:
    """Run a transfer, retrying with backoff; the log line says which object and which attempt."""
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except Exception as exc:
            if attempt == attempts:
                raise TargetError(f"{what} failed after {attempts} attempts: {exc}") from exc
            sys.stderr.write(f"backup: {what} interrupted ({exc.__class__.__name__}), retry {attempt}\n")
            time.sleep(pause_s * 2 ** (attempt - 1))
    raise AssertionError("unreachable")


class LocalDirTarget:
    def __init__(self, root: Path) -> None:
        self.root = root

    def describe(self) -> str:
        return str(self.root)

    def put_file(self, key: str, path: Path) -> None:
        dest = self.root / key
        dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".part")
        with path.open("rb") as source, private_file(tmp) as out:
            shutil.copyfileobj(source, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dest)

    def get_file(self, key: str, path: Path) -> bool:
        source = self.root / key
        if not source.is_file():
            return False
        with source.open("rb") as fh, private_file(path) as out:
            shutil.copyfileobj(fh, out)
        return True

    def list(self, prefix: str) -> list[str]:
        base = self.root / prefix
        if not base.exists():
            return []
        return sorted(
            str(p.relative_to(self.root))
            for p in base.rglob("*")
            if p.is_file() and not p.name.endswith(".part")
        )

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            (self.root / key).unlink(missing_ok=True)


class S3Target:
    def __init__(
        self,
        bucket: str,
        prefix: str,
        client: object,
        attempts: int = ATTEMPTS,
        pause_s: float = 0.5,
        server_side_encryption: str = "AES256",
    ) -> None:
        self.sse = {"ServerSideEncryption": server_side_encryption} if server_side_encryption else {}
        self.attempts = attempts
        self.pause_s = pause_s
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = client

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def put_file(self, key: str, path: Path) -> None:
        size = path.stat().st_size
        full = self.prefix + key

        def upload() -> None:
            with path.open("rb") as fh:
                self.client.put_object(Bucket=self.bucket, Key=full, Body=fh, ContentLength=size, **self.sse)
            stored = self.client.head_object(Bucket=self.bucket, Key=full)["ContentLength"]
            if stored != size:
                raise TargetError(f"{full}: stored {stored} bytes, sent {size}")

        with_retries(f"upload of {full}", upload, self.attempts, self.pause_s)

    def get_file(self, key: str, path: Path) -> bool:
        from botocore.exceptions import ClientError

        full = self.prefix + key

        def download() -> bool:
            try:
                body = self.client.get_object(Bucket=self.bucket, Key=full)["Body"]
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                    return False
                raise
            with private_file(path) as fh:
                for chunk in body.iter_chunks(1 << 20):
                    fh.write(chunk)
            return True

        return with_retries(f"download of {full}", download, self.attempts, self.pause_s)

    def list(self, prefix: str) -> list[str]:
        def listing() -> list[str]:
            keys = []
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                keys.extend(obj["Key"][len(self.prefix) :] for obj in page.get("Contents", []))
            return sorted(keys)

        return with_retries(f"listing of {self.describe()}{prefix}", listing, self.attempts, self.pause_s)

    def delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            batch = [{"Key": self.prefix + k} for k in keys[start : start + 1000]]
            with_retries(
                f"deletion of {len(batch)} objects",
                lambda batch=batch: self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
                ),
                self.attempts,
                self.pause_s,
            )


def s3_client(s3: S3Settings) -> object:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=s3.endpoint_url or None,
        aws_access_key_id=s3.access_key_id or None,
        aws_secret_access_key=s3.secret_access_key or None,
        region_name=s3.region,
        config=Config(
            connect_timeout=10,
            read_timeout=60,
            retries={"mode": "standard", "total_max_attempts": 1},  # with_retries does it
            # S3-compatible stores (Hetzner, MinIO) reject the CRC trailers newer boto3 sends by default.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            s3={"addressing_style": s3.addressing_style},
        ),
    )


def open_target(location: str, backup: BackupSettings) -> Target:
    """`s3://bucket/prefix` -> the bucket through S3_* settings; anything else is a directory."""
    parsed = urlparse(location)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise TargetError(f"{location!r}: an S3 target needs a bucket, s3://bucket/prefix")
        sse = backup.s3.server_side_encryption
        return S3Target(
            parsed.netloc,
            parsed.path,
            s3_client(backup.s3),
            pause_s=backup.retry_pause_s,
            server_side_encryption="" if sse.lower() == "none" else sse,
        )
    if parsed.scheme == "file":
        return LocalDirTarget(Path(parsed.path))
    if parsed.scheme:
        raise TargetError(f"{location!r}: use s3://bucket/prefix or a directory path")
    return LocalDirTarget(Path(location))


def configured_location(settings: Settings) -> str:
    return settings.integrations.backup.target or str(settings.data_dir / "backups")
