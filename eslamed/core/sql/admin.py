"""Queries behind /api/admin/*.

"Latest row" of a versioned table is `(key, version) IN (SELECT key, max(version) … GROUP BY key)`:
the whole newest row, without FINAL (whose WHERE handling differs across server versions).
Stats count distinct ids (`uniqExact`, one row per session), so a replayed event never counts twice.
Days are Europe/Istanbul days; callers pass UTC bounds `since`/`until` computed from those days.
"""

from __future__ import annotations

from eslamed.core.sql import events

LATEST_LEAD_KEYS = "SELECT lead_id, max(version) FROM {db}.leads WHERE {where} GROUP BY lead_id"

LEAD = "SELECT * FROM {db}.leads WHERE lead_id = %(lead_id)s ORDER BY version DESC LIMIT 1"

LEAD_LIST_COLUMNS = (
    "toString(lead_id) AS id, created_at, updated_at, status, source, name, phone, message, url, variant,"
    " gclid, gbraid, wbraid, utm_campaign, first_source, last_source, city, device, visitor_id,"
    " spam_reason"  # truth-owner: the list marks a suspicious lead
)

LEAD_LIST = (
    "SELECT " + LEAD_LIST_COLUMNS + " FROM {db}.leads"
    " WHERE (lead_id, version) IN (" + LATEST_LEAD_KEYS + ") AND {filters}"
    " ORDER BY created_at DESC, id DESC LIMIT %(limit)s"
)

LEAD_FILTERS = {
    "created": "created_at >= toDateTime(%(since)s) AND created_at < toDateTime(%(until)s)",
    "status": "status = %(status)s",
    "not_spam": "status != 'SPAM'",
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

_JOURNEY_RANGE = "ts >= toDateTime(%(since)s) AND ts < toDateTime(%(until)s)"

# The visitor's events, with those its page views sent before consent (`{who}`: VISITOR_EVENTS), or
# the events of a visit known only by its cookieless key (VISIT_EVENTS).
_JOURNEY = (
    "SELECT toString(event_id) AS event_id, type, ts, url, path, ref_host, source, gclid, gbraid, wbraid,"
    " utm_source, utm_medium, utm_campaign, variant, city, device, browser, os, title"
    " FROM {db}.events WHERE {who} AND "
    + _JOURNEY_RANGE
    + " ORDER BY "
    + events.ORDER_KEY
    + ", event_id LIMIT 1 BY event_id LIMIT %(limit)s"
)
JOURNEY = _JOURNEY.replace("{who}", events.VISITOR_EVENTS.replace("{range}", _JOURNEY_RANGE))
VISIT_JOURNEY = _JOURNEY.replace("{who}", events.VISIT_EVENTS)

LATEST_CONVERSION_KEYS = (
    "SELECT conversion_id, max(version) FROM {db}.conversions WHERE {where} GROUP BY conversion_id"
)

CONVERSION_COLUMNS = (
    "toString(conversion_id) AS cid, toString(lead_id) AS lid, created_at, updated_at,"
    " closed_at, revenue, currency, deal_type, deal_seq, gclid, gbraid, wbraid, consent, state, attempts,"
    " reason, next_attempt_at, backend, stage, conversion_action_id, adjustment, adjusts"
)

LEAD_CONVERSIONS = (
    "SELECT " + CONVERSION_COLUMNS + " FROM {db}.conversions"
    " WHERE lead_id = %(lead_id)s AND (conversion_id, version) IN ("
    + LATEST_CONVERSION_KEYS.replace("{where}", "lead_id = %(lead_id)s")
    + ") ORDER BY deal_seq, created_at, cid"
)

CONVERSION_LIST = (
    "SELECT " + CONVERSION_COLUMNS + ", lead_name FROM {db}.conversions"
    " ANY LEFT JOIN (SELECT lead_id, argMax(name, version) AS lead_name FROM {db}.leads GROUP BY lead_id)"
    " AS lead_names USING lead_id"
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

# One row per (Istanbul day, session). A visitor's events of a day, in time order, start a new
# session after a gap of over SESSION_GAP_S (arrays, since 18.16 has no window functions); a
# session's source, campaign, variant, city and device are those of its first event, its landing
# page the path of its first page view; hashed ids keep the grouping cheap.
SESSIONS_BY_DAY = (
    "SELECT day, cityHash64(who, session) AS sid, any(cityHash64(who)) AS visitor,"
    " argMin(e.4, e.1) AS dims, argMinIf(e.3, e.1, e.2 = 'pageview') AS landing,"
    " max(e.2 IN " + CTA_TYPES + ") AS cta"
    " FROM (SELECT day, who, arraySort(groupArray((key, type, path,"
    " (source, utm_campaign, variant, city, device)))) AS evs"
    " FROM (SELECT toDate(ts, 'Europe/Istanbul') AS day, * FROM (" + events.EVENTS_WITH_WHO + "))"
    " GROUP BY day, who)"
    " ARRAY JOIN evs AS e, arrayCumSum(arrayMap(g -> g > " + str(events.SESSION_GAP_S) + ","
    " arrayDifference(arrayMap(x -> intDiv(x.1, 2), evs)))) AS session"
    " GROUP BY day, sid"
)

# The visits cube per day: dim 0 is every visit, then one row per value of each dimension.
# Unique visitors are kept for dim 0 only: merging a year of per-value visitor sets costs more
# than the whole rest of the stats call.
SESSIONS_CUBE = (
    "SELECT day, dim, value, count() AS visits, sum(cta) AS cta_visits,"
    " uniqExactStateIf(visitor, dim = 0) AS visitors"
    " FROM (" + SESSIONS_BY_DAY + ")"
    " ARRAY JOIN [0, 1, 2, 3, 4, 5, 6] AS dim, ['', dims.1, dims.2, dims.3, dims.4, dims.5, landing] AS value"
    " GROUP BY day, dim, value"
)

CACHED_DAYS = (
    "SELECT day, argMax(events, version) FROM {db}.stats_days"
    " WHERE day >= toDate(%(first)s) AND day <= toDate(%(last)s) GROUP BY day"
)

EVENTS_PER_DAY = (
    "SELECT toDate(ts, 'Europe/Istanbul') AS day, count() FROM {db}.events"
    " WHERE ts >= toDateTime(%(since)s) AND ts < toDateTime(%(until)s) GROUP BY day"
)

FILL_CACHE = (
    "INSERT INTO {db}.stats_sessions_daily (day, dim, value, version, visits, cta_visits, visitors)"
    " SELECT day, dim, value, toUInt64(%(version)s), visits, cta_visits, visitors"
    " FROM (" + SESSIONS_CUBE.replace("{day_filter}", "AND toDate(ts, 'Europe/Istanbul') IN %(days)s") + ")"
)

# Only the cube rows of each day's newest fill (an older fill's rows may linger until merged).
_CACHED_AND_LIVE = (
    "SELECT day, dim, value, visits, cta_visits, visitors FROM {db}.stats_sessions_daily"
    " WHERE day >= toDate(%(first)s) AND day <= toDate(%(last_cached)s) AND (day, version) IN ("
    "SELECT day, max(version) FROM {db}.stats_days"
    " WHERE day >= toDate(%(first)s) AND day <= toDate(%(last_cached)s) GROUP BY day)"
    " UNION ALL " + SESSIONS_CUBE.replace("{day_filter}", "")
)

# One pass: dim 0 rows count twice, under their day (the daily series) and under '' (the total);
# `key` is the day or the dimension's value.
STATS_VISITS = (
    "SELECT dim, key, sum(visits) AS visits, sum(cta_visits) AS cta_visits,"
    " uniqExactMerge(visitors) AS visitors FROM (" + _CACHED_AND_LIVE + ")"
    " ARRAY JOIN if(dim = 0, [toString(day), ''], [value]) AS key"
    " GROUP BY dim, key"
)

# The campaign id a landing URL carries (ValueTrack {campaignid} in the final URL suffix, docs/site.md).
CAMPAIGN_REF = "extractURLParameter(landing_page, 'utm_id')"

STATS_LEAD_COLUMNS = (
    "toString(lead_id) AS id, toString(toDate(created_at, 'Europe/Istanbul')) AS day, status,"
    " source AS channel, if(last_source != '', last_source, first_source) AS traffic,"
    " utm_campaign AS campaign, variant, city, device, " + events.url_path("landing_page") + " AS landing,"
    " gclid, " + CAMPAIGN_REF + " AS campaign_ref"
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

_SALES_IN_RANGE = (
    "closed_at >= toDateTime(%(since)s) AND closed_at < toDateTime(%(until)s)"
    " AND stage IN ('', 'CONVERTED') AND adjustment = ''"  # lead stages and corrections are not sales
)

# Sales in the range with the attributes of their lead (which may have been created before the range).
STATS_SALES = (
    "SELECT id, day, revenue, traffic, campaign, variant, city, device, landing, gclid, campaign_ref FROM ("
    "SELECT toString(conversion_id) AS id, lead_id,"
    " toString(toDate(closed_at, 'Europe/Istanbul')) AS day, revenue FROM {db}.conversions"
    " WHERE (conversion_id, version) IN ("
    + LATEST_CONVERSION_KEYS.replace("{where}", _SALES_IN_RANGE)
    + ")) AS sales ANY LEFT JOIN ("
    "SELECT lead_id, if(last_source != '', last_source, first_source) AS traffic, utm_campaign AS campaign,"
    " variant, city, device, " + events.url_path("landing_page") + " AS landing,"
    " gclid, " + CAMPAIGN_REF + " AS campaign_ref"
    " FROM {db}.leads WHERE (lead_id, version) IN ("
    + LATEST_LEAD_KEYS.replace(
        "{where}", "lead_id IN (SELECT lead_id FROM {db}.conversions WHERE " + _SALES_IN_RANGE + ")"
    )
    + ")) AS sale_leads USING lead_id"
)

# The owner's corrections of those sales (RETRACTION, RESTATEMENT), one row each, oldest first,
# whatever their upload state: a cancelled sale is cancelled for the owner even while Google waits.
STATS_SALE_CORRECTIONS = (
    "SELECT adjusts AS id, adjustment, revenue FROM {db}.conversions"
    " WHERE adjustment != '' AND adjusts IN %(ids)s"
    " ORDER BY created_at, conversion_id LIMIT 1 BY conversion_id"
)

# truth-owner: the newest row of one sale, for fixing a not yet uploaded sale from the PWA.
CONVERSION = (
    "SELECT * FROM {db}.conversions WHERE conversion_id = %(conversion_id)s ORDER BY version DESC LIMIT 1"
)
