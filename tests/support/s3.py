"""A local S3-compatible peer (moto in server mode: real HTTP, real S3 wire protocol) and a TCP
proxy in front of it that can cut an upload halfway."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

import boto3
import requests
from botocore.config import Config
from moto.server import ThreadedMotoServer

from eslamed.devtools.clickhouse_server import free_port

CREDENTIALS = {"S3_ACCESS_KEY_ID": "test", "S3_SECRET_ACCESS_KEY": "test", "S3_REGION": "us-east-1"}


@contextmanager
def moto_s3() -> Iterator[str]:
    """Yields the endpoint URL of a fresh moto server on loopback (moto keeps its buckets per
    process, so they are reset first)."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    requests.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()
    try:
        yield endpoint
    finally:
        server.stop()


def raw_client(endpoint: str) -> object:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}),
    )


@dataclass
class CuttingProxy:
    """Forwards TCP to `upstream_port`; a request line containing `cut_marker` is forwarded
    up to half of its body and then both sockets are closed, `cuts_left` times (-1: always)."""

    upstream_port: int
    cut_marker: bytes = b""
    cuts_left: int = 0
    port: int = field(default_factory=free_port)
    cuts_done: int = 0

    def start(self) -> CuttingProxy:
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self) -> None:
        self._listener.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()

    def _should_cut(self, chunk: bytes) -> int | None:
        """Bytes of this chunk to forward before cutting, or None to forward it all."""
        if not self.cut_marker or self.cuts_left == 0:
            return None
        line_end = chunk.find(b"\r\n")
        if line_end < 0 or self.cut_marker not in chunk[:line_end]:
            return None
        head_end = chunk.find(b"\r\n\r\n")
        length = 0
        for header in chunk[:head_end].split(b"\r\n")[1:]:
            name, _, value = header.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if self.cuts_left > 0:
            self.cuts_left -= 1
        self.cuts_done += 1
        return head_end + 4 + length // 2

    def _pipe(self, source: socket.socket, dest: socket.socket, inspect: bool) -> None:
        budget = None
        try:
            while chunk := source.recv(65536):
                if inspect and budget is None:
                    budget = self._should_cut(chunk)
                if budget is None:
                    dest.sendall(chunk)
                    continue
                dest.sendall(chunk[:budget])
                budget -= min(budget, len(chunk))
                if budget == 0:
                    break
        except OSError:
            pass
        finally:
            for sock in (source, dest):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
