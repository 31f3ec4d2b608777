"""A lead's journey: the visitor's events in order, and the facts the owner asks first."""

from __future__ import annotations

from typing import Any

CTA_TYPES = ("call_click", "whatsapp_click", "click")


def summarize(events: list[dict[str, Any]], lead: dict[str, Any]) -> dict[str, Any]:
    """Landing page, source and click id of the first visit; falls back to what the lead itself carried."""
    pageviews = [e for e in events if e["type"] == "pageview"]
    first = pageviews[0] if pageviews else (events[0] if events else None)
    click = next((e for e in events if e["gclid"] or e["gbraid"] or e["wbraid"]), None)
    last = events[-1] if events else None
    return {
        "landing_page": first["url"] if first else lead.get("landing_page") or lead.get("url", ""),
        "first_seen": first["ts"] if first else None,
        "source": first["source"] if first else lead.get("first_source", ""),
        "campaign": (click or first or {}).get("utm_campaign", "") or lead.get("utm_campaign", ""),
        "gclid": click["gclid"] if click else lead.get("gclid", ""),
        "gbraid": click["gbraid"] if click else lead.get("gbraid", ""),
        "wbraid": click["wbraid"] if click else lead.get("wbraid", ""),
        "pages": len(pageviews),
        "cta_clicks": sum(1 for e in events if e["type"] in CTA_TYPES),
        "city": (last or {}).get("city", "") or lead.get("city", ""),
        "device": (last or {}).get("device", "") or lead.get("device", ""),
        "events": len(events),
    }
