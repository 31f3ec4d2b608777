"""Scale-out path: one shard, two replicas (two clickhouse-server 18.16 processes) coordinated by
Debian's ZooKeeper, schema from `migrate --cluster`, events ingested through two app instances
and read back through the Distributed table, before and after one replica is stopped."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
import requests

from eslamed.core.config import parse_clickhouse_url
from eslamed.core.store import Store
from eslamed.devtools.clickhouse_server import LocalClickHouse, free_port
from tests.support import zookeeper

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.skipif(not zookeeper.available(), reason="needs java and Debian's zookeeper package"),
]

CLUSTER = "eslamed_test"
DATABASE = "clustered"
UA = "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile"


def cluster_xml(replica: str, zk_port: int, tcp_ports: list[int]) -> str:
    replicas = "".join(f"<replica><host>127.0.0.1</host><port>{p}</port></replica>" for p in tcp_ports)
    return f"""
    <interserver_http_host>127.0.0.1</interserver_http_host>
    <interserver_http_port>{free_port()}</interserver_http_port>
    <zookeeper><node><host>127.0.0.1</host><port>{zk_port}</port></node></zookeeper>
    <macros><shard>01</shard><replica>{replica}</replica></macros>
    <remote_servers><{CLUSTER}><shard><internal_replication>true</internal_replication>{replicas}</shard>
    </{CLUSTER}></remote_servers>
    <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>
    """


def send_events(url: str, count: int) -> set[str]:
    ids = {str(uuid.uuid4()) for _ in range(count)}
    events = [
        {"type": "pageview", "event_id": i, "url": "https://eslamed.example/", "visitor_id": "v1"}
        for i in ids
    ]
    for start in range(0, count, 50):
        reply = requests.post(
            f"{url}/api/track",
            json={"events": events[start : start + 50]},
            headers={"User-Agent": UA},
            timeout=10,
        )
        assert reply.status_code == 202, reply.text
    return ids


def wait_for_count(store: Store, table: str, expected: int, timeout_s: float = 30.0) -> int:
    deadline = time.monotonic() + timeout_s
    count = -1
    while time.monotonic() < deadline:
        count = store.query(f"SELECT count() FROM {DATABASE}.{table}")[0][0]
        if count == expected:
            return count
        time.sleep(0.3)
    return count


def test_two_replicas_behind_distributed_tables_lose_nothing(tmp_path: Path, make_server) -> None:
    zk = zookeeper.LocalZooKeeper(tmp_path / "zk").start()
    nodes = [LocalClickHouse(tmp_path / name) for name in ("r1", "r2")]
    ports = [n.tcp_port for n in nodes]
    try:
        for name, node in zip(("r1", "r2"), nodes, strict=True):
            node.extra_config = cluster_xml(name, zk.port, ports)
            node.start()
        stores = [Store(parse_clickhouse_url(f"{n.url}/{DATABASE}"), timeout_s=30.0) for n in nodes]
        applied = stores[0].migrate(cluster=CLUSTER)
        assert any("events_local ON CLUSTER" in s for s in applied)
        for store in stores:
            engines = dict(
                store.query(f"SELECT name, engine FROM system.tables WHERE database = '{DATABASE}'")
            )
            assert engines["events"] == "Distributed"
            assert engines["events_local"] == "ReplicatedReplacingMergeTree"

        apps = [
            make_server(
                node,
                store,
                workers=1,
                SPOOL_DIR=str(tmp_path / f"spool{i}"),
                DATA_DIR=str(tmp_path / f"data{i}"),
            )
            for i, (node, store) in enumerate(zip(nodes, stores, strict=True))
        ]
        sent = send_events(apps[0].url, 150) | send_events(apps[1].url, 150)

        for store in stores:
            assert wait_for_count(store, "events", 300) == 300
            assert wait_for_count(store, "events_local", 300) == 300
        for app in apps:
            app.stop()

        nodes[0].stop()
        survivor = stores[1]
        assert survivor.query(f"SELECT count() FROM {DATABASE}.events")[0][0] == 300
        read_back = {str(r[0]) for r in survivor.query(f"SELECT event_id FROM {DATABASE}.events")}
        assert read_back == sent
    finally:
        for node in nodes:
            node.stop()
        zk.stop()
