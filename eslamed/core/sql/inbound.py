"""Queries behind inbound WhatsApp messages and call notifications (issue 16)."""

# The newest lead a reference code was given to, within the window a visitor still answers in.
REF_LEAD = """
SELECT toString(lead_id) FROM {db}.lead_refs
WHERE ref = %(ref)s AND created_at >= toDateTime(%(since)s)
ORDER BY created_at DESC LIMIT 1
"""

SEEN = "SELECT count() FROM {db}.inbound WHERE channel = %(channel)s AND message_key = %(key)s"

# The newest lead whose current version has this number (older versions may have had none).
LEAD_BY_PHONE = """
SELECT toString(lead_id) FROM (
    SELECT lead_id, argMax(phone, version) AS current_phone, argMax(created_at, version) AS created
    FROM {db}.leads
    WHERE lead_id IN (SELECT lead_id FROM {db}.leads WHERE phone = %(phone)s)
    GROUP BY lead_id
)
WHERE current_phone = %(phone)s
ORDER BY created DESC LIMIT 1
"""

# The call taps still without a number made shortly before the call started, newest first: one is the
# caller's for sure only when it is the only one (issue 27 C).
CALL_TAPS = """
SELECT toString(lead_id), created, url FROM (
    SELECT lead_id, argMax(source, version) AS src, argMax(phone, version) AS current_phone,
           argMax(status, version) AS current_status, argMax(created_at, version) AS created,
           argMax(url, version) AS url
    FROM {db}.leads
    WHERE created_at >= toDateTime(%(since)s) AND created_at <= toDateTime(%(until)s)
    GROUP BY lead_id
)
WHERE src = 'call' AND current_phone = '' AND current_status != 'SPAM'
ORDER BY created DESC, lead_id LIMIT 10
"""
