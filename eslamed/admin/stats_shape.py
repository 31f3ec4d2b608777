"""Shaping raw stats rows into what the dashboard draws. Pure functions, no database.

Definitions (also in the README):
- a visit is a session on one Istanbul day, derived on the server as Plausible does: a visitor's
  events with at most 30 minutes between one and the next (a session that crosses midnight counts
  once on each day). The visitor is the `visitor_id`, which after consent also claims the events
  its page view sent before consent (through the page view's id, props.pv); without consent a
  visitor is known for one page view only. Its source, campaign, page variant, city and device are
  those of its first event, its landing page the path of its first page view;
- unique visitors are distinct visitors as above, for the whole range and per day (not per split);
- a CTA visit is a visit with at least one call_click, whatsapp_click or click event;
- replayed events never count twice: visits and visitors are distinct counts;
- leads are leads created in the range whose latest status is not SPAM, split by their traffic
  source (last source, else first), campaign, variant, city, device and landing page (path);
- a sale is a conversion closed in the range (any upload state); it is split by its lead's attributes.
  A sale the owner cancelled does not count; a restated one counts with its newest value;
- a lead's campaign is the one Google's click_view gives its gclid, else the campaign id its landing
  URL carries (`utm_id`, ValueTrack {campaignid}), else its utm_campaign (matched to a campaign of
  that id or name where one exists). Campaign rows show each campaign's current name;
- cost is the ad spend Google Ads reports per campaign and day (the account's day); cost per lead and
  per sale divide it by the row's leads and sales, ROAS is revenue ÷ cost; each is null without cost.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from eslamed.conversions.model import RESTATEMENT, RETRACTION
from eslamed.core.clock import ISTANBUL
from eslamed.core.problems import Problem

DIMENSIONS = ("source", "campaign", "variant", "city", "device", "landing")
# The `dim` codes of the visits cube (sql.admin.SESSIONS_CUBE); 0 is every visit.
DIM_CODES = {1: "source", 2: "campaign", 3: "variant", 4: "city", 5: "device", 6: "landing"}
# A day is cached once it has been over this long: late events (ring or spill replays) are in by then.
SETTLE = timedelta(hours=2)
MAX_DAYS = 400
# ClickHouse DateTime spans 1970-2105; no lead of this business falls outside these bounds.
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 1, 1)
LEAD_DIMENSION_FIELDS = {"source": "traffic", "campaign": "campaign", "variant": "variant", "city": "city"}


def clamp_day(day: date) -> date:
    return min(max(day, EARLIEST), LATEST)


def parse_range(raw_from: str | None, raw_to: str | None, today: date) -> tuple[date, date]:
    """Inclusive Istanbul days; default the last 30 days."""
    try:
        end = date.fromisoformat(raw_to) if raw_to else today
        start = date.fromisoformat(raw_from) if raw_from else end - timedelta(days=29)
    except ValueError as exc:
        raise Problem("from and to must be dates like 2026-11-26", "from") from exc
    if not EARLIEST <= start <= end <= LATEST:
        raise Problem(f"from and to must be ordered dates between {EARLIEST} and {LATEST}", "from")
    if (end - start).days >= MAX_DAYS:
        raise Problem(f"a range may span at most {MAX_DAYS} days", "to")
    return start, end


def utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[first Istanbul midnight, midnight after the last day) in naive UTC, as ClickHouse stores time."""

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time(0), ISTANBUL).astimezone(UTC).replace(tzinfo=None)

    return midnight(start), midnight(end + timedelta(days=1))


def split_range(start: date, end: date, now: datetime) -> tuple[date | None, date | None]:
    """(last day served from the daily cache, first day computed live); either may be None."""
    settled = (now - SETTLE).replace(tzinfo=UTC).astimezone(ISTANBUL).date() - timedelta(days=1)
    last_cached = min(end, settled)
    cached = last_cached if last_cached >= start else None
    live_start = max(start, settled + timedelta(days=1))
    return cached, live_start if live_start <= end else None


def days(start: date, end: date) -> list[str]:
    return [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]


def _rate(part: float, whole: float) -> float:
    return round(part / whole, 4) if whole else 0.0


def _blank() -> dict[str, Any]:
    return {
        "visits": 0,
        "visitors": 0,
        "cta_visits": 0,
        "leads": 0,
        "sales": 0,
        "revenue": Decimal(0),
        "cost": Decimal(0),
    }


def _per(amount: Decimal, count: Decimal | int) -> float | None:
    return float(round(amount / count, 2)) if amount and count else None


def _finish(cell: dict[str, Any], visitors: bool = True) -> dict[str, Any]:
    out = dict(cell)
    if not visitors:
        del out["visitors"]
    out["revenue"] = float(cell["revenue"])
    out["lead_rate"] = _rate(cell["leads"], cell["visits"])
    out["sale_rate"] = _rate(cell["sales"], cell["leads"])
    out["cost"] = float(cell["cost"])
    out["cost_per_lead"] = _per(cell["cost"], cell["leads"])
    out["cost_per_sale"] = _per(cell["cost"], cell["sales"])
    out["roas"] = float(round(cell["revenue"] / cell["cost"], 2)) if cell["cost"] else None
    return out


@dataclass(frozen=True)
class Campaigns:
    """What Google Ads told us about campaigns: current names by id, and the campaign of each gclid."""

    names: dict[str, str] = field(default_factory=dict)
    clicks: dict[str, str] = field(default_factory=dict)

    def key(self, gclid: str = "", ref: str = "", utm: str = "") -> str:
        """A lead's (or a visit's) campaign: click_view, else the landing URL's id, else utm_campaign."""
        if gclid and gclid in self.clicks:
            return self.clicks[gclid]
        if ref.isdigit():
            return ref
        if utm in self.names:
            return utm
        return next((cid for cid, name in self.names.items() if name == utm), utm)

    def row(self, key: str) -> dict[str, str]:
        known = key in self.names or key in self.clicks.values()
        return {"value": self.names.get(key, key), "campaign_id": key if known else ""}


def corrected_sales(
    sales: Iterable[dict[str, Any]], corrections: Iterable[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The sales as the owner last left them. Corrections are rows of their own (Google is sent
    each), so without this a cancelled sale would still count, at its first value."""
    retracted: set[str] = set()
    restated: dict[str, Any] = {}
    for correction in corrections:
        if correction["adjustment"] == RETRACTION:
            retracted.add(correction["id"])
        elif correction["adjustment"] == RESTATEMENT:
            restated[correction["id"]] = correction["revenue"]
    return [
        {**sale, "revenue": restated.get(sale["id"], sale["revenue"])}
        for sale in sales
        if sale["id"] not in retracted
    ]


def _label(campaigns: Campaigns, dim: str, value: str) -> dict[str, str]:
    return campaigns.row(value) if dim == "campaign" else {"value": value}


def shape_stats(
    start: date,
    end: date,
    visits: Iterable[dict[str, Any]],
    leads: Iterable[dict[str, Any]],
    sales: Iterable[dict[str, Any]],
    costs: Iterable[dict[str, Any]] = (),
    campaigns: Campaigns | None = None,
) -> dict[str, Any]:
    """visits: (dim, key, visits, visitors, cta_visits) rows of STATS_VISITS, where dim 0 with key ''
    is the total and dim 0 with a date is that day; leads: one row per lead; sales: one row per
    conversion with its lead's attributes; costs: (campaign_id, day, cost_micros) rows of spend."""
    campaigns = campaigns or Campaigns()
    cells: dict[str, dict[str, dict[str, Any]]] = defaultdict(lambda: defaultdict(_blank))
    for row in visits:
        dim = DIM_CODES.get(row["dim"]) or ("day" if row["key"] else "total")
        key = campaigns.key(utm=row["key"]) if dim == "campaign" else row["key"]
        cell = cells[dim][key]
        for name in ("visits", "visitors", "cta_visits"):
            cell[name] += int(row[name])
    currency = "TRY"
    for cost in costs:
        amount = Decimal(cost["cost_micros"]) / 1_000_000
        currency = cost.get("currency") or currency
        for dim, key in (("total", ""), ("day", cost["day"]), ("campaign", cost["campaign_id"])):
            cells[dim][key]["cost"] += amount

    def add(lead: dict[str, Any], day: str, key: str, amount: Any) -> None:
        cells["total"][""][key] += amount
        cells["day"][day][key] += amount
        for dim in DIMENSIONS:
            cells[dim][lead[LEAD_DIMENSION_FIELDS.get(dim, dim)]][key] += amount

    def with_campaign(row: dict[str, Any]) -> dict[str, Any]:
        key = campaigns.key(row.get("gclid", ""), row.get("campaign_ref", ""), row["campaign"] or "")
        return {**row, "campaign": key}

    channels: dict[str, int] = defaultdict(int)
    leads = [with_campaign(lead) for lead in leads]
    sales = [with_campaign(sale) for sale in sales]
    for lead in leads:
        if lead["status"] == "SPAM":
            continue
        add(lead, lead["day"], "leads", 1)
        channels[lead["channel"]] += 1
    for sale in sales:
        add(sale, sale["day"], "sales", 1)
        add(sale, sale["day"], "revenue", Decimal(sale["revenue"]))

    total = _finish(cells["total"][""])
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "totals": total,
        "daily": [{"day": day, **_finish(cells["day"][day])} for day in days(start, end)],
        "currency": currency,
        "by": {
            dim: sorted(
                (
                    {**_label(campaigns, dim, value), **_finish(cell, visitors=False)}
                    for value, cell in cells[dim].items()
                ),
                key=lambda r: (-r["visits"], -r["leads"], -r["sales"], r["value"]),
            )
            for dim in DIMENSIONS
        },
        "lead_channels": dict(sorted(channels.items())),
        "funnel": funnel(total),
    }


def funnel(total: dict[str, Any]) -> list[dict[str, Any]]:
    """visit → CTA click → lead → sale, each step with its share of the step before."""
    steps = [
        ("visit", "Ziyaret", total["visits"]),
        ("cta", "Arama / WhatsApp tıklaması", total["cta_visits"]),
        ("lead", "Talep", total["leads"]),
        ("sale", "Satış", total["sales"]),
    ]
    out = []
    previous = None
    for key, label, count in steps:
        out.append(
            {
                "step": key,
                "label_tr": label,
                "count": count,
                "rate": 1.0 if previous is None else _rate(count, previous),
            }
        )
        previous = count
    return out
