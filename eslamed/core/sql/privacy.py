"""A person's data (KVKK art. 11): find, export, erase; the erasure ledger and the access log; retention.

Erasures are `ALTER … UPDATE` mutations (both engines have them); they rewrite every stored version of
a row, so a replacing table forgets old versions too. Their WHERE names lead ids, message keys or
hashes of visitor ids, never a phone or a name: a mutation's text stays in ClickHouse's own log.
"""

from __future__ import annotations

# Leads of a phone (every spelling the person may have been stored under).
LEADS_BY_PHONE = (
    "SELECT DISTINCT toString(lead_id) FROM {db}.leads WHERE phone IN %(phones)s ORDER BY toString(lead_id)"
)

# What is held about these leads: every version, every change, every sale and notification.
LEAD_ROWS = "SELECT * FROM {db}.leads WHERE lead_id IN %(ids)s ORDER BY lead_id, version"
LEAD_CHANGE_ROWS = "SELECT * FROM {db}.lead_changes WHERE lead_id IN %(ids)s ORDER BY lead_id, version"
SALE_ROWS = "SELECT * FROM {db}.conversions WHERE lead_id IN %(ids)s ORDER BY conversion_id, version"
NOTIFICATION_ROWS = (
    "SELECT * FROM {db}.notifications WHERE lead_id IN %(ids)s ORDER BY lead_id, channel, target, version"
)
INBOUND_ROWS = (
    "SELECT * FROM {db}.inbound WHERE lead_id IN %(ids)s OR sender IN %(phones)s"
    " ORDER BY received_at, message_key"
)
# A person's events: those of their visitor ids, and those of their browsers' visit keys (the page views
# sent before consent, a visit without consent), as the journey claims them (sql/events.py).
VISIT_KEYS_OF = (
    "SELECT DISTINCT visit_key FROM {db}.events WHERE visitor_id IN %(visitors)s AND visit_key != ''"
    " ORDER BY visit_key"
)
EVENT_ROWS = (
    "SELECT * FROM {db}.events WHERE visitor_id IN %(visitors)s OR visit_key IN %(keys)s"
    " ORDER BY ts, event_id"
)

# The erasure: what identifies or describes the person goes; status, dates, source, campaign, click,
# city and device stay, so the stats of the past do not change.
ERASE_LEADS = (
    "ALTER TABLE {db}.leads UPDATE name = '', phone = '', message = '', note = '', visitor_id = '',"
    " visit_key = '' WHERE lead_id IN %(ids)s"
)
ERASE_LEAD_CHANGES = "ALTER TABLE {db}.lead_changes UPDATE note = '' WHERE lead_id IN %(ids)s"
ERASE_SALES = "ALTER TABLE {db}.conversions UPDATE phone_sha256 = '' WHERE lead_id IN %(ids)s"
ERASE_NOTIFICATIONS = "ALTER TABLE {db}.notifications UPDATE last_error = '' WHERE lead_id IN %(ids)s"
INBOUND_KEYS = (
    "SELECT DISTINCT channel, message_key FROM {db}.inbound WHERE lead_id IN %(ids)s OR sender IN %(phones)s"
    " ORDER BY channel, message_key"
)
ERASE_INBOUND = (
    "ALTER TABLE {db}.inbound UPDATE sender = '', body = '' WHERE (channel, message_key) IN %(keys)s"
)
# A person's events keep their visits (one pseudonym for all events of one visitor id or visit key) but
# no longer carry the id or the key: the pseudonym is a hash with a salt that is never stored.
ERASE_EVENTS = (
    "ALTER TABLE {db}.events UPDATE"
    " visitor_id = if(visitor_id = '', '', concat('erased-', hex(cityHash64(visitor_id, %(salt)s)))),"
    " visit_key = if(visit_key = '', '', concat('erased-', hex(cityHash64(visit_key, %(salt)s))))"
    " WHERE cityHash64(visitor_id) IN %(visitors)s OR cityHash64(visit_key) IN %(keys)s"
)
VISITOR_HASHES = (
    "SELECT DISTINCT cityHash64(visitor_id) AS h FROM {db}.events WHERE visitor_id IN %(visitors)s ORDER BY h"
)
VISIT_KEY_HASHES = (
    "SELECT DISTINCT cityHash64(visit_key) AS h FROM {db}.events WHERE visit_key IN %(keys)s ORDER BY h"
)
# Another lead of the same browser and day (a visit key is one browser on one day) keeps its journey:
# its key becomes the same pseudonym as that visit's events.
ERASE_LEAD_VISIT_KEYS = (
    "ALTER TABLE {db}.leads UPDATE visit_key = concat('erased-', hex(cityHash64(visit_key, %(salt)s)))"
    " WHERE cityHash64(visit_key) IN %(keys)s"
)
MUTATIONS_PENDING = (
    "SELECT count() FROM system.mutations WHERE database = %(db)s AND table IN %(tables)s AND is_done = 0"
)

# The erasure ledger as backed up (the file under DATA_DIR is the other copy): no personal data.
ERASURES = (
    "SELECT erasure_id, erased_at, phone_hmac, lead_ids FROM {db}.erasures ORDER BY erased_at, erasure_id"
)
# Leads of a phone hash, made before an erasure: what a restored old backup would bring back.
LEAD_PHONES_BEFORE = (
    "SELECT DISTINCT toString(lead_id) AS lead_id, phone FROM {db}.leads"
    " WHERE phone != '' AND created_at <= %(at)s ORDER BY lead_id"
)
VISITORS_OF = (
    "SELECT DISTINCT visitor_id FROM {db}.leads WHERE lead_id IN %(ids)s AND visitor_id != ''"
    " ORDER BY visitor_id"
)

# The access log the owner can show the KVKK authority: who, what, when; never the data itself.
ACCESS_LOG = (
    "SELECT at, actor, action, lead_ids, phone_hmac, detail FROM {db}.privacy_log"
    " ORDER BY at DESC, version DESC LIMIT %(limit)s"
)

# Retention: events partitions (toYYYYMM of ts) and leads older than the declared months.
EVENT_PARTITIONS = (
    "SELECT DISTINCT partition FROM system.parts WHERE database = %(db)s AND table = 'events' AND active"
    " ORDER BY partition"
)
DROP_EVENT_PARTITION = "ALTER TABLE {db}.events DROP PARTITION {partition}"
LEADS_TO_ANONYMISE = (
    "SELECT DISTINCT toString(lead_id) FROM {db}.leads WHERE created_at < %(before)s"
    " AND (name != '' OR phone != '' OR message != '' OR note != '' OR visitor_id != '')"
    " ORDER BY toString(lead_id)"
)
