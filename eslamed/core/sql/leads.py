"""Queries on `leads` and on the visitor's `events` history used for attribution."""

from eslamed.core.sql import events

EXISTING = """
SELECT toString(lead_id), argMax(status, version)
FROM {db}.leads
WHERE lead_id IN %(ids)s
GROUP BY lead_id
"""

_SINCE = "ts >= toDateTime(%(since)s)"

# One pass over the visitor's last 90 days (with what its page views sent before consent): the
# newest Google click id, the first traffic source, and the first page view of the latest session
# (sessions split at gaps of over SESSION_GAP_S, as the stats do): the visit's source is the
# lead's last source, its URL the landing page. `{who}`: the visitor's events, or a visit key's.
_HISTORY = (
    "SELECT last_gclid, last_gbraid, last_wbraid, first_source, tupleElement(landing, 4),"
    " tupleElement(landing, 3) FROM (SELECT *,"
    " arrayFilter(x -> x.2 AND x.1 >= arrayReduce('max', arrayMap((y, gap, i) -> if(i = 1 OR gap > "
    + str(events.SESSION_GAP_S)
    + ", y.1, 0), visits, arrayDifference(arrayMap(y -> intDiv(y.1, 2), visits)), arrayEnumerate(visits))),"
    " visits)[1]"
    " AS landing FROM (SELECT"
    " argMaxIf(gclid, ts, gclid != '' OR gbraid != '' OR wbraid != '') AS last_gclid,"
    " argMaxIf(gbraid, ts, gclid != '' OR gbraid != '' OR wbraid != '') AS last_gbraid,"
    " argMaxIf(wbraid, ts, gclid != '' OR gbraid != '' OR wbraid != '') AS last_wbraid,"
    " argMinIf(source, " + events.ORDER_KEY + ", type = 'pageview') AS first_source,"
    " arraySort(groupArray((" + events.ORDER_KEY + ", type = 'pageview', url, source))) AS visits"
    " FROM {db}.events WHERE {who} AND " + _SINCE + "))"
)
VISITOR_HISTORY = _HISTORY.replace("{who}", events.VISITOR_EVENTS.replace("{range}", _SINCE))
VISIT_HISTORY = _HISTORY.replace("{who}", events.VISIT_EVENTS)

# The click's own time: tracking.js repeats the kept click id on every event, so the first one is the click.
_CLICK_TIME = (
    "SELECT min(ts) FROM {db}.events WHERE {who} AND ts >= toDateTime(%(since)s)"
    " AND gclid = %(gclid)s AND gbraid = %(gbraid)s AND wbraid = %(wbraid)s"
)
CLICK_TIME = _CLICK_TIME.replace("{who}", "visitor_id = %(visitor_id)s")
VISIT_CLICK_TIME = _CLICK_TIME.replace("{who}", events.VISIT_EVENTS)

COUNT = "SELECT count(), uniqExact(lead_id) FROM {db}.leads"

# The visitor's newest call/WhatsApp lead of that channel, if it belongs to the visit still going
# on: from its creation to now (its events included) no gap of over SESSION_GAP_S. A browser clock
# behind the server's only drops events from the check, which then falls back to the two times.
TAP_LEAD_IN_VISIT = (
    "SELECT id, status FROM (SELECT toString(lead_id) AS id, status, toUInt32(created_at) AS at"
    " FROM {db}.leads WHERE (lead_id, version) IN (SELECT lead_id, max(version) FROM {db}.leads"
    " WHERE visitor_id = %(visitor_id)s AND source = %(source)s AND created_at >= toDateTime(%(since)s)"
    " GROUP BY lead_id) ORDER BY created_at DESC, id LIMIT 1)"
    " WHERE arrayReduce('max', arrayDifference(arraySort(arrayConcat([at],"
    " arrayFilter(t -> t > at, (SELECT groupArray(toUInt32(ts)) FROM {db}.events"
    " WHERE visitor_id = %(visitor_id)s AND ts >= toDateTime(%(since)s) AND ts <= toDateTime(%(now)s))),"
    " [toUInt32(toDateTime(%(now)s))])))) <= " + str(events.SESSION_GAP_S)
)
