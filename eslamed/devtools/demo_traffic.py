"""A realistic demo week for `bash ops/dev.sh run`, sent through the real endpoints of the running server.

Nothing is inserted by hand: page views and taps are POST /api/track batches shaped exactly like
tracking.js sends them (one batch per page view, `props.variant` and `props.pv`, visitor_id only for
visitors who accepted cookies, no session_id), leads are POST /api/lead bodies like site.js sends,
and the owner's work (calls, notes, sales) goes through /api/admin. So the demo runs the same
validation, enrichment, attribution, notification and stats code as real traffic.

Time is the honest limit: /api/track keeps a browser's clock only within the last 72 hours
(eslamed.ingest.pipeline.MAX_PAST_AGE_S) and /api/lead stamps the lead with the server's time. So
visits are spread over the last three days, every lead arrives now (its journey shows the earlier
visits), and sales carry their own closing dates over the past week (the convert endpoint takes
the day the deal was closed).
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import requests

from eslamed.ingest.pipeline import MAX_PAST_AGE_S

ISTANBUL = ZoneInfo("Europe/Istanbul")
UAS = {
    "mobile": (
        "Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0 Mobile Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.1 Mobile/15E148 Safari/604.1",
    ),
    "desktop": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0 Safari/537.36",
    ),
    "tablet": (
        "Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.1 Mobile/15E148 Safari/604.1",
    ),
}
SCREENS = {"mobile": "390x844", "desktop": "1920x1080", "tablet": "820x1180"}
PAGES = {
    "/": ("home", "İstanbul Medikal Oksijen: Tüp, Konsantratör, Kiralama"),
    "/hizmetler/oksijen-tupu": ("oksijen-tupu", "Oksijen Tüpü Satışı ve Dolumu"),
    "/hizmetler/oksijen-konsantratoru": ("oksijen-konsantratoru", "Oksijen Konsantratörü Satışı"),
    "/hizmetler/kiralama": ("kiralama", "Oksijen Konsantratörü ve Tüp Kiralama"),
    "/acil": ("acil", "Acil Oksijen: 7/24 Teslimat"),
    "/fiyat": ("fiyat", "Oksijen Tüpü ve Konsantratör Fiyatları"),
    "/iletisim": ("iletisim", "İletişim"),
}
# (campaign, keyword, landing page) of the ad clicks
ADS = (
    ("PMax İstanbul Oksijen Tüpü ve Dolum", "oksijen tüpü dolumu", "/hizmetler/oksijen-tupu"),
    ("PMax İstanbul Oksijen Tüpü ve Dolum", "oksijen konsantratörü fiyatları", "/fiyat"),
    ("Arama - Kiralık Oksijen Konsantratörü", "kiralık oksijen konsantratörü", "/hizmetler/kiralama"),
    ("Acil 7/24 Oksijen", "acil oksijen tüpü", "/acil"),
)
NAMES = (
    "Ayşe Yılmaz",
    "Mehmet Kaya",
    "Fatma Demir",
    "Mustafa Çelik",
    "Zeynep Şahin",
    "Ahmet Yıldız",
    "Elif Aydın",
    "Hüseyin Öztürk",
    "Emine Arslan",
    "İbrahim Doğan",
    "Hatice Koç",
    "Ali Kurt",
)
MESSAGES = (
    "Annem için oksijen konsantratörü lazım, kiralama fiyatı nedir?",
    "Tüp dolumu bugün yapılabilir mi? Kadıköy'deyiz.",
    "Acil! Babam için oksijen tüpü gerekiyor.",
    "5 litrelik konsantratör satış fiyatı?",
    "",
)


@dataclass
class Visit:
    visitor_id: str
    device: str
    started: datetime
    pages: list[str]
    source: str
    consented: bool
    attribution: dict[str, str] = field(default_factory=dict)
    tapped: str = ""


@dataclass
class Seeded:
    visits: int = 0
    events: int = 0
    leads: list[str] = field(default_factory=list)
    sales: int = 0


class DemoClient:
    """The site's and the owner's requests against one running server, retried on 429/503."""

    def __init__(self, base_url: str, admin_secret: str, progress: Callable[[str], None]) -> None:
        self.base = base_url.rstrip("/")
        self.admin = {"X-Admin-Secret": admin_secret}
        self.progress = progress
        self.http = requests.Session()

    def post(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> requests.Response:
        for attempt in range(8):
            reply = self.http.post(f"{self.base}{path}", json=body, headers=headers, timeout=15)
            if reply.status_code not in (429, 503):
                return reply
            wait_s = float(reply.headers.get("Retry-After") or 2**attempt)
            self.progress(f"  {path} answered {reply.status_code}, waiting {wait_s:.0f} s")
            time.sleep(min(wait_s, 30))
        return reply

    def site_headers(self, device: str, rng: random.Random) -> dict[str, str]:
        return {"User-Agent": rng.choice(UAS[device]), "Origin": self.base, "Accept-Language": "tr-TR"}

    def admin_get(self, path: str) -> dict[str, Any]:
        reply = self.http.get(f"{self.base}/api/admin{path}", headers=self.admin, timeout=15)
        reply.raise_for_status()
        return reply.json()

    def admin_post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        reply = self.post(f"/api/admin{path}", body, self.admin)
        if reply.status_code >= 400:
            raise RuntimeError(f"{path}: {reply.status_code} {reply.text[:200]}")
        return reply.json()

    def is_empty(self) -> bool:
        counts = self.admin_get("/leads?limit=1")["counts"]
        return sum(counts.values()) == 0


def waking_time(oldest: datetime, newest: datetime, rng: random.Random) -> datetime:
    """A moment between the two, in Istanbul's waking hours (08:00 to 23:00), when people search."""
    while True:
        at = oldest + (newest - oldest) * rng.random()
        if 8 <= at.astimezone(ISTANBUL).hour < 23:
            return at


def plan_visits(now: datetime, rng: random.Random, count: int = 125) -> list[Visit]:
    """Visits of the last three days (whatever the hour the demo starts at, so always `count`):
    ad clicks, organic search, direct and Instagram, 1 to 4 pages."""
    oldest = now - timedelta(seconds=MAX_PAST_AGE_S - 3600)
    visits: list[Visit] = []
    for _ in range(count):
        started = waking_time(oldest, now - timedelta(minutes=15), rng)
        device = rng.choices(("mobile", "desktop", "tablet"), (70, 24, 6))[0]
        source = rng.choices(("paid", "organic", "direct", "social"), (45, 30, 18, 7))[0]
        attribution: dict[str, str] = {}
        if source == "paid":
            campaign, keyword, landing = rng.choice(ADS)
            attribution = {
                "gclid": f"Cj0KCQiA{uuid.UUID(int=rng.getrandbits(128)).hex[:22]}",
                "utm_source": "google",
                "utm_medium": "cpc",
                "utm_campaign": campaign,
                "utm_term": keyword,
            }
        else:
            landing = rng.choice(("/", "/", "/fiyat", "/hizmetler/oksijen-tupu", "/acil", "/iletisim"))
        others = [p for p in PAGES if p != landing]
        pages = [landing, *rng.sample(others, rng.choices((0, 1, 2, 3), (45, 30, 15, 10))[0])]
        visits.append(
            Visit(
                visitor_id=str(uuid.UUID(int=rng.getrandbits(128))),
                device=device,
                started=started,
                pages=pages,
                source=source,
                consented=rng.random() < 0.6,
                attribution=attribution,
                tapped=rng.choices(("", "call", "whatsapp"), (78, 12, 10))[0],
            )
        )
    return sorted(visits, key=lambda v: v.started)


REFERRERS = {
    "organic": "https://www.google.com/",
    "social": "https://l.instagram.com/",
    "direct": "",
    "paid": "",
}


def page_events(visit: Visit, index: int, at: datetime, base: str) -> list[dict[str, Any]]:
    """One page view's batch, as tracking.js queues it: the view, scroll marks, a tap."""
    path = visit.pages[index]
    variant, title = PAGES[path]
    query = urlencode(visit.attribution) if index == 0 else ""
    url = f"{base}{path}" + (f"?{query}" if query else "")
    ref = REFERRERS[visit.source] if index == 0 else f"{base}{visit.pages[index - 1]}"
    pv = str(uuid.uuid4())
    common = {
        **({"visitor_id": visit.visitor_id} if visit.consented else {}),
        **visit.attribution,
        "url": url,
        "ref": ref,
        "title": title,
        "screen": SCREENS[visit.device],
        "lang": "tr-TR",
    }

    def event(kind: str, seconds: int, **props: str) -> dict[str, Any]:
        ts = int((at + timedelta(seconds=seconds)).timestamp() * 1000)
        return {**common, "event_id": str(uuid.uuid4()), "type": kind, "ts": ts,
                "props": {**props, "variant": variant, "pv": pv}}  # fmt: skip

    events = [event("pageview", 0), event("scroll", 8, depth="25")]
    if index == len(visit.pages) - 1:
        events.append(event("scroll", 20, depth="50"))
        if visit.tapped:
            kind = "call_click" if visit.tapped == "call" else "whatsapp_click"
            events.append(event(kind, 30, el=f"{visit.tapped}-bar"))
    return events


def send_visits(client: DemoClient, visits: list[Visit], rng: random.Random, seeded: Seeded) -> None:
    for n, visit in enumerate(visits, 1):
        headers = client.site_headers(visit.device, rng)
        at = visit.started
        for index in range(len(visit.pages)):
            batch = page_events(visit, index, at, client.base)
            reply = client.post("/api/track", {"events": batch}, headers)
            if reply.status_code != 202:
                raise RuntimeError(f"/api/track: {reply.status_code} {reply.text[:200]}")
            seeded.events += len(batch)
            at += timedelta(seconds=rng.randrange(25, 150))
        seeded.visits += 1
        if n % 25 == 0 or n == len(visits):
            client.progress(f"  visits {n}/{len(visits)} ({seeded.events} events)")


def lead_body(visit: Visit, name: str, phone: str, rng: random.Random, base: str) -> dict[str, Any]:
    """What site.js posts for the form on the visit's last page (or a tap lead without a form)."""
    path = visit.pages[-1]
    body: dict[str, Any] = {
        "lead_id": str(uuid.uuid4()),
        "source": visit.tapped or "form",
        "url": f"{base}{path}",
        "variant": PAGES[path][0],
        "consent": visit.consented,
        "visitor_id": visit.visitor_id if visit.consented else "",
        **{
            k: visit.attribution.get(k, "")
            for k in ("gclid", "utm_source", "utm_medium", "utm_campaign", "utm_term")
        },
    }
    if not visit.tapped:
        body.update(
            name=name,
            phone=phone,
            message=rng.choice(MESSAGES),
            website="",
            fill_ms=rng.randrange(9000, 60000),
        )
    return body


def send_leads(
    client: DemoClient, visits: list[Visit], rng: random.Random, seeded: Seeded
) -> list[dict[str, Any]]:
    consented = [v for v in visits if v.consented]
    chosen = rng.sample(consented, min(12, len(consented)))
    sent = []
    for n, visit in enumerate(chosen):
        digits = (rng.choice((32, 33, 35, 42, 53, 55)), rng.randrange(100, 999), rng.randrange(10, 99))
        phone = f"05{digits[0]} {digits[1]} {digits[2]} {rng.randrange(10, 99)}"
        body = lead_body(visit, NAMES[n % len(NAMES)], phone, rng, client.base)
        reply = client.post("/api/lead", body, client.site_headers(visit.device, rng))
        if reply.status_code not in (200, 201, 202):
            raise RuntimeError(f"/api/lead: {reply.status_code} {reply.text[:200]}")
        seeded.leads.append(body["lead_id"])
        sent.append(body)
    bot = lead_body(visits[0], "SEO Hizmetleri", "0850 123 45 67", rng, client.base)
    bot.update(
        source="form",
        website="http://seo-hizmet.example",
        fill_ms=400,
        message="Sitenizi 1. sıraya taşıyalım",
    )
    client.post("/api/lead", bot, client.site_headers("desktop", rng))
    client.progress(f"  leads: {len(sent)} from visitors and 1 honeypot bot (SPAM)")
    return sent


def owner_work(client: DemoClient, leads: list[dict[str, Any]], now: datetime, seeded: Seeded) -> None:
    """The owner's week: calls with notes, a lost lead, sales closed on different days."""
    forms = [lead for lead in leads if lead["source"] == "form"]
    for n, lead in enumerate(forms[:7]):
        client.admin_post(
            f"/leads/{lead['lead_id']}/status", {"status": "CONTACTED", "note": "Arandı, fiyat verildi"}
        )
        if n == 6:
            client.admin_post(
                f"/leads/{lead['lead_id']}/status", {"status": "LOST", "note": "Başka firmadan aldı"}
            )
    for n, lead in enumerate(forms[:4]):
        # a moment, not a date: at 00:30 in Istanbul "today" at noon would still be in the future
        closed = (now - timedelta(days=(5, 3, 1, 0)[n], hours=1)).astimezone(ISTANBUL).isoformat()
        sale = {"revenue": ("6500.00", "3500.00", "28000.00", "450.00")[n], "closed_at": closed,
                "deal_type": "kiralama" if n == 1 else "satis"}  # fmt: skip
        client.admin_post(f"/leads/{lead['lead_id']}/convert", sale)
        seeded.sales += 1
    if forms:
        client.admin_post(f"/leads/{forms[-1]['lead_id']}/note", {"note": "Yarın sabah tekrar ara"})
    client.progress(f"  owner: {min(7, len(forms))} called, 1 lost, {seeded.sales} sales")


def seed(
    base_url: str,
    admin_secret: str,
    progress: Callable[[str], None] = print,
    now: datetime | None = None,
    rng_seed: int = 13,
) -> Seeded | None:
    """The demo, once: None (and nothing sent) when the server already has leads."""
    client = DemoClient(base_url, admin_secret, progress)
    if not client.is_empty():
        progress("demo data: the database already has leads, nothing added")
        return None
    now = now or datetime.now(UTC)
    rng = random.Random(rng_seed)
    visits = plan_visits(now, rng)
    progress(f"demo data: {len(visits)} visits of the last 3 days through /api/track …")
    seeded = Seeded()
    send_visits(client, visits, rng, seeded)
    time.sleep(2.5)  # the flusher writes events within a second; leads are attributed from them
    progress("demo data: leads through /api/lead …")
    leads = send_leads(client, visits, rng, seeded)
    progress("demo data: the owner's calls, notes and sales through /api/admin …")
    owner_work(client, leads, now, seeded)
    progress(
        f"demo data ready: {seeded.visits} visits, {seeded.events} events, {len(seeded.leads) + 1} leads"
    )
    return seeded
