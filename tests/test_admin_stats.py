"""Stats numbers against a hand-computed expectation on a small seeded data set, plus the pure shaping."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from eslamed.admin import stats_shape
from eslamed.core.problems import Problem
from tests.support.admin import AUTH, admin_app
from tests.support.events import event_row
from tests.support.leads import lead_row

# Range: Istanbul days 2026-11-01 and 2026-11-02 (UTC+3), i.e. UTC [2026-10-31 21:00, 2026-11-02 21:00).
D1 = "2026-11-01"
D2 = "2026-11-02"


def seed(store):
    replayed = event_row(
        datetime(2026, 11, 1, 7, 0),
        visitor_id="v1",
        session_id="s1",
        source="paid",
        gclid="G-1",
        utm_campaign="pmax",
        variant="a",
        city="Istanbul",
        device="mobile",
    )
    events = [
        replayed,
        replayed,  # the same event delivered twice (a replay) must count once
        event_row(
            datetime(2026, 11, 1, 7, 2), visitor_id="v1", session_id="s1", source="direct", city="Istanbul"
        ),
        event_row(datetime(2026, 11, 1, 7, 3), type="call_click", visitor_id="v1", session_id="s1"),
        # same visitor, second visit on day 2
        event_row(
            datetime(2026, 11, 2, 9, 0),
            visitor_id="v1",
            session_id="s2",
            variant="b",
            city="Istanbul",
            device="desktop",
        ),
        # 23:30 Istanbul on day 1 (20:30 UTC)
        event_row(
            datetime(2026, 11, 1, 20, 30),
            visitor_id="v2",
            session_id="s3",
            source="organic",
            variant="a",
            city="Ankara",
        ),
        event_row(datetime(2026, 11, 1, 20, 31), type="whatsapp_click", visitor_id="v2", session_id="s3"),
        # 00:30 Istanbul on day 1 is still 2026-10-31 in UTC: inside the range
        event_row(
            datetime(2026, 10, 31, 21, 30),
            visitor_id="v4",
            session_id="s5",
            source="referral",
            city="Izmir",
            device="tablet",
        ),
        # 01:30 Istanbul on 2026-11-03 is 2026-11-02 in UTC: outside the range
        event_row(datetime(2026, 11, 2, 22, 30), visitor_id="v3", session_id="s4", source="paid"),
    ]
    store.insert_rows("events", events)

    l1 = lead_row(
        created_at=datetime(2026, 11, 1, 8, 0),
        last_source="paid",
        utm_campaign="pmax",
        variant="a",
        city="Istanbul",
        device="mobile",
    )
    l1_converted = {**l1, "status": "CONVERTED", "version": l1["version"] + 1}
    l2 = lead_row(
        created_at=datetime(2026, 11, 2, 10, 0),
        source="whatsapp",
        last_source="organic",
        city="Ankara",
        variant="a",
    )
    spam = lead_row(created_at=datetime(2026, 11, 2, 11, 0), status="SPAM")
    late = lead_row(created_at=datetime(2026, 11, 3, 0, 30))
    store.insert_rows("leads", [l1, l1_converted, l2, spam, late])

    def sale(lead, closed_at, revenue, state="PENDING", cid=None, version=1):
        return {
            "conversion_id": cid or uuid.uuid4(),
            "version": version,
            "lead_id": lead["lead_id"],
            "created_at": closed_at,
            "updated_at": closed_at,
            "closed_at": closed_at,
            "revenue": Decimal(revenue),
            "currency": "TRY",
            "deal_type": "satis",
            "state": state,
        }

    c1 = uuid.uuid4()
    store.insert_rows(
        "conversions",
        [
            sale(l1, datetime(2026, 11, 2, 9, 0), "15000.00", cid=c1, version=1),
            sale(l1, datetime(2026, 11, 2, 9, 0), "15000.00", state="UPLOADED", cid=c1, version=2),
            sale(l1, datetime(2026, 11, 2, 12, 0), "2500.50"),
            sale(late, datetime(2026, 10, 20, 12, 0), "999.00"),
        ],
    )


def by_value(rows):
    return {row["value"]: row for row in rows}


def test_stats_match_the_hand_computed_numbers(clickhouse, store, tmp_path):
    seed(store)
    client = admin_app(clickhouse, store, tmp_path).test_client()
    reply = client.get(f"/api/admin/stats?from={D1}&to={D2}", headers=AUTH)
    assert reply.status_code == 200, reply.get_json()
    stats = reply.get_json()

    totals = stats["totals"]
    assert {k: totals[k] for k in ("visits", "visitors", "cta_visits")} == {
        "visits": 4,  # s1, s2, s3, s5 (s1's replayed event changes nothing)
        "visitors": 3,  # v1, v2, v4
        "cta_visits": 2,  # s1 call, s3 WhatsApp
    }
    assert (totals["leads"], totals["sales"], totals["revenue"]) == (2, 2, 17500.5)
    assert (totals["lead_rate"], totals["sale_rate"]) == (0.5, 1.0)
    assert [(s["step"], s["count"]) for s in stats["funnel"]] == [
        ("visit", 4),
        ("cta", 2),
        ("lead", 2),
        ("sale", 2),
    ]

    daily = {d["day"]: d for d in stats["daily"]}
    assert list(daily) == [D1, D2]
    assert (daily[D1]["visits"], daily[D1]["visitors"], daily[D1]["leads"], daily[D1]["sales"]) == (
        3,
        3,
        1,
        0,
    )
    assert (daily[D2]["visits"], daily[D2]["leads"], daily[D2]["sales"], daily[D2]["revenue"]) == (
        1,
        1,
        2,
        17500.5,
    )

    source = by_value(stats["by"]["source"])
    assert {k: source[k]["visits"] for k in source} == {"paid": 1, "direct": 1, "organic": 1, "referral": 1}
    assert (source["paid"]["leads"], source["paid"]["sales"], source["paid"]["revenue"]) == (1, 2, 17500.5)
    assert (source["organic"]["leads"], source["organic"]["sales"]) == (1, 0)
    assert "visitors" not in source["paid"], "unique visitors are reported for totals and days only"
    city = by_value(stats["by"]["city"])
    assert {k: city[k]["visits"] for k in city} == {"Istanbul": 2, "Ankara": 1, "Izmir": 1}
    assert {k: city[k]["leads"] for k in city} == {"Istanbul": 1, "Ankara": 1, "Izmir": 0}
    device = by_value(stats["by"]["device"])
    assert {k: device[k]["visits"] for k in device} == {"mobile": 2, "desktop": 1, "tablet": 1}
    variant = by_value(stats["by"]["variant"])
    assert (variant["a"]["visits"], variant["a"]["leads"], variant["b"]["visits"]) == (2, 2, 1)
    campaign = by_value(stats["by"]["campaign"])
    assert (campaign["pmax"]["visits"], campaign["pmax"]["sales"]) == (1, 2)
    assert stats["lead_channels"] == {"form": 1, "whatsapp": 1}


def test_stats_reject_a_bad_range(clickhouse, store, tmp_path):
    client = admin_app(clickhouse, store, tmp_path).test_client()
    assert client.get("/api/admin/stats?from=2026-11-05&to=2026-11-01", headers=AUTH).status_code == 400
    assert client.get("/api/admin/stats?from=yesterday", headers=AUTH).status_code == 400


def test_utc_bounds_are_istanbul_midnights():
    assert stats_shape.utc_bounds(date(2026, 11, 1), date(2026, 11, 2)) == (
        datetime(2026, 10, 31, 21, 0),
        datetime(2026, 11, 2, 21, 0),
    )


def test_parse_range_defaults_and_limits():
    assert stats_shape.parse_range(None, None, date(2026, 11, 30)) == (date(2026, 11, 1), date(2026, 11, 30))
    with pytest.raises(Problem):
        stats_shape.parse_range("2025-01-01", "2026-11-30", date(2026, 11, 30))


def test_shape_fills_empty_days_and_an_empty_funnel_has_zero_rates():
    shaped = stats_shape.shape_stats(date(2026, 11, 1), date(2026, 11, 3), [], [], [])
    assert [d["day"] for d in shaped["daily"]] == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert all(d["visits"] == 0 for d in shaped["daily"])
    assert [s["rate"] for s in shaped["funnel"]] == [1.0, 0.0, 0.0, 0.0]


def test_a_cancelled_sale_is_not_counted_and_a_restated_one_counts_its_newest_value():
    sales = [
        {"id": cid, "revenue": Decimal("1000.00"), "day": D1} for cid in ("kept", "cancelled", "restated")
    ]
    corrections = [
        {"id": "restated", "adjustment": "RESTATEMENT", "revenue": Decimal("1500.00")},
        {"id": "cancelled", "adjustment": "RETRACTION", "revenue": Decimal("1000.00")},
        {"id": "restated", "adjustment": "RESTATEMENT", "revenue": Decimal("1200.00")},
    ]
    assert stats_shape.corrected_sales(sales, corrections) == [
        {"id": "kept", "revenue": Decimal("1000.00"), "day": D1},
        {"id": "restated", "revenue": Decimal("1200.00"), "day": D1},
    ]


def test_settled_days_are_cached_once_and_today_is_live(clickhouse, store, tmp_path):
    seed(store)
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    store.insert_rows(
        "events", [event_row(now - timedelta(minutes=1), visitor_id="v-now", session_id="s-now")]
    )
    client = admin_app(clickhouse, store, tmp_path).test_client()
    today = datetime.now(stats_shape.ISTANBUL).date()
    url = f"/api/admin/stats?from={D1}&to={today}"
    with ThreadPoolExecutor(3) as pool:  # concurrent cold calls: one fills, the others wait and reuse
        replies = list(pool.map(lambda _: client.get(url, headers=AUTH).get_json(), range(3)))
    first = replies[0]
    assert replies[1] == first and replies[2] == first
    assert client.get(url, headers=AUTH).get_json() == first
    # the seeded 4 visits + s4 (2026-11-03 01:30 Istanbul, now inside the range) + the one just now
    assert first["totals"]["visits"] == 6 and first["totals"]["visitors"] == 5
    assert {d["day"]: d["visits"] for d in first["daily"]}[today.isoformat()] == 1

    cached = store.query(f"SELECT day, events FROM {store.database}.stats_days FINAL ORDER BY day")
    cached_days = [day for day, _ in cached]
    assert cached_days[:2] == [date(2026, 11, 1), date(2026, 11, 2)] and dict(cached)[date(2026, 11, 4)] == 0
    assert dict(cached)[date(2026, 11, 1)] == 7, (
        "the events rows of the day (a replay too) when it was filled"
    )
    assert today not in cached_days, "a day that is not over is never cached"
    twice = store.query(f"SELECT day FROM {store.database}.stats_days GROUP BY day HAVING count() > 1")
    assert twice == [], "each day is computed once while its events do not change"


def test_late_events_of_a_cached_day_are_counted(clickhouse, store, tmp_path):
    """A day read before (some of) its events arrived (ring or spill replays, a slow clock) is filled
    again when its events change; reads take the newest fill only."""
    seed(store)
    client = admin_app(clickhouse, store, tmp_path).test_client()
    url = f"/api/admin/stats?from={D1}&to={D2}"
    before = client.get(url, headers=AUTH).get_json()
    assert before["totals"]["visits"] == 4
    store.insert_rows(
        "events",
        [
            event_row(datetime(2026, 11, 1, 12, 0), visitor_id="v-late", source="organic"),
            event_row(datetime(2026, 11, 1, 12, 5), type="call_click", visitor_id="v-late"),
        ],
    )
    after = client.get(url, headers=AUTH).get_json()
    assert (after["totals"]["visits"], after["totals"]["visitors"], after["totals"]["cta_visits"]) == (
        5,
        4,
        3,
    )
    assert {d["day"]: d["visits"] for d in after["daily"]} == {D1: 4, D2: 1}
    assert by_value(after["by"]["source"])["organic"]["visits"] == 2
    fills = store.query(f"SELECT count() FROM {store.database}.stats_days WHERE day = toDate('{D1}')")
    assert fills == [(2,)], "the day was filled again, once"
    assert client.get(url, headers=AUTH).get_json() == after


def test_split_range_caches_only_days_over_for_two_hours():
    # 2026-11-26 01:30 Istanbul: the 25th ended 90 minutes ago, so it is still live.
    now = datetime(2026, 11, 25, 22, 30)
    assert stats_shape.split_range(date(2026, 11, 1), date(2026, 11, 26), now) == (
        date(2026, 11, 24),
        date(2026, 11, 25),
    )
    assert stats_shape.split_range(date(2026, 11, 1), date(2026, 11, 10), now) == (date(2026, 11, 10), None)
    assert stats_shape.split_range(date(2026, 11, 26), date(2026, 11, 26), now) == (None, date(2026, 11, 26))


def test_a_leads_campaign_is_click_view_then_the_landing_id_then_utm_campaign():
    known = stats_shape.Campaigns(names={"111": "PMax Kiralama", "222": "Marka"}, clicks={"Cj0Kx": "111"})
    assert known.key("Cj0Kx", "222", "Marka") == "111", "click_view first"
    assert known.key("Cj0Kunknown", "222", "PMax Kiralama") == "222", "then the landing URL's utm_id"
    assert known.key("", "", "PMax Kiralama") == "111", "then utm_campaign, by the campaign's name"
    assert known.key("", "", "222") == "222", "or by its id"
    assert known.key("", "x1", "yaz-kampanyasi") == "yaz-kampanyasi", "else the text as it came"
    assert known.row("111") == {"value": "PMax Kiralama", "campaign_id": "111"}
    assert known.row("yaz-kampanyasi") == {"value": "yaz-kampanyasi", "campaign_id": ""}


def test_cost_ratios_are_null_without_cost_and_rounded_to_kurus():
    costs = [{"campaign_id": "111", "day": "2026-11-02", "cost_micros": 100_000_000, "currency": "TRY"}]
    leads = [
        {"id": str(i), "day": "2026-11-02", "status": "NEW", "channel": "form", "traffic": "paid",
         "campaign": "", "gclid": f"g{i}", "campaign_ref": "", "variant": "", "city": "", "device": "",
         "landing": ""}
        for i in range(3)
    ]  # fmt: skip
    clicks = {"g0": "111", "g1": "111"}
    shaped = stats_shape.shape_stats(
        date(2026, 11, 1),
        date(2026, 11, 2),
        [],
        leads,
        [],
        costs,
        stats_shape.Campaigns({"111": "A"}, clicks),
    )
    assert shaped["totals"]["cost"] == 100.0 and shaped["totals"]["cost_per_lead"] == 33.33  # 100 / 3
    assert shaped["totals"]["roas"] == 0.0 and shaped["totals"]["cost_per_sale"] is None
    assert [d["cost"] for d in shaped["daily"]] == [0.0, 100.0]
    by = {r["campaign_id"]: r for r in shaped["by"]["campaign"]}
    assert (by["111"]["leads"], by["111"]["cost_per_lead"]) == (2, 50.0)
    assert (by[""]["leads"], by[""]["cost"], by[""]["cost_per_lead"], by[""]["roas"]) == (1, 0.0, None, None)
