"""Queries on `leads` and on the visitor's `events` history used for attribution."""

EXISTING = """
SELECT toString(lead_id), argMax(status, version)
FROM {db}.leads
WHERE lead_id IN %(ids)s
GROUP BY lead_id
"""

# The visitor's last 90 days: the newest Google click id, the first and last traffic source,
# and the latest session (whose first page is the landing page, LANDING_PAGE below).
VISITOR_HISTORY = """
SELECT
    argMaxIf(gclid, ts, gclid != '' OR gbraid != '' OR wbraid != ''),
    argMaxIf(gbraid, ts, gclid != '' OR gbraid != '' OR wbraid != ''),
    argMaxIf(wbraid, ts, gclid != '' OR gbraid != '' OR wbraid != ''),
    argMinIf(source, ts, type = 'pageview'),
    argMaxIf(source, ts, type = 'pageview'),
    argMax(session_id, ts)
FROM {db}.events
WHERE visitor_id = %(visitor_id)s AND ts >= toDateTime(%(since)s)
"""

LANDING_PAGE = """
SELECT argMin(url, ts)
FROM {db}.events
WHERE visitor_id = %(visitor_id)s AND session_id = %(session_id)s
    AND ts >= toDateTime(%(since)s) AND type = 'pageview'
"""

COUNT = "SELECT count(), uniqExact(lead_id) FROM {db}.leads"
