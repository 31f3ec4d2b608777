"""Queries on `leads` and on the visitor's `events` history used for attribution."""

EXISTING = """
SELECT toString(lead_id), argMax(status, version)
FROM {db}.leads
WHERE lead_id IN %(ids)s
GROUP BY lead_id
"""

# One pass over the visitor's last 90 days: the newest Google click id, the first and last
# traffic source, and the first page of the latest session (the landing page).
VISITOR_HISTORY = """
SELECT
    argMaxIf(gclid, ts, gclid != '' OR gbraid != '' OR wbraid != ''),
    argMaxIf(gbraid, ts, gclid != '' OR gbraid != '' OR wbraid != ''),
    argMaxIf(wbraid, ts, gclid != '' OR gbraid != '' OR wbraid != ''),
    argMinIf(source, ts, type = 'pageview'),
    argMaxIf(source, ts, type = 'pageview'),
    argMinIf(url, ts, type = 'pageview' AND session_id IN (
        SELECT argMax(session_id, ts) FROM {db}.events
        WHERE visitor_id = %(visitor_id)s AND ts >= toDateTime(%(since)s)
    ))
FROM {db}.events
WHERE visitor_id = %(visitor_id)s AND ts >= toDateTime(%(since)s)
"""

# The click's own time: tracking.js repeats the kept click id on every event, so the first one is the click.
CLICK_TIME = """
SELECT min(ts) FROM {db}.events
WHERE visitor_id = %(visitor_id)s AND ts >= toDateTime(%(since)s)
    AND gclid = %(gclid)s AND gbraid = %(gbraid)s AND wbraid = %(wbraid)s
"""

COUNT = "SELECT count(), uniqExact(lead_id) FROM {db}.leads"
