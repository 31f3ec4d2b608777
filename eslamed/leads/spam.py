"""Anti-spam that never costs a real person their request.

A bot fills the hidden `website` field or submits the form faster than a person can type.
Such leads are still stored (status SPAM, with the reason) so nothing is silently thrown away,
but nobody is notified. A form without `fill_ms` (no JavaScript) is given the benefit of the doubt.
"""

from __future__ import annotations

MIN_FILL_MS = 1500


def spam_reason(source: str, website: str, fill_ms: int | None) -> str:
    """Why the lead looks automated, or "" when it looks human."""
    if website.strip():
        return "honeypot"
    if source == "form" and fill_ms is not None and fill_ms < MIN_FILL_MS:
        return "too_fast"
    return ""
