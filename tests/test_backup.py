"""Backup -> S3-compatible peer (moto server) -> wipe -> restore, incremental days, refusals."""

from __future__ import annotations

import fcntl
import gzip
import json
import os
import secrets
import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from eslamed.backup import catalog, crypto
from eslamed.backup.crypto import new_key_pair
from eslamed.backup.export import run_backup
from eslamed.backup.manifest import BackupRefused, manifest_key, sha256_file
from eslamed.backup.restore import run_restore
from eslamed.backup.targets import LocalDirTarget, Target, TargetError, open_target
from eslamed.backup.verify import table_checksums
from eslamed.core.config import load_settings
from eslamed.core.store import Store
from eslamed.devtools.sample_data import insert_events, insert_leads_and_sales
from tests.support.admin import AUTH
from tests.support.leads import lead_env
from tests.support.meta import REF, deliver, inbound_env, text_message, whatsapp_tap
from tests.support.s3 import CREDENTIALS, CuttingProxy, moto_s3, raw_client
from tests.support.server import base_env, run_cli

DAY = date(2026, 11, 20)
BUCKET = "eslamed-backups"


def at(day: date, hour: int = 3) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 17, tzinfo=UTC)


def quiet(_line: str) -> None:
    pass


@pytest.fixture
def key(tmp_path: Path) -> tuple[str, Path]:
    """(recipient, identity file): the public key the server holds, the private one it never does."""
    identity, recipient = new_key_pair()
    path = tmp_path / "backup-identity.txt"
    path.write_text(f"# public key: {recipient}\n{identity}\n")
    return recipient, path


@pytest.fixture
def s3() -> Iterator[str]:
    with moto_s3() as endpoint:
        raw_client(endpoint).create_bucket(Bucket=BUCKET)
        yield endpoint


def s3_target(endpoint: str, tmp_path: Path) -> Target:
    """The target exactly as `eslamed backup` builds it from BACKUP_TARGET and S3_* settings."""
    env = base_env("clickhouse://default:@127.0.0.1:9000", "unused", tmp_path)
    env.update(CREDENTIALS, S3_ENDPOINT_URL=endpoint, BACKUP_RETRY_PAUSE_S="0.05")
    return open_target(f"s3://{BUCKET}/prod", load_settings(env).integrations.backup)


def seeded(store: Store) -> dict[str, tuple[int, int]]:
    insert_events(store, [DAY - timedelta(days=2), DAY - timedelta(days=1)], per_day=300)
    insert_leads_and_sales(store, 40, datetime(2026, 11, 18, 14, 5))
    return table_checksums(store)


def wipe(store: Store) -> None:
    store.query(f"DROP DATABASE {store.database}")


def test_backup_to_s3_wipe_restore_gives_identical_tables(
    store: Store, s3: str, tmp_path: Path, key: tuple[str, Path]
) -> None:
    before = seeded(store)
    assert before["events"][0] == 600 and before["leads"][0] == 40 and before["conversions"][0] == 10
    target = s3_target(s3, tmp_path)

    result = run_backup(store, target, key[0], now=at(DAY), progress=quiet)
    assert result.manifest.rows("events") == 600
    keys = raw_client(s3).list_objects_v2(Bucket=BUCKET)["Contents"]
    assert f"prod/{manifest_key(result.manifest.backup_id)}" in [k["Key"] for k in keys]

    wipe(store)
    restored = run_restore(store, target, "latest", progress=quiet, identity=key[1])
    assert restored.rows == {
        "events": 600,
        "leads": 80,
        "lead_changes": 0,
        "conversions": 10,
        "notifications": 0,
        "push_subscriptions": 0,
        "lead_refs": 0,
        "inbound": 0,
        "ad_costs": 0,
        "ad_clicks": 0,
        "erasures": 0,
        "privacy_log": 0,
    }
    assert table_checksums(store) == before


def test_next_day_backup_uploads_only_the_new_day(
    store: Store, s3: str, tmp_path: Path, key: tuple[str, Path]
) -> None:
    seeded(store)
    target = s3_target(s3, tmp_path)
    first = run_backup(store, target, key[0], now=at(DAY), progress=quiet)
    assert sorted(k for k in first.uploaded if k.startswith("events/")) == [
        k for k in sorted(f.key for f in first.manifest.files if f.table == "events")
    ]
    insert_events(store, [DAY], per_day=120, seed=7)

    second = run_backup(store, target, key[0], now=at(DAY + timedelta(days=1)), progress=quiet)

    new_event_objects = [k for k in second.uploaded if k.startswith("events/")]
    assert len(new_event_objects) == 1 and new_event_objects[0].startswith(f"events/{DAY.isoformat()}/")
    assert sorted(second.reused) == sorted(f.key for f in first.manifest.files if f.table == "events")
    assert second.manifest.rows("events") == 720
    expected = table_checksums(store)
    wipe(store)
    run_restore(
        store, target, catalog.new_backup_id(at(DAY + timedelta(days=1))), progress=quiet, identity=key[1]
    )
    assert table_checksums(store) == expected


def test_a_day_object_lost_from_the_target_is_exported_again(
    store: Store, tmp_path: Path, key: tuple[str, Path]
) -> None:
    seeded(store)
    target = LocalDirTarget(tmp_path / "backups")
    first = run_backup(store, target, key[0], now=at(DAY), progress=quiet)
    lost, kept = sorted(f.key for f in first.manifest.files if f.table == "events")
    (tmp_path / "backups" / lost).unlink()

    second = run_backup(store, target, key[0], now=at(DAY + timedelta(days=1)), progress=quiet)

    [again] = [k for k in second.uploaded if k.startswith("events/")]
    assert again.split("/")[1] == lost.split("/")[1]
    assert second.reused == [kept]
    assert (tmp_path / "backups" / again).is_file()


def database_exists(store: Store) -> bool:
    rows = store.query("SELECT count() FROM system.databases WHERE name = %(db)s", {"db": store.database})
    return rows[0][0] == 1


def test_corrupt_or_partial_backup_is_refused_before_anything_is_written(
    store: Store, tmp_path: Path, key: tuple[str, Path]
) -> None:
    seeded(store)
    target = LocalDirTarget(tmp_path / "backups")
    result = run_backup(store, target, key[0], now=at(DAY), progress=quiet)
    wipe(store)
    victim = next(f for f in result.manifest.files if f.table == "events")
    path = tmp_path / "backups" / victim.key
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))

    with pytest.raises(BackupRefused, match=f"corrupt: {victim.key} has sha256"):
        run_restore(store, target, "latest", progress=quiet, identity=key[1])
    assert not database_exists(store)

    path.unlink()
    with pytest.raises(BackupRefused, match=f"partial: {victim.key} is missing"):
        run_restore(store, target, "latest", progress=quiet, identity=key[1])
    assert not database_exists(store)

    (tmp_path / "backups" / manifest_key(result.manifest.backup_id)).unlink()
    with pytest.raises(BackupRefused, match="is partial"):
        run_restore(store, target, result.manifest.backup_id, progress=quiet, identity=key[1])
    assert not database_exists(store)


def test_restore_refuses_a_database_that_holds_data(
    store: Store, tmp_path: Path, key: tuple[str, Path]
) -> None:
    seeded(store)
    target = LocalDirTarget(tmp_path / "backups")
    run_backup(store, target, key[0], now=at(DAY), progress=quiet)
    before = table_checksums(store)
    with pytest.raises(BackupRefused, match="is not empty"):
        run_restore(store, target, "latest", progress=quiet, identity=key[1])
    assert table_checksums(store) == before


def test_interrupted_upload_is_retried_and_no_manifest_ever_lies(
    store: Store, s3: str, tmp_path: Path, key: tuple[str, Path]
) -> None:
    before = seeded(store)
    upstream_port = int(s3.rsplit(":", 1)[1])
    proxy = CuttingProxy(upstream_port, cut_marker=b"PUT /eslamed-backups/prod/events/", cuts_left=1).start()
    try:
        target = s3_target(proxy.url, tmp_path)
        first = run_backup(store, target, key[0], now=at(DAY), progress=quiet)
        assert proxy.cuts_done == 1

        insert_events(store, [DAY], per_day=50, seed=9)
        second_id = catalog.new_backup_id(at(DAY + timedelta(days=1)))
        proxy.cut_marker = f"PUT /{BUCKET}/prod/{manifest_key(second_id)}".encode()
        proxy.cuts_left = -1
        with pytest.raises(TargetError, match=r"upload of .*manifest\.json failed after 5 attempts"):
            run_backup(store, target, key[0], now=at(DAY + timedelta(days=1)), progress=quiet)
        assert proxy.cuts_done == 6
    finally:
        proxy.stop()

    bucket = [o["Key"] for o in raw_client(s3).list_objects_v2(Bucket=BUCKET)["Contents"]]
    manifests = [k for k in bucket if k.endswith("manifest.json")]
    assert manifests == [f"prod/{manifest_key(first.manifest.backup_id)}"]
    wipe(store)
    restored = run_restore(store, s3_target(s3, tmp_path), "latest", progress=quiet, identity=key[1])
    assert restored.backup_id == first.manifest.backup_id
    assert table_checksums(store) == before


class TelegramPeer(BaseHTTPRequestHandler):
    received: list[tuple[str, dict]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        TelegramPeer.received.append((self.path, body))
        reply = b'{"ok": true, "result": {"message_id": 1}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: object) -> None:
        pass


def test_cli_backup_failure_exits_non_zero_logs_and_alerts_telegram(
    tmp_path: Path, key: tuple[str, Path]
) -> None:
    telegram = ThreadingHTTPServer(("127.0.0.1", 0), TelegramPeer)
    threading.Thread(target=telegram.serve_forever, daemon=True).start()
    env = base_env("clickhouse://default:@127.0.0.1:1", "nothing_here", tmp_path)
    env.update(
        BACKUP_TARGET=str(tmp_path / "backups"),
        TELEGRAM_BOT_TOKEN="123:abc",
        TELEGRAM_CHAT_ID="4242",
        TELEGRAM_API_BASE=f"http://127.0.0.1:{telegram.server_port}",
        BACKUP_RECIPIENT=key[0],
        PATH="/usr/bin:/bin",
    )
    try:
        run = run_cli(env, "backup")
    finally:
        telegram.shutdown()
    assert run.returncode == 1
    assert "eslamed backup FAILED: StoreUnavailable" in run.stderr
    [(path, body)] = TelegramPeer.received
    assert path == "/bot123:abc/sendMessage"
    assert body["chat_id"] == "4242" and "StoreUnavailable" in body["text"]


def test_cli_restore_prints_time_and_refuses_corrupt(
    store: Store, tmp_path: Path, clickhouse, key: tuple[str, Path]
) -> None:
    seeded(store)
    target_dir = tmp_path / "backups"
    run_backup(store, LocalDirTarget(target_dir), key[0], now=at(DAY), progress=quiet)
    wipe(store)
    env = {**base_env(clickhouse.url, store.database, tmp_path), "PATH": "/usr/bin:/bin"}
    restore = ("restore", "latest", "--target", str(target_dir), "--identity", str(key[1]))
    ok = run_cli(env, *restore, timeout_s=120)
    assert ok.returncode == 0, ok.stderr
    assert "rows in" in ok.stdout and " s\n" in ok.stdout

    again = run_cli(env, *restore, timeout_s=120)
    assert again.returncode == 1
    assert "eslamed restore: refused:" in again.stderr and "is not empty" in again.stderr


def test_cli_refuses_a_second_backup_while_one_runs(tmp_path: Path) -> None:
    env = base_env("clickhouse://default:@127.0.0.1:1", "nothing_here", tmp_path)
    env.update(BACKUP_TARGET=str(tmp_path / "backups"), PATH="/usr/bin:/bin")
    (tmp_path / "data").mkdir()
    with (tmp_path / "data" / "backup.lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        run = run_cli(env, "backup")
    assert run.returncode == 1
    assert "eslamed backup FAILED: another backup is still running" in run.stderr


def phones_of(store: Store) -> list[str]:
    return [r[0] for r in store.query(f"SELECT phone FROM {store.database}.leads ORDER BY lead_id, phone")]


def leads_rows(store: Store) -> list[tuple]:
    return store.query(f"SELECT * FROM {store.database}.leads FINAL ORDER BY lead_id")


def readable(data: bytes) -> bytes:
    """The bytes as stored plus, for a gzip file, what anyone gunzipping it would read."""
    return data + (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else b"")


def cli_env(clickhouse, store: Store, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {**base_env(clickhouse.url, store.database, tmp_path), "PATH": "/usr/bin:/bin", **extra}


def test_cli_backup_to_s3_holds_no_plaintext_phone_and_asks_for_aes256(
    store: Store, s3: str, tmp_path: Path, clickhouse, key: tuple[str, Path]
) -> None:
    seeded(store)
    phones = phones_of(store)
    assert len(phones) == 80 and all(p.startswith("+90532") for p in phones)
    env = cli_env(
        clickhouse,
        store,
        tmp_path,
        **CREDENTIALS,
        S3_ENDPOINT_URL=s3,
        BACKUP_TARGET=f"s3://{BUCKET}/prod",
        BACKUP_RECIPIENT=key[0],
    )
    run = run_cli(env, "backup", timeout_s=120)
    assert run.returncode == 0, run.stderr

    client = raw_client(s3)
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert len(keys) == 14  # 11 full tables, 2 days of events, the manifest

    def leaked(name: str) -> list[str]:
        data = readable(client.get_object(Bucket=BUCKET, Key=name)["Body"].read())
        return [p for p in phones if p.encode() in data or p[1:].encode() in data]

    assert {name: leaked(name) for name in keys if leaked(name)} == {}
    sse = {name: client.head_object(Bucket=BUCKET, Key=name).get("ServerSideEncryption") for name in keys}
    assert set(sse.values()) == {"AES256"}, sse


def test_cli_local_backup_is_0600_sealed_and_only_the_right_key_restores_it(
    store: Store, tmp_path: Path, clickhouse, key: tuple[str, Path]
) -> None:
    seeded(store)
    phones, originals = phones_of(store), leads_rows(store)
    target_dir = tmp_path / "backups"
    env = cli_env(clickhouse, store, tmp_path, BACKUP_TARGET=str(target_dir), BACKUP_RECIPIENT=key[0])
    old_umask = os.umask(0)  # the files must be private whatever umask cron runs with
    try:
        run = run_cli(env, "backup", timeout_s=120)
    finally:
        os.umask(old_umask)
    assert run.returncode == 0, run.stderr
    files = [p for p in target_dir.rglob("*") if p.is_file()]
    assert len(files) == 14  # 11 full tables, 2 days of events, the manifest

    def leaked(path: Path) -> list[str]:
        data = readable(path.read_bytes())
        return [p for p in phones if p.encode() in data or p[1:].encode() in data]

    assert {str(p): leaked(p) for p in files if leaked(p)} == {}
    assert {str(p): oct(p.stat().st_mode & 0o777) for p in files} == {str(p): "0o600" for p in files}

    wipe(store)
    wrong = tmp_path / "someone-else.key"
    wrong.write_text(new_key_pair()[0] + "\n")
    refused = run_cli(env, "restore", "latest", "--identity", str(wrong), timeout_s=120)
    assert refused.returncode == 1
    [line] = refused.stderr.splitlines()
    assert line.startswith("eslamed restore: refused: backup ") and "wrong key" in line, line
    assert not database_exists(store)

    missing = run_cli(env, "restore", "latest", timeout_s=120)
    assert missing.returncode == 1
    assert "is encrypted" in missing.stderr and "--identity FILE or BACKUP_IDENTITY_FILE" in missing.stderr
    assert not database_exists(store)

    ok = run_cli({**env, "BACKUP_IDENTITY_FILE": str(key[1])}, "restore", "latest", timeout_s=120)
    assert ok.returncode == 0, ok.stderr
    assert leads_rows(store) == originals


def test_cli_backup_without_a_recipient_is_refused_unless_plaintext_is_chosen(
    store: Store, tmp_path: Path, clickhouse
) -> None:
    seeded(store)
    target_dir = tmp_path / "backups"
    env = cli_env(clickhouse, store, tmp_path, BACKUP_TARGET=str(target_dir))
    run = run_cli(env, "backup", timeout_s=120)
    assert run.returncode == 1
    assert "BACKUP_RECIPIENT is not set: make a key pair with `eslamed backup-keygen`" in run.stderr
    assert not target_dir.exists()

    plain = run_cli({**env, "BACKUP_PLAINTEXT": "1"}, "backup", timeout_s=120)
    assert plain.returncode == 0, plain.stderr
    assert "NOT encrypted (BACKUP_PLAINTEXT=1)" in plain.stdout


def test_production_refuses_plaintext_backups(tmp_path: Path) -> None:
    env = base_env(f"clickhouse://default:{secrets.token_hex(12)}@127.0.0.1:1", "nothing_here", tmp_path)
    env.update(
        ESLAMED_ENV="production",
        ADMIN_SECRET=secrets.token_hex(24),
        METRICS_TOKEN=secrets.token_hex(24),
        BACKUP_PLAINTEXT="1",
        BACKUP_TARGET=str(tmp_path / "backups"),
        PATH="/usr/bin:/bin",
    )
    run = run_cli(env, "backup")
    assert run.returncode == 1
    assert "BACKUP_RECIPIENT is not set; production backups are always encrypted" in run.stderr
    assert not (tmp_path / "backups").exists()


def test_keygen_writes_a_private_identity_that_opens_what_its_recipient_seals(tmp_path: Path) -> None:
    env = base_env("clickhouse://default:@127.0.0.1:1", "nothing_here", tmp_path)
    env["PATH"] = "/usr/bin:/bin"
    out = tmp_path / "backup.key"
    run = run_cli(env, "backup-keygen", str(out))
    assert run.returncode == 0, run.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    recipient = run.stdout.split("BACKUP_RECIPIENT=")[1].split()[0]
    assert crypto.manifest_key_in(out), "the identity file also holds the key that checks manifests"
    plain, sealed, opened = tmp_path / "p", tmp_path / "s", tmp_path / "o"
    plain.write_bytes(b"+905321234567")
    crypto.encrypt(plain, sealed, recipient)
    crypto.decrypt(sealed, opened, crypto.identities_in(out), "test")
    assert opened.read_bytes() == b"+905321234567"
    again = run_cli(env, "backup-keygen", str(out))
    assert again.returncode == 1 and "exists; not overwriting" in again.stderr


def owner_view(base_url: str, lead_id: str) -> dict:
    answer = requests.get(f"{base_url}/api/admin/leads/{lead_id}", headers=AUTH, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_history_notes_and_whatsapp_made_through_the_server_come_back_after_restore(
    store: Store, clickhouse, make_server, tmp_path: Path, key: tuple[str, Path]
) -> None:
    server = make_server(clickhouse, store, workers=1, **lead_env(), **inbound_env())
    lead_id = whatsapp_tap(server.url, "Cj0KCQ-backup-1")
    message = text_message("905321234567", f"Fiyat alabilir miyim? (ref {REF})", "wamid.backup-1")
    assert deliver(server.url, message).json()["messages"] == [{"outcome": "attached", "lead_id": lead_id}]
    admin = f"{server.url}/api/admin/leads/{lead_id}"
    note = requests.post(f"{admin}/note", json={"note": "Yarın 10'da aranacak"}, headers=AUTH, timeout=10)
    assert note.status_code == 201, note.text
    status = {"status": "CONTACTED", "note": "Arandı, fiyat verildi"}
    assert requests.post(f"{admin}/status", json=status, headers=AUTH, timeout=10).status_code == 200
    seen = owner_view(server.url, lead_id)
    assert [h["note"] for h in seen["history"]] == [
        "",
        f"WhatsApp mesajı (ref {REF})",
        "Yarın 10'da aranacak",
        "Arandı, fiyat verildi",
    ]
    server.stop()
    owner_made = ("lead_changes", "lead_refs", "inbound")
    counts = {t: store.query(f"SELECT count() FROM {store.database}.{t}")[0][0] for t in owner_made}
    assert counts == {"lead_changes": 3, "lead_refs": 1, "inbound": 1}
    before = table_checksums(store)
    env = cli_env(
        clickhouse, store, tmp_path, BACKUP_TARGET=str(tmp_path / "backups"), BACKUP_RECIPIENT=key[0]
    )
    backup = run_cli(env, "backup", timeout_s=120)
    assert backup.returncode == 0, backup.stderr

    wipe(store)
    restore = run_cli(env, "restore", "latest", "--identity", str(key[1]), timeout_s=120)
    assert restore.returncode == 0, restore.stderr
    assert table_checksums(store) == before
    again = make_server(clickhouse, store, workers=1, **lead_env(), **inbound_env())
    assert owner_view(again.url, lead_id) == seen
    replay = deliver(again.url, message)  # Meta retries a delivery it sent before the backup
    assert replay.json()["messages"] == [{"outcome": "duplicate", "lead_id": ""}]


def test_restore_does_not_trust_a_plaintext_file_slipped_into_a_sealed_backup(
    store: Store, tmp_path: Path, clickhouse, key: tuple[str, Path]
) -> None:
    """Issue 27 H: someone with write access to the bucket copies a sealed backup and swaps its leads file for
    a plaintext one of their own (its manifest entry marked plaintext, its sha256 right). With the key given,
    the restore refuses; without it, plaintext is read only with --allow-plaintext. Backup directories are
    0700 under umask 000."""
    seeded(store)
    target_dir, forged_dir = tmp_path / "backups", tmp_path / "forger"
    env = cli_env(clickhouse, store, tmp_path, BACKUP_TARGET=str(target_dir), BACKUP_RECIPIENT=key[0])
    old_umask = os.umask(0)
    try:
        assert run_cli(env, "backup", timeout_s=120).returncode == 0
        forger = {**env, "BACKUP_TARGET": str(forged_dir), "BACKUP_PLAINTEXT": "1", "BACKUP_RECIPIENT": ""}
        assert run_cli(forger, "backup", timeout_s=120).returncode == 0
    finally:
        os.umask(old_umask)
    dirs = [p for p in target_dir.rglob("*") if p.is_dir()]
    assert dirs and {oct(p.stat().st_mode & 0o777) for p in dirs} == {"0o700"}

    [manifest_path] = target_dir.glob("backups/*/manifest.json")
    [forged_manifest] = forged_dir.glob("backups/*/manifest.json")
    manifest, plain = json.loads(manifest_path.read_text()), json.loads(forged_manifest.read_text())
    theirs = next(f for f in plain["files"] if f["table"] == "leads")
    (target_dir / theirs["key"]).parent.mkdir(parents=True, exist_ok=True)  # their backup id may differ
    shutil.copy(forged_dir / theirs["key"], target_dir / theirs["key"])
    manifest["files"] = [theirs if f["table"] == "leads" else f for f in manifest["files"]]
    manifest_path.write_text(json.dumps(manifest))
    wipe(store)

    with_key = run_cli({**env, "BACKUP_IDENTITY_FILE": str(key[1])}, "restore", "latest", timeout_s=120)
    assert with_key.returncode == 1
    assert "is not encrypted although a key was given" in with_key.stderr, with_key.stderr
    without = run_cli(env, "restore", "latest", timeout_s=120)
    assert without.returncode == 1 and "--allow-plaintext" in without.stderr, without.stderr
    assert not database_exists(store)


def test_a_backup_rebuilt_from_files_sealed_to_the_public_key_is_refused_by_its_signature(
    store: Store, tmp_path: Path, clickhouse
) -> None:
    """Issue 27 H: anyone can seal a file to the public recipient, so a bucket writer could swap in a leads
    file of their own, sealed, with its sha256 in the manifest. The manifest is signed by the backup side
    (BACKUP_SIGNING_KEY) and checked with the key `backup-keygen` wrote into the identity file: the forgery
    is refused, an unsigned manifest needs --allow-unsigned, and the untouched backup restores."""
    seeded(store)
    originals = leads_rows(store)
    identity = tmp_path / "owner.key"
    made = run_cli(cli_env(clickhouse, store, tmp_path), "backup-keygen", str(identity))
    assert made.returncode == 0, made.stderr
    printed = dict(line.split("=", 1) for line in made.stdout.splitlines() if "=" in line)
    assert crypto.manifest_key_in(identity) and set(printed) == {"BACKUP_RECIPIENT", "BACKUP_SIGNING_KEY"}
    target_dir = tmp_path / "backups"
    env = cli_env(clickhouse, store, tmp_path, BACKUP_TARGET=str(target_dir), **printed)
    assert run_cli(env, "backup", timeout_s=120).returncode == 0
    [manifest_path] = target_dir.glob("backups/*/manifest.json")
    assert (manifest_path.parent / "manifest.sig").exists()
    genuine = manifest_path.read_bytes()

    manifest = json.loads(genuine)
    entry = next(f for f in manifest["files"] if f["table"] == "leads")
    forged_plain, forged = tmp_path / "forged.jsonl.gz", target_dir / (entry["key"] + ".forged")
    with gzip.open(forged_plain, "wb") as out:
        out.write(b"")  # the attacker's rows: here none, so the restore would lose every lead
    crypto.encrypt(forged_plain, forged, printed["BACKUP_RECIPIENT"])
    forged_key = entry["key"] + ".forged"
    entry.update(key=forged_key, rows=0, sha256=sha256_file(forged), size=forged.stat().st_size)
    manifest_path.write_text(json.dumps(manifest))
    wipe(store)
    restore = ("restore", "latest", "--identity", str(identity))
    refused = run_cli(env, *restore, timeout_s=120)
    assert refused.returncode == 1 and "signature does not match" in refused.stderr, refused.stderr
    assert not database_exists(store)

    (manifest_path.parent / "manifest.sig").unlink()
    unsigned = run_cli(env, *restore, timeout_s=120)
    assert unsigned.returncode == 1 and "--allow-unsigned" in unsigned.stderr, unsigned.stderr

    manifest_path.write_bytes(genuine)
    (manifest_path.parent / "manifest.sig").write_bytes(crypto.sign(genuine, printed["BACKUP_SIGNING_KEY"]))
    ok = run_cli(env, *restore, timeout_s=120)
    assert ok.returncode == 0, ok.stderr
    assert leads_rows(store) == originals
