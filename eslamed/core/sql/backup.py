"""Queries for backup, restore and the restore drill."""

VERSION = "SELECT version()"
DESCRIBE = "DESCRIBE TABLE {db}.{table}"
TABLE_EXISTS = "SELECT count() FROM system.tables WHERE database = %(db)s AND name = %(table)s"
ROW_COUNT = "SELECT count() FROM {db}.{table}"
FULL_TABLE = "SELECT {columns} FROM {db}.{table}"
# Events are immutable and deduplicated by event_id: FINAL gives one row per event, so a
# day's count only changes when new events for that day arrive.
# 18.16 quirks: toDate(ts) next to FINAL on a table sorted by toDate(ts) needs the subquery,
# and comparing the key to a bare string literal fails ("String ... not of fixed size"), so the
# day goes through toDate().
EVENT_DAYS = (
    "SELECT toDate(ts) AS day, count() FROM (SELECT ts FROM {db}.events FINAL) GROUP BY day ORDER BY day"
)
EVENTS_OF_DAY = "SELECT {columns} FROM {db}.events FINAL WHERE toDate(ts) = toDate(%(day)s)"
INSERT = "INSERT INTO {db}.{table} ({columns}) VALUES"
# cityHash64 on 18.16 rejects UUID and Decimal arguments; those go through toString.
CONTENT_CHECKSUM = "SELECT count(), sum(cityHash64({hash_args})) FROM {db}.{table} {final}"
