"""Queries on `notifications` (delivery state per lead, channel and target) and `push_subscriptions`."""

DELIVERY_STATE = """
SELECT toString(lead_id), channel, target, argMax(state, version), argMax(attempts, version)
FROM {db}.notifications
WHERE lead_id IN %(ids)s
GROUP BY lead_id, channel, target
"""

ACTIVE_SUBSCRIPTIONS = """
SELECT endpoint, p256dh, auth
FROM {db}.push_subscriptions FINAL
WHERE active = 1
ORDER BY endpoint
"""
