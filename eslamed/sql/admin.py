"""Queries behind /api/admin/*.

"Latest row" of a versioned table is `(key, version) IN (SELECT key, max(version) … GROUP BY key)`:
the whole newest row, without FINAL (whose WHERE handling differs across server versions).
Stats count distinct ids (`uniqExact`, one row per session), so a replayed event never counts twice.
Days are Europe/Istanbul days; callers pass UTC bounds `since`/`until` computed from those days.
"""

from __future__ import annotations

LATEST_LEAD_KEYS = "SELECT lead_id, max(version) FROM {db}.leads WHERE {where} GROUP BY lead_id"

LEAD = "SELECT * FROM {db}.leads WHERE lead_id = %(lead_id)s ORDER BY version DESC LIMIT 1"

LEAD_LIST_COLUMNS = (
    "toString(lead_id) AS id, created_at, updated_at, status, source, name, phone, message, url, variant,"
    " gclid, gbraid, wbraid, utm_campaign, first_source, last_source, city, device, visitor_id"
)

LEAD_LIST = (
    "SELECT " + LEAD_LIST_COLUMNS + " FROM {db}.leads"
    " WHERE (lead_id, version) IN (" + LATEST_LEAD_KEYS + ") AND {filters}"
    " ORDER BY created_at DESC, id DESC LIMIT %(limit)s"
)

LEAD_FILTERS = {
    "created": "created_at >= toDateTime(%(since)s) AND created_at < toDateTime(%(until)s)",
    "status": "status = %(status)s",
    "source": "source = %(source)s",
    "traffic": "if(last_source != '', last_source, first_source) = %(traffic)s",
    "search": (
        "(positionCaseInsensitiveUTF8(name, %(q)s) > 0"
        " OR (%(q_digits)s != '' AND position(phone, %(q_digits)s) > 0))"
    ),
    "cursor": (
        "(created_at < toDateTime(%(c_ts)s)"
        " OR (created_at = toDateTime(%(c_ts)s) AND toString(lead_id) < %(c_id)s))"
    ),
}


def lead_list(database: str, filters: list[str]) -> str:
    """The list query with the named filters of LEAD_FILTERS joined by AND."""
    where = " AND ".join(LEAD_FILTERS[name] for name in filters) or "1"
    return LEAD_LIST.format(db=database, where="1", filters=where)


LEAD_STATUS_COUNTS = (
    "SELECT status, count() FROM {db}.leads"
    " WHERE (lead_id, version) IN (SELECT lead_id, max(version) FROM {db}.leads GROUP BY lead_id)"
    " GROUP BY status"
)

LEAD_HISTORY = (
    "SELECT changed_at, status, note, phone_changed FROM {db}.lead_changes"
    " WHERE lead_id = %(lead_id)s ORDER BY version"
)

JOURNEY = (
    "SELECT toString(event_id) AS event_id, type, ts, url, path, ref_host, source, gclid, gbraid, wbraid,"
    " utm_source, utm_medium, utm_campaign, variant, city, device, browser, os, title"
    " FROM {db}.events WHERE visitor_id = %(visitor_id)s"
    " AND ts >= toDateTime(%(since)s) AND ts < toDateTime(%(until)s)"
    " ORDER BY ts, event_id LIMIT 1 BY event_id LIMIT %(limit)s"
)

LATEST_CONVERSION_KEYS = (
    "SELECT conversion_id, max(version) FROM {db}.conversions WHERE {where} GROUP BY conversion_id"
)

CONVERSION_COLUMNS = (
    "toString(conversion_id) AS cid, toString(lead_id) AS lid, created_at, updated_at,"
    " closed_at, revenue, currency, deal_type, deal_seq, gclid, gbraid, wbraid, consent, state, attempts,"
    " reason, next_attempt_at, backend"
)

LEAD_CONVERSIONS = (
    "SELECT " + CONVERSION_COLUMNS + " FROM {db}.conversions"
    " WHERE lead_id = %(lead_id)s AND (conversion_id, version) IN ("
    + LATEST_CONVERSION_KEYS.replace("{where}", "lead_id = %(lead_id)s")
    + ") ORDER BY deal_seq"
)

CONVERSION_LIST = (
    "SELECT " + CONVERSION_COLUMNS + ", lead_name FROM {db}.conversions"
    " ANY LEFT JOIN (SELECT lead_id, argMax(name, version) AS lead_name FROM {db}.leads GROUP BY lead_id)"
    " USING lead_id"
    " WHERE (conversion_id, version) IN (" + LATEST_CONVERSION_KEYS.replace("{where}", "1") + ")"
    " AND (%(state)s = '' OR state = %(state)s)"
    " ORDER BY created_at DESC, cid DESC LIMIT %(limit)s"
)

CONVERSION_STATE_COUNTS = (
    "SELECT state, count() FROM {db}.conversions"
    " WHERE (conversion_id, version) IN (" + LATEST_CONVERSION_KEYS.replace("{where}", "1") + ")"
    " GROUP BY state"
)

CTA_TYPES = "('call_click', 'whatsapp_click', 'click')"

STATS_SESSIONS = (
    "SELECT d.1 AS dim, d.2 AS value, count() AS visits, uniqExact(visitor) AS visitors,"
    " sum(pageviews) AS pageviews, sum(cta) AS cta_visits, sum(cta_clicks) AS cta_clicks"
    " FROM (SELECT session_id, argMin(visitor_id, ts) AS visitor,"
    " toString(toDate(min(ts), 'Europe/Istanbul')) AS day,"
    " argMin(source, ts) AS src, argMin(utm_campaign, ts) AS campaign, argMin(variant, ts) AS page_variant,"
    " argMin(city, ts) AS visit_city, argMin(device, ts) AS visit_device,"
    " uniqExactIf(event_id, type = 'pageview') AS pageviews,"
    " uniqExactIf(event_id, type IN " + CTA_TYPES + ") AS cta_clicks, cta_clicks > 0 AS cta"
    " FROM {db}.events WHERE ts >= toDateTime(%(since)s) AND ts < toDateTime(%(until)s) AND session_id != ''"
    " GROUP BY session_id)"
    " ARRAY JOIN [('total', ''), ('day', day), ('source', src), ('campaign', campaign),"
    " ('variant', page_variant), ('city', visit_city), ('device', visit_device)] AS d"
    " GROUP BY dim, value"
)

STATS_LEAD_COLUMNS = (
    "toString(lead_id) AS id, toString(toDate(created_at, 'Europe/Istanbul')) AS day, status,"
    " source AS channel, if(last_source != '', last_source, first_source) AS traffic,"
    " utm_campaign AS campaign, variant, city, device"
)

STATS_LEADS = (
    "SELECT "
    + STATS_LEAD_COLUMNS
    + " FROM {db}.leads WHERE (lead_id, version) IN ("
    + LATEST_LEAD_KEYS.replace(
        "{where}", "created_at >= toDateTime(%(since)s) AND created_at < toDateTime(%(until)s)"
    )
    + ")"
)

STATS_LEADS_BY_ID = (
    "SELECT "
    + STATS_LEAD_COLUMNS
    + " FROM {db}.leads WHERE (lead_id, version) IN ("
    + LATEST_LEAD_KEYS.replace("{where}", "lead_id IN %(ids)s")
    + ")"
)

STATS_SALES = (
    "SELECT toString(conversion_id) AS id, toString(lead_id) AS lid,"
    " toString(toDate(closed_at, 'Europe/Istanbul')) AS day, revenue, state FROM {db}.conversions"
    " WHERE (conversion_id, version) IN ("
    + LATEST_CONVERSION_KEYS.replace(
        "{where}", "closed_at >= toDateTime(%(since)s) AND closed_at < toDateTime(%(until)s)"
    )
    + ")"
)
