"""Anti-spam that never costs a real person their request.

Only the hidden `website` field (the honeypot) marks a lead SPAM: no person sees that field,
so whoever fills it is a bot. Such leads are stored (status SPAM, with the reason) and nobody
is notified. A form sent faster than a person types is only *suspicious*: people who know
what they want are quick, and browsers autofill. It stays NEW, carries the reason, and the
owner is notified with a "şüpheli" mark, so a possibly real lead is never hidden. A form
without `fill_ms` (no JavaScript) is given the benefit of the doubt.
"""

from __future__ import annotations

MIN_FILL_MS = 1500
SPAM_REASONS = frozenset({"honeypot"})


def spam_reason(source: str, website: str, fill_ms: int | None) -> str:
    """Why the lead looks automated, or "" when it looks human."""
    if website.strip():
        return "honeypot"
    if source == "form" and fill_ms is not None and fill_ms < MIN_FILL_MS:
        return "too_fast"
    return ""


def status_for(reason: str) -> str:
    """SPAM only for what no person can do; a suspicious lead stays NEW for the owner to judge."""
    return "SPAM" if reason in SPAM_REASONS else "NEW"
