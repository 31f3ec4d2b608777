"""The deploy files, checked without a Docker engine: compose resolves, invariants hold, XML parses."""

from __future__ import annotations

import ipaddress
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from eslamed.core.config import CLOUDFLARE_RANGES
from tests.support.paths import REPO

OPS = REPO / "ops"


def parse_xml(relative: str) -> ET.Element:
    return ET.parse(OPS / relative).getroot()  # noqa: S314 - our own committed files


def compose_file() -> dict:
    return yaml.safe_load((OPS / "docker-compose.yml").read_text())


def test_compose_invariants() -> None:
    compose = compose_file()
    services = compose["services"]
    clickhouse, app, caddy = services["clickhouse"], services["app"], services["caddy"]
    assert re.fullmatch(r"clickhouse/clickhouse-server:\d+\.\d+\.\d+\.\d+", clickhouse["image"])
    assert re.fullmatch(r"caddy:\d+\.\d+\.\d+-alpine", caddy["image"])
    assert "ports" not in clickhouse and app["ports"] == ["127.0.0.1:8000:8000"]
    assert clickhouse["networks"] == ["backend"] and compose["networks"]["backend"]["internal"] is True
    assert "CLICKHOUSE_PASSWORD:?" in clickhouse["environment"]["CLICKHOUSE_PASSWORD"]
    assert "${CLICKHOUSE_PASSWORD:?" in app["environment"]["CLICKHOUSE_URL"]
    assert "clickhouse-data:/var/lib/clickhouse" in clickhouse["volumes"]
    assert "eslamed-state:/var/lib/eslamed" in app["volumes"]
    assert app["environment"]["SPOOL_DIR"].startswith("/var/lib/eslamed/")
    assert app["environment"]["DATA_DIR"].startswith("/var/lib/eslamed/")
    mounted = {v.split(":")[0] for v in clickhouse["volumes"] if v.startswith("./")}
    for path in mounted:
        assert (OPS / path).is_file(), path
    assert (OPS / caddy["volumes"][0].split(":")[0]).is_file()
    assert (OPS / app["build"]["context"] / app["build"]["dockerfile"]).resolve().is_file()
    edge = ipaddress.ip_network(compose["networks"]["edge"]["ipam"]["config"][0]["subnet"])
    gateway = next(edge.hosts())  # Docker forwards the loopback-published port from here
    assert app["environment"]["TRUSTED_PROXIES"] == f"{gateway}/32"
    assert caddy["environment"]["APP_UPSTREAM"] == "127.0.0.1:8000"


@pytest.mark.parametrize("relative", ["docker-compose.yml", "cluster/docker-compose.yml"])
def test_docker_publishes_nothing_past_the_host_firewall(relative: str) -> None:
    """Docker's published ports are DNAT'ed before ufw sees them, so "allow 443 only from
    Cloudflare" would not hold for them: the edge runs on the host network, the rest on loopback."""
    services = yaml.safe_load((OPS / relative).read_text())["services"]
    assert services["caddy"]["network_mode"] == "host" and "ports" not in services["caddy"]
    for name, service in services.items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (relative, name, port)


@pytest.mark.parametrize("relative", ["Caddyfile", "cluster/Caddyfile"])
def test_caddy_strips_client_claims_and_keeps_metrics_inside(relative: str) -> None:
    text = (OPS / relative).read_text()
    assert "header_up -CF-Connecting-IP" in text
    assert "respond /metrics* 404" in text
    trusted = re.search(r"^\s*trusted_proxies (.+)$", text, re.M)
    assert trusted and trusted.group(1).split() == CLOUDFLARE_RANGES.split(","), "same list as the app's"


@pytest.mark.skipif(not shutil.which("docker-compose"), reason="docker-compose (Debian package) missing")
def test_compose_config_resolves_with_the_example_env(tmp_path: Path) -> None:
    """`config` needs no engine; ops/.env is the operator's, so the example stands in for it."""
    (tmp_path / "ops").mkdir()
    shutil.copy(OPS / "docker-compose.yml", tmp_path / "ops" / "docker-compose.yml")
    shutil.copy(OPS / "env.example", tmp_path / "ops" / ".env")
    run = subprocess.run(
        ["docker-compose", "-f", str(tmp_path / "ops" / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    resolved = yaml.safe_load(run.stdout)
    url = resolved["services"]["app"]["environment"]["CLICKHOUSE_URL"]
    assert url == "clickhouse://eslamed:change-me-0123456789abcdef0123456789abcdef@clickhouse:9000/eslamed"

    (tmp_path / "ops" / ".env").write_text("SITE_DOMAIN=x\n")
    missing = subprocess.run(
        ["docker-compose", "-f", str(tmp_path / "ops" / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode != 0 and "set CLICKHOUSE_PASSWORD in ops/.env" in missing.stderr


@pytest.mark.parametrize("path", sorted(str(p.relative_to(OPS)) for p in OPS.rglob("*.xml")))
def test_clickhouse_xml_parses(path: str) -> None:
    root = parse_xml(path)
    assert root.tag in ("clickhouse", "yandex")


def test_small_box_memory_settings() -> None:
    config = parse_xml("clickhouse/config.d/eslamed.xml")
    assert float(config.findtext("max_server_memory_usage_to_ram_ratio")) <= 0.5
    profile = parse_xml("clickhouse/users.d/eslamed.xml").find("profiles/default")
    assert int(profile.findtext("max_memory_usage")) <= 1_500_000_000


def test_cron_runs_the_backup_nightly_and_fails_loudly() -> None:
    cron = (OPS / "cron/eslamed-backup").read_text()
    [line] = [x for x in cron.splitlines() if x and not x.startswith("#") and "=" not in x]
    minute, hour, *_rest, user, command = line.split(maxsplit=6)
    assert (minute, hour, user) == ("17", "3", "root")
    script = (OPS / "cron/run-backup.sh").read_text()
    assert command.endswith("ops/cron/run-backup.sh") and "eslamed backup" in script
    assert 'exit "$status"' in script
    assert subprocess.run(["bash", "-n", str(OPS / "cron/run-backup.sh")]).returncode == 0


def test_cluster_example_is_two_shards_of_two_replicas_matching_the_compose_services() -> None:
    compose = yaml.safe_load((OPS / "cluster/docker-compose.yml").read_text())
    services = compose["services"]
    config = parse_xml("cluster/clickhouse/cluster.xml")
    shards = config.findall("remote_servers/eslamed/shard")
    assert len(shards) == 2
    for number, shard in enumerate(shards, 1):
        assert shard.findtext("internal_replication") == "true"
        hosts = [r.findtext("host") for r in shard.findall("replica")]
        assert len(hosts) == 2
        for host in hosts:
            assert services[host]["environment"]["SHARD"] == f"{number:02d}"
            assert services[host]["environment"]["REPLICA"] == host
            assert "ports" not in services[host]
    keepers = [n.findtext("host") for n in config.findall("zookeeper/node")]
    assert len(keepers) == 3 and all(k in services for k in keepers)
    for app in ("app-1", "app-2"):
        assert "migrate --cluster eslamed" in " ".join(services[app]["command"])


@pytest.mark.skipif(not shutil.which("docker-compose"), reason="docker-compose (Debian package) missing")
def test_cluster_compose_config_resolves(tmp_path: Path) -> None:
    shutil.copytree(OPS / "cluster", tmp_path / "ops" / "cluster")
    shutil.copy(OPS / "env.example", tmp_path / "ops" / ".env")
    run = subprocess.run(
        [
            "docker-compose",
            "--env-file",
            str(tmp_path / "ops" / ".env"),
            "-f",
            str(tmp_path / "ops" / "cluster" / "docker-compose.yml"),
            "config",
            "--services",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert len(run.stdout.split()) == 3 + 4 + 2 + 1


def _dev_sh_packages(name: str) -> list[str]:
    text = (OPS / "dev.sh").read_text()
    return re.search(rf"^{name}=\(([^)]*)\)", text, re.M).group(1).split()


def test_run_command_installs_only_what_serving_needs() -> None:
    """Issue 21 item 5: `bash ops/dev.sh run` installs ClickHouse, Python, the demo clock's libfaketime and
    the site build's esbuild (issue 23); browsers, proxies, load tools, ZooKeeper (and its Java) and Docker
    are the test command's or a deploy's."""
    run = _dev_sh_packages("RUN_PACKAGES")
    assert run == ["clickhouse-server", "clickhouse-client", "python3-venv", "faketime", "esbuild"]
    forbidden = {"docker.io", "docker-compose", "containerd", "zookeeper", "default-jre", "caddy", "wrk"}
    assert not forbidden & set(run)
    assert set(_dev_sh_packages("TEST_PACKAGES")) == {"chromium", "caddy", "wrk", "zookeeper"}
    assert "docker" not in (OPS / "dev.sh").read_text().replace("Docker is for deploys", "")
