"""Ad spend and ad clicks imported from Google Ads (conversions/costs.py), read by the stats.

Every read takes the newest version of a row (argMax), so a re-import replaces and never adds.
"""

from __future__ import annotations

_NEWEST_COSTS = (
    "SELECT customer_id, campaign_id, day, argMax(cost_micros, version) AS cost_micros,"
    " argMax(clicks, version) AS clicks, argMax(currency, version) AS currency"
    " FROM {db}.ad_costs WHERE day >= %(first)s AND day <= %(last)s"
    " GROUP BY customer_id, campaign_id, day"
)

# (campaign, day) pairs of an account that have spend in the range now: a re-import that no longer
# finds one writes it again with zero.
COSTS_KNOWN = (
    "SELECT campaign_id, toString(day) AS day, campaign_name FROM ("
    "SELECT campaign_id, day, argMax(cost_micros, version) AS cost,"
    " argMax(campaign_name, version) AS campaign_name"
    " FROM {db}.ad_costs WHERE customer_id = %(customer)s AND day >= %(first)s AND day <= %(last)s"
    " GROUP BY campaign_id, day) AS known WHERE cost != 0 ORDER BY campaign_id, day"
)

# Spend per campaign and day in the range, for the stats.
STATS_COSTS = (
    "SELECT toString(campaign_id) AS campaign_id, toString(day) AS day, cost_micros, clicks, currency"
    " FROM (" + _NEWEST_COSTS + ") AS costs WHERE cost_micros != 0 ORDER BY day, campaign_id"
)

# Each campaign's name as of the newest import.
CAMPAIGN_NAMES = (
    "SELECT toString(campaign_id) AS campaign_id, argMax(campaign_name, version) AS name"
    " FROM {db}.ad_costs GROUP BY campaign_id ORDER BY campaign_id"
)

# The campaign each of these clicks belongs to, by click_view.
CLICK_CAMPAIGNS = (
    "SELECT gclid, toString(argMax(campaign_id, version)) AS campaign_id"
    " FROM {db}.ad_clicks WHERE gclid IN %(gclids)s GROUP BY gclid ORDER BY gclid"
)

# Leads' clicks not yet mapped to a campaign, with the day of the click in the account's time zone
# (click_view is asked one day at a time and keeps 90 days).
UNMAPPED_CLICKS = (
    "SELECT DISTINCT gclid, toString(toDate(if(clicked_at > toDateTime(0), clicked_at, created_at), %(tz)s))"
    " AS day FROM {db}.leads WHERE gclid != '' AND created_at >= toDateTime(%(since)s)"
    " AND gclid NOT IN (SELECT gclid FROM {db}.ad_clicks) ORDER BY day, gclid"
)

# The newest import's outcome, for the owner (two imports may share a second: version decides).
LAST_IMPORT = (
    "SELECT at, customer_id, toString(first_day) AS first_day, toString(last_day) AS last_day, ok, code,"
    " reason, rows, clicks FROM {db}.ad_imports ORDER BY at DESC, version DESC LIMIT 1"
)
