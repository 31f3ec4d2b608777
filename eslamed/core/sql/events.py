"""Queries on `events`, and the URL fragments every query shares."""

# ClickHouse's path() and domain() disagree across versions on a URL without a scheme (18.16 gives '',
# newer servers guess a host), so a stored URL is read only as an absolute URL or an absolute path.
_ABSOLUTE = "match({url}, '^[a-zA-Z][a-zA-Z0-9+.-]*://')"


def url_path(url: str) -> str:
    """SQL for the path of `url`: path() of an absolute URL, a leading-slash path without its query,
    else ''; the same on every server version."""
    absolute = _ABSOLUTE.format(url=url)
    return (
        f"if({absolute}, path({url}),"
        f" if(substring({url}, 1, 1) = '/', replaceRegexpOne({url}, '[?#].*$', ''), ''))"
    )


def url_host(url: str) -> str:
    """SQL for the host of an absolute `url`, '' for anything else, the same on every server version."""
    return f"if({_ABSOLUTE.format(url=url)}, domain({url}), '')"


EXISTING_IDS = "SELECT event_id FROM {db}.events WHERE event_id IN %(ids)s"
COUNT = "SELECT count(), uniqExact(event_id) FROM {db}.events"

# The page view's id that tracking.js keeps in memory and sends as props.pv with every event.
PV = "props_values[indexOf(props_keys, 'pv')]"

# Time order of a visitor's events. `ts` has whole seconds (18.16 has no DateTime64), so a page left
# within a second and the next page share one: of two events in one second, the one reached from our
# own site (its referrer is the page's own host) comes second, so a visit still lands where it came in.
ORDER_KEY = (
    "(toUInt64(toUInt32(ts)) * 2"
    " + (ref_host != '' AND ref_host = replaceRegexpOne(" + url_host("url") + ", '^www\\\\.', '')))"
)

# Sessions, as Plausible derives them: a visitor's events with no more than this many seconds
# between one and the next are one visit.
SESSION_GAP_S = 1800

# A visitor's events including those sent before consent: tracking.js sends a "consent" event
# with both the new visitor_id and the page view's id, which claims the page's earlier events, and
# the server's visit key (ingest/visit_key.py), which claims that browser's other keyed events of the
# day (the pages before the one where the visitor said yes). `{range}` bounds the `ts` of the reads.
VISITOR_EVENTS = (
    "(visitor_id = %(visitor_id)s OR (visitor_id = '' AND (" + PV + " IN ("
    "SELECT " + PV + " FROM {db}.events"
    " WHERE visitor_id = %(visitor_id)s AND {range} AND has(props_keys, 'pv'))"
    " OR (visit_key != '' AND visit_key IN (SELECT visit_key FROM {db}.events"
    " WHERE visitor_id = %(visitor_id)s AND {range} AND visit_key != '')))))"
)

# A visit known only by its key: a visitor who never said yes to cookies (the key is one browser's on one
# Istanbul day, so it cannot reach past that day).
VISIT_EVENTS = "(visit_key = %(visit_key)s AND visit_key != '')"

# Every event in the ts range with `who`: its visitor (own, or claimed through the page view's id or
# the visit key by a consent event), else its visit key (a visitor without consent is one browser on
# one day), else its page view, else the event alone. The claims are read a day beyond the range on both
# sides: a page stays open a while. 18.16 takes one JOIN per SELECT, hence the nesting. Two consenting
# visitors on one address with one browser share a key: the smallest visitor_id claims, the same on every
# server (any() would not be).
EVENTS_WITH_WHO = (
    "SELECT ts, key, type, path, source, utm_campaign, variant, city, device,"
    " if(visitor_id != '', visitor_id, if(claimed != '', claimed, if(key_claimed != '', key_claimed,"
    " if(visit_key != '', concat('vk:', visit_key),"
    " if(pv != '', concat('pv:', pv), concat('ev:', toString(event_id))))))) AS who"
    " FROM (SELECT event_id, ts, key, type, path, source, utm_campaign, variant, city, device, visitor_id,"
    " pv, visit_key, claimed"
    " FROM (SELECT event_id, ts, " + ORDER_KEY + " AS key, type, path, source, utm_campaign, variant,"
    " city, device, visitor_id, visit_key,"
    " " + PV + " AS pv FROM {db}.events"
    " WHERE ts >= toDateTime(%(since)s) AND ts < toDateTime(%(until)s) {day_filter}) AS page_events"
    " ANY LEFT JOIN (SELECT " + PV + " AS pv, any(visitor_id) AS claimed FROM {db}.events"
    " WHERE ts >= toDateTime(%(since)s) - 86400 AND ts < toDateTime(%(until)s) + 86400"
    " AND visitor_id != '' AND has(props_keys, 'pv') GROUP BY pv HAVING pv != '') AS claims USING pv)"
    " AS claimed_events"
    " ANY LEFT JOIN (SELECT visit_key, min(visitor_id) AS key_claimed FROM {db}.events"
    " WHERE ts >= toDateTime(%(since)s) - 86400 AND ts < toDateTime(%(until)s) + 86400"
    " AND visitor_id != '' AND visit_key != '' GROUP BY visit_key) AS key_claims USING visit_key"
)
