"""Issue 15 item 3: a full DATA_DIR (a real small tmpfs, filled) does not turn a stored lead into a 500."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import requests

from tests.support.leads import form_lead, lead_env, post_lead
from tests.support.peers import telegram_peer
from tests.support.polling import wait_for


@pytest.fixture
def tiny_fs(tmp_path: Path):
    mount = tmp_path / "tiny"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)]).returncode:
        pytest.skip("needs root to mount a tmpfs")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def test_full_data_dir_lead_is_201_and_the_owner_is_told(clickhouse, store, make_server, tiny_fs) -> None:
    telegram = telegram_peer().start()
    server = make_server(clickhouse, store, workers=1, DATA_DIR=str(tiny_fs), **lead_env(telegram))
    subprocess.run(["dd", "if=/dev/zero", f"of={tiny_fs}/fill", "bs=64k"], capture_output=True)
    lead = form_lead()
    reply = post_lead(server.url, lead)
    assert reply.status_code == 201, reply.text
    sent = wait_for(lambda: telegram.delivered(), what="the Telegram message")
    assert "📞 Telefon: 0532 123 45 67" in sent[0].json()["text"]
    assert post_lead(server.url, lead).json()["duplicate"] is True
    assert "ALERT outbox write failed" in server.log()
    ready = requests.get(f"{server.url}/readyz", timeout=10)
    assert (ready.status_code, ready.json()["disk"]) == (503, "low"), ready.text
