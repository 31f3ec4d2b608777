"""The one place where the ClickHouse schema lives.

Plain types and engines only, so the same DDL runs on Debian's 18.16 server and on the
pinned official image. Status changes are new rows in `ReplacingMergeTree(version)`
tables; readers use `argMax`/`FINAL`. Retention is by monthly partitions.
"""

from __future__ import annotations

import re

SCHEMA_VERSION = 1

EVENTS = """
CREATE TABLE IF NOT EXISTS {db}.events (
    event_id UUID,
    type String,
    ts DateTime,
    received_at DateTime,
    visitor_id String,
    session_id String,
    url String,
    path String,
    ref String,
    ref_host String,
    title String,
    source String,
    gclid String,
    gbraid String,
    wbraid String,
    utm_source String,
    utm_medium String,
    utm_campaign String,
    utm_term String,
    utm_content String,
    variant String,
    country String,
    subdivision String,
    city String,
    device String,
    browser String,
    os String,
    screen String,
    lang String,
    props_keys Array(String),
    props_values Array(String),
    visit_key String
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(ts)
ORDER BY (toDate(ts), event_id)
"""

LEADS = """
CREATE TABLE IF NOT EXISTS {db}.leads (
    lead_id UUID,
    version UInt64,
    created_at DateTime,
    updated_at DateTime,
    status String,
    source String,
    name String,
    phone String,
    message String,
    url String,
    variant String,
    gclid String,
    gbraid String,
    wbraid String,
    click_id_origin String,
    utm_source String,
    utm_medium String,
    utm_campaign String,
    utm_term String,
    utm_content String,
    visitor_id String,
    consent UInt8,
    landing_page String,
    first_source String,
    last_source String,
    country String,
    subdivision String,
    city String,
    device String,
    browser String,
    os String,
    spam_reason String,
    note String,
    clicked_at DateTime,
    visit_key String
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(created_at)
ORDER BY lead_id
"""

CONVERSIONS = """
CREATE TABLE IF NOT EXISTS {db}.conversions (
    conversion_id UUID,
    version UInt64,
    lead_id UUID,
    created_at DateTime,
    updated_at DateTime,
    closed_at DateTime,
    revenue Decimal(18, 2),
    currency String,
    deal_type String,
    deal_seq UInt32,
    gclid String,
    gbraid String,
    wbraid String,
    phone_sha256 String,
    consent UInt8,
    state String,
    attempts UInt32,
    reason String,
    next_attempt_at DateTime,
    backend String,
    request_id String,
    stage String,
    conversion_action_id String,
    adjustment String,
    adjusts String
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(created_at)
ORDER BY conversion_id
"""

NOTIFICATIONS = """
CREATE TABLE IF NOT EXISTS {db}.notifications (
    lead_id UUID,
    channel String,
    target String,
    version UInt64,
    created_at DateTime,
    updated_at DateTime,
    state String,
    attempts UInt32,
    last_error String
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(created_at)
ORDER BY (lead_id, channel, target)
"""

PUSH_SUBSCRIPTIONS = """
CREATE TABLE IF NOT EXISTS {db}.push_subscriptions (
    endpoint String,
    version UInt64,
    p256dh String,
    auth String,
    created_at DateTime,
    active UInt8
) ENGINE = ReplacingMergeTree(version)
ORDER BY endpoint
"""

# Append-only: the ReplacingMergeTree `leads` keeps only the newest row after a merge, so the
# status history the owner sees lives here (written by the admin API with each change).
LEAD_CHANGES = """
CREATE TABLE IF NOT EXISTS {db}.lead_changes (
    lead_id UUID,
    version UInt64,
    changed_at DateTime,
    status String,
    note String,
    phone_changed UInt8
) ENGINE = MergeTree()
PARTITION BY toYYYYMM(changed_at)
ORDER BY (lead_id, version)
"""

# A derived cache, not a source of truth: per Istanbul day, the visits cube (dim 0 = all visits,
# 1 source, 2 campaign, 3 variant, 4 city, 5 device) of days that are over, so a year of stats
# reads ~365 small rows per value instead of regrouping a million events. Safe to drop any time.
STATS_SESSIONS_DAILY = """
CREATE TABLE IF NOT EXISTS {db}.stats_sessions_daily (
    day Date,
    dim UInt8,
    value String,
    version UInt64,
    visits UInt64,
    cta_visits UInt64,
    visitors AggregateFunction(uniqExact, UInt64)
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(day)
ORDER BY (day, dim, value)
"""

# Which fill of stats_sessions_daily is current for a day, and how many `events` rows the day had
# when it was filled: a day whose count has changed since (late events: ring or spill replays,
# browser clocks behind) is filled again, and reads take only the cube rows of the newest fill.
STATS_DAYS = """
CREATE TABLE IF NOT EXISTS {db}.stats_days (
    day Date,
    version UInt64,
    events UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(day)
ORDER BY day
"""

# ---- Inbound WhatsApp messages and calls (issue 16) ----
# A WhatsApp tap's reference code ("ref K7Q2M"), bound to the tap's lead, click id and page.
# Written with the lead; several rows for one code are possible (a journal replay, a collision
# of two visits' codes): readers take the newest binding.
LEAD_REFS = """
CREATE TABLE IF NOT EXISTS {db}.lead_refs (
    ref String,
    lead_id UUID,
    created_at DateTime,
    gclid String,
    url String
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(created_at)
ORDER BY (ref, lead_id)
"""

# Every handled WhatsApp message and call notification, keyed by the sender's id for it (Meta's
# message id, the call's hash): a retried delivery finds its key here and changes nothing.
INBOUND = """
CREATE TABLE IF NOT EXISTS {db}.inbound (
    channel String,
    message_key String,
    received_at DateTime,
    sender String,
    lead_id UUID,
    outcome String,
    body String
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(received_at)
ORDER BY (channel, message_key)
"""

# issue 25: ad spend imported from Google Ads. A re-import writes a newer version of every
# (account, campaign, day) it covers (zero for a day Google no longer reports), so reads take the
# newest version and an import never adds to an earlier one.
AD_COSTS = """
CREATE TABLE IF NOT EXISTS {db}.ad_costs (
    customer_id String,
    campaign_id UInt64,
    day Date,
    version UInt64,
    campaign_name String,
    currency String,
    cost_micros Int64,
    clicks UInt64,
    impressions UInt64,
    imported_at DateTime
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(day)
ORDER BY (customer_id, campaign_id, day)
"""

# A lead's click and the campaign Google's click_view says it belongs to.
AD_CLICKS = """
CREATE TABLE IF NOT EXISTS {db}.ad_clicks (
    gclid String,
    version UInt64,
    customer_id String,
    campaign_id UInt64,
    day Date
) ENGINE = ReplacingMergeTree(version)
ORDER BY gclid
"""

# Each import's outcome, the newest shown to the owner beside the spend.
AD_IMPORTS = """
CREATE TABLE IF NOT EXISTS {db}.ad_imports (
    at DateTime,
    version UInt64,
    customer_id String,
    first_day Date,
    last_day Date,
    ok UInt8,
    code String,
    reason String,
    rows UInt32,
    clicks UInt32
) ENGINE = MergeTree()
ORDER BY (at, version)
"""

# issue 26 (KVKK): the erasure ledger as backed up (a keyed hash of the phone and the lead ids, no
# personal data; the file under DATA_DIR/privacy is the other copy), and the access log of
# personal data (who exported or erased what, and when).
ERASURES = """
CREATE TABLE IF NOT EXISTS {db}.erasures (
    erasure_id String,
    erased_at DateTime,
    phone_hmac String,
    lead_ids Array(String)
) ENGINE = ReplacingMergeTree()
ORDER BY erasure_id
"""

PRIVACY_LOG = """
CREATE TABLE IF NOT EXISTS {db}.privacy_log (
    at DateTime,
    version UInt64,
    actor String,
    action String,
    lead_ids Array(String),
    phone_hmac String,
    detail String
) ENGINE = MergeTree()
PARTITION BY toYYYYMM(at)
ORDER BY (at, version)
"""

TABLES: dict[str, str] = {
    "events": EVENTS,
    "leads": LEADS,
    "conversions": CONVERSIONS,
    "notifications": NOTIFICATIONS,
    "push_subscriptions": PUSH_SUBSCRIPTIONS,
    "lead_changes": LEAD_CHANGES,
    "stats_sessions_daily": STATS_SESSIONS_DAILY,
    "stats_days": STATS_DAYS,
    # issue 16: inbound WhatsApp and calls
    "lead_refs": LEAD_REFS,
    "inbound": INBOUND,
    "ad_costs": AD_COSTS,
    "ad_clicks": AD_CLICKS,
    "ad_imports": AD_IMPORTS,
    "erasures": ERASURES,
    "privacy_log": PRIVACY_LOG,
}


# ---- conv-stages: columns added after the first release -------------------------------------
# 18.16 has no `ADD COLUMN IF NOT EXISTS`, so `migrate` reads system.columns and adds only what an
# existing table lacks; new databases get them from CREATE TABLE above.
ADDED_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "events": (("visit_key", "String"),),  # issue 22: the cookieless visit key (ingest/visit_key.py)
    "leads": (("clicked_at", "DateTime"), ("visit_key", "String")),
    "conversions": (
        ("stage", "String"),
        ("conversion_action_id", "String"),
        ("adjustment", "String"),
        ("adjusts", "String"),
    ),
}
EXISTING_COLUMNS = "SELECT table, name FROM system.columns WHERE database = %(db)s"


def add_column_statements(
    database: str, present: set[tuple[str, str]], cluster: str | None = None
) -> list[str]:
    """ALTERs for the ADDED_COLUMNS an existing database lacks (both tables of a cluster set-up)."""
    out = []
    for table, columns in ADDED_COLUMNS.items():
        for name in (f"{table}_local", table) if cluster else (table,):
            on_cluster = f" ON CLUSTER {cluster}" if cluster else ""
            out.extend(
                f"ALTER TABLE {database}.{name}{on_cluster} ADD COLUMN {column} {kind}"
                for column, kind in columns
                if (name, column) not in present
            )
    return out


# ---- end conv-stages ------------------------------------------------------------------------


# ---- durability: MergeTree table settings, never query settings ------------------------------
# Tables whose rows a client was answered 201 for. `events` is not here: the ring holds events until
# ClickHouse has them (EVENTS_DURABILITY). fsync_after_insert is a MergeTree *table* setting on every
# server that has it (a query that sends it is refused); 18.16 has neither, and there the lead path
# writes its fsync'd journal record before the insert instead (leads/service.py).
DURABLE_TABLES = ("leads", "lead_refs", "conversions", "lead_changes", "inbound", "erasures", "privacy_log")
FSYNC_SETTINGS = "fsync_after_insert = 1, fsync_part_directory = 1"
# The server's MergeTree defaults (config.xml <merge_tree>) for the two settings, where it has them.
MERGE_TREE_FSYNC = (
    "SELECT name, value FROM system.merge_tree_settings"
    " WHERE name IN ('fsync_after_insert', 'fsync_part_directory')"
)
# Each table's engine with the settings it was created or altered with.
TABLE_ENGINES = "SELECT name, engine_full FROM system.tables WHERE database = %(db)s"
_FSYNC_IN_ENGINE = re.compile(r"\bfsync_after_insert = (\d+)")


def fsyncs(engine_full: str, server_default: str | None) -> bool:
    """Whether an insert into a table with this engine is fsync'd before ClickHouse acknowledges it:
    the table's own setting, else the server's MergeTree default (None where the server has no such
    setting, as 18.16)."""
    own = _FSYNC_IN_ENGINE.search(engine_full)
    if own:
        return own.group(1) == "1"
    return server_default == "1"


def fsync_statements(database: str, engines: dict[str, str], cluster: str | None = None) -> list[str]:
    """ALTERs that turn the fsync settings on for durable tables made without them (tables created
    before this setting, or on a server upgraded from one without it)."""
    out = []
    for table in DURABLE_TABLES:
        name = f"{table}_local" if cluster else table
        if name in engines and not _FSYNC_IN_ENGINE.search(engines[name]):
            on_cluster = f" ON CLUSTER {cluster}" if cluster else ""
            out.append(f"ALTER TABLE {database}.{name}{on_cluster} MODIFY SETTING {FSYNC_SETTINGS}")
    return out


def _ddl(table: str, database: str, fsync: bool) -> str:
    ddl = TABLES[table].format(db=database).strip()
    return f"{ddl}\nSETTINGS {FSYNC_SETTINGS}" if fsync and table in DURABLE_TABLES else ddl


def statements(database: str, fsync: bool = False) -> list[str]:
    """DDL in apply order; every statement is idempotent so `migrate` is safe to repeat. `fsync`:
    the server has the MergeTree fsync settings, so durable tables are created with them."""
    return [f"CREATE DATABASE IF NOT EXISTS {database}"] + [_ddl(table, database, fsync) for table in TABLES]


# Scale-out: each table becomes `<name>_local` (Replicated*MergeTree on every replica) plus a
# `Distributed` table under the original name, so the app reads and writes the same names.
# Rows are sharded by their id, so a retried event or lead lands on the same shard and dedups.
SHARD_KEYS: dict[str, str] = {
    "events": "event_id",
    "leads": "lead_id",
    "conversions": "conversion_id",
    "notifications": "lead_id",
    "push_subscriptions": "endpoint",
    "lead_changes": "lead_id",
    "stats_sessions_daily": "day",
    "stats_days": "day",
    # issue 16: inbound WhatsApp and calls
    "lead_refs": "ref",
    "inbound": "message_key",
    "ad_costs": "campaign_id",
    "ad_clicks": "gclid",
    "ad_imports": "customer_id",
    "erasures": "erasure_id",
    "privacy_log": "action",
}
_ENGINE = re.compile(r"ENGINE = (\w*MergeTree)\(([^)]*)\)")


def replaces_rows(table: str) -> bool:
    """Whether `table` keeps one row per key after merges, so reads that must not see unmerged
    copies use FINAL (which 18.16 refuses on a plain MergeTree)."""
    match = _ENGINE.search(TABLES[table])
    return match is not None and match.group(1) == "ReplacingMergeTree"


def _replicated(database: str, table: str, cluster: str, fsync: bool) -> str:
    def engine(match: re.Match[str]) -> str:
        zk_path = f"'/clickhouse/tables/{{shard}}/{database}/{table}'"
        args = ", ".join(a for a in (zk_path, "'{replica}'", match.group(2)) if a)
        return f"ENGINE = Replicated{match.group(1)}({args})"

    head = f"{database}.{table} ("
    local = _ddl(table, database, fsync).replace(head, f"{database}.{table}_local ON CLUSTER {cluster} (", 1)
    return _ENGINE.sub(engine, local, count=1)


def cluster_statements(database: str, cluster: str, fsync: bool = False) -> list[str]:
    """DDL for a ClickHouse cluster (macros {shard} and {replica} set on every server)."""
    out = [f"CREATE DATABASE IF NOT EXISTS {database} ON CLUSTER {cluster}"]
    for table in TABLES:
        out.append(_replicated(database, table, cluster, fsync))
        shard_by = f"cityHash64(toString({SHARD_KEYS[table]}))"
        out.append(
            f"CREATE TABLE IF NOT EXISTS {database}.{table} ON CLUSTER {cluster} AS {database}.{table}_local "
            f"ENGINE = Distributed({cluster}, {database}, {table}_local, {shard_by})"
        )
    return out
