"""Queries on `events`."""

EXISTING_IDS = "SELECT event_id FROM {db}.events WHERE event_id IN %(ids)s"
COUNT = "SELECT count(), uniqExact(event_id) FROM {db}.events"
