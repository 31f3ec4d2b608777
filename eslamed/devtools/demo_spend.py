"""The demo week's ad spend: a local Google Ads account holding the demo campaigns' daily cost and
the demo's ad clicks, read by the same import code the server runs (`eslamed ads costs`).

The account is built from the same plan the demo week plays (same seed, same `now`), so every
gclid a demo visitor brought is a click of the campaign its ad belonged to.
"""

from __future__ import annotations

import random
import tempfile
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from eslamed.conversions.costs import DEFAULT_DAYS, ImportReport, run_import
from eslamed.conversions.settings import ads_config
from eslamed.core.clock import ISTANBUL
from eslamed.core.config import Settings
from eslamed.core.store import Store
from eslamed.devtools.demo_traffic import ADS, plan_week
from eslamed.devtools.google_ads_peer import AdsAccount, AdsPeer

# A small Istanbul business's Performance Max budget: TL a day per campaign (before daily noise).
DAILY_BUDGET_TL = {
    "PMax İstanbul Oksijen Tüpü ve Dolum": 900,
    "Arama - Kiralık Oksijen Konsantratörü": 550,
    "Acil 7/24 Oksijen": 320,
}
FIRST_CAMPAIGN_ID = 21_874_530_001


def demo_account(now: datetime, rng_seed: int = 13) -> AdsAccount:
    """The demo campaigns with a week of spend, and the campaign of each demo ad click."""
    names = list(dict.fromkeys(campaign for campaign, _keyword, _page in ADS))
    ids = {name: FIRST_CAMPAIGN_ID + i for i, name in enumerate(names)}
    today = now.astimezone(ISTANBUL).date()
    noise = random.Random(rng_seed + 1)
    costs: dict[tuple[int, date], tuple[int, int, int]] = {}
    for name, campaign_id in ids.items():
        for back in range(DEFAULT_DAYS):
            tl = DAILY_BUDGET_TL[name] * noise.uniform(0.7, 1.1)
            clicks = max(1, round(tl / noise.uniform(9, 16)))
            micros = round(tl * 100) * 10_000  # whole kuruş, as Google bills
            costs[(campaign_id, today - timedelta(days=back))] = (micros, clicks, clicks * 31)
    clicks = {}
    for step in plan_week(now, random.Random(rng_seed)):
        visit = step.visit
        if step.kind == "visit" and visit is not None and visit.attribution.get("gclid"):
            day = visit.page_times[0].astimezone(ISTANBUL).date()
            clicks[visit.attribution["gclid"]] = (ids[visit.attribution["utm_campaign"]], day)
    return AdsAccount(
        campaigns={campaign_id: name for name, campaign_id in ids.items()},
        costs=costs,
        clicks=clicks,
    )


def play(settings: Settings, store: Store, now: datetime | None = None, rng_seed: int = 13) -> ImportReport:
    """Import the demo spend through a local Google Ads peer, as `eslamed ads costs` would."""
    now = now or datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="eslamed-demo-ads-") as directory:
        peer = AdsPeer(demo_account(now, rng_seed), Path(directory))
        try:
            env = peer.env()
            config = replace(
                ads_config(settings),
                customer_id=env["GOOGLE_ADS_CUSTOMER_ID"],
                client_id=env["GOOGLE_ADS_CLIENT_ID"],
                client_secret=env["GOOGLE_ADS_CLIENT_SECRET"],
                refresh_token=env["GOOGLE_ADS_REFRESH_TOKEN"],
                service_account_file="",
                google_ads_endpoint=peer.endpoint,
                ca_file=str(peer.ca_file),
                token_uri=peer.tokens.url,
            )
            return run_import(store, config, DEFAULT_DAYS, now.astimezone(UTC).replace(tzinfo=None))
        finally:
            peer.stop()
