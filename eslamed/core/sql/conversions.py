"""Queries on `conversions` (and the lead fields an upload needs).

Latest state per conversion is read with argMax in a subquery: a plain `FINAL ... WHERE state`
could see an old PENDING version through PREWHERE on older servers.
"""

LATEST = """
SELECT
    conversion_id,
    max(version) AS version_max,
    argMax(lead_id, version) AS lead_id,
    argMax(created_at, version) AS created_at,
    argMax(updated_at, version) AS updated_at,
    argMax(closed_at, version) AS closed_at,
    argMax(revenue, version) AS revenue,
    argMax(currency, version) AS currency,
    argMax(deal_type, version) AS deal_type,
    argMax(deal_seq, version) AS deal_seq,
    argMax(gclid, version) AS gclid,
    argMax(gbraid, version) AS gbraid,
    argMax(wbraid, version) AS wbraid,
    argMax(phone_sha256, version) AS phone_sha256,
    argMax(consent, version) AS consent,
    argMax(state, version) AS state,
    argMax(attempts, version) AS attempts,
    argMax(reason, version) AS reason,
    argMax(next_attempt_at, version) AS next_attempt_at,
    argMax(backend, version) AS backend,
    argMax(request_id, version) AS request_id,
    argMax(stage, version) AS stage,
    argMax(conversion_action_id, version) AS conversion_action_id,
    argMax(adjustment, version) AS adjustment,
    argMax(adjusts, version) AS adjusts
FROM {db}.conversions
GROUP BY conversion_id
"""

DUE = (
    "SELECT * FROM ("
    + LATEST
    + """) WHERE state IN ('PENDING', 'RETRY') AND next_attempt_at <= %(now)s
ORDER BY closed_at, conversion_id
LIMIT %(limit)s"""
)

AWAITING_CONFIRMATION = (
    "SELECT * FROM ("
    + LATEST
    + """) WHERE state = 'UPLOADED' AND backend = 'datamanager' AND request_id != '' AND reason = ''
    AND updated_at >= %(since)s
ORDER BY closed_at, conversion_id
LIMIT %(limit)s"""
)

HISTORY = """
SELECT conversion_id, version, state, attempts, reason, next_attempt_at, backend, request_id
FROM {db}.conversions WHERE conversion_id IN %(ids)s ORDER BY conversion_id, version
"""

LEADS_FOR_UPLOAD = """
SELECT
    lead_id,
    argMax(created_at, version) AS created_at,
    argMax(phone, version) AS phone,
    argMax(gclid, version) AS gclid,
    argMax(gbraid, version) AS gbraid,
    argMax(wbraid, version) AS wbraid,
    argMax(consent, version) AS consent,
    argMax(source, version) AS source,
    argMax(clicked_at, version) AS clicked_at
FROM {db}.leads
WHERE lead_id IN %(ids)s
GROUP BY lead_id
"""

REQUEUEABLE = (
    "SELECT * FROM ("
    + LATEST
    + """) WHERE state IN %(states)s
ORDER BY closed_at, conversion_id"""
)

BY_IDS = "SELECT * FROM (" + LATEST + ") WHERE conversion_id IN %(ids)s"

CORRECTIONS_OF = (
    "SELECT * FROM ("
    + LATEST
    + """) WHERE adjusts = %(adjusts)s
ORDER BY created_at"""
)
