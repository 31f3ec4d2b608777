"""A realistic demo week for `bash ops/dev.sh run`, sent through the real endpoints of a running server.

Nothing is inserted by hand: page views and taps are POST /api/track batches shaped exactly like
tracking.js sends them (one batch per page view, `props.variant` and `props.pv`, visitor_id only for
visitors who accepted cookies, no session_id), leads are POST /api/lead bodies like site.js sends,
and the owner's work (calls, notes, sales) goes through /api/admin. So the demo runs the same
validation, enrichment, attribution, notification and stats code as real traffic.

The week is planned first (`plan_week`: every visit, lead and owner action with its moment), then
played in time order against a server on a FakeClock: before each step the server's wall clock is
set to that step's moment. The endpoints keep their rules (a browser's clock is believed only within
72 hours of the server's, a lead is stamped with the server's time), and the week still has its days.
"""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import requests

from eslamed.devtools import geoip_sample
from eslamed.devtools.fake_clock import FakeClock

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


REFERRERS = {
    "organic": "https://www.google.com/",
    "social": "https://l.instagram.com/",
    "direct": "",
    "paid": "",
}
DAYS = 7
VISITS = 280
LEAD_VISITS = 12
# the visitor types the form for a moment: the flusher writes the visit's page views meanwhile, so the
# lead is attributed from them as a real one would be
TYPING_S = 1.0
# a step of the demo server's clock fires its timers at once (eslamed.devtools.fake_clock): the flush
# that starts finishes before the clock steps again, or its ClickHouse timeout fires and it is retried
SETTLE_S = 0.3


@dataclass
class Visit:
    visitor_id: str
    device: str
    user_agent: str
    page_times: list[datetime]
    pages: list[str]
    source: str
    consented: bool
    attribution: dict[str, str] = field(default_factory=dict)
    tapped: str = ""

    @property
    def ended(self) -> datetime:
        return self.page_times[-1] + timedelta(seconds=40)


@dataclass
class Step:
    """One thing that happens at `at`: a visit's page batches, a lead, or an owner's admin request."""

    at: datetime
    kind: str
    visit: Visit | None = None
    path: str = ""
    body: dict[str, Any] = field(default_factory=dict)


@dataclass
class Seeded:
    visits: int = 0
    events: int = 0
    leads: list[str] = field(default_factory=list)
    sales: int = 0


class DemoClient:
    """The site's and the owner's requests against one running server, retried on 429/503.

    `site` is the public origin the pages are served from (the server may be a separate demo one)."""

    def __init__(
        self, base_url: str, admin_secret: str, progress: Callable[[str], None], site: str = ""
    ) -> None:
        self.base = base_url.rstrip("/")
        self.site = (site or base_url).rstrip("/")
        self.admin = {"X-Admin-Secret": admin_secret}
        self.progress = progress
        self.http = requests.Session()
        # a step of the server's clock fires its keep-alive timer: a kept connection may be closed under us
        self.http.headers["Connection"] = "close"
        self.addresses: dict[str, int] = {}  # each visitor's own sample Istanbul address (geoip_sample)

    def post(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> requests.Response:
        for attempt in range(8):
            reply = self.http.post(f"{self.base}{path}", json=body, headers=headers, timeout=15)
            if reply.status_code not in (429, 503):
                return reply
            wait_s = float(reply.headers.get("Retry-After") or 2**attempt)
            self.progress(f"  {path} answered {reply.status_code}, waiting {wait_s:.0f} s")
            time.sleep(min(wait_s, 30))
        return reply

    def site_headers(self, user_agent: str, visit: Visit | None = None) -> dict[str, str]:
        """A visitor's request as the site's proxy forwards it: the visitor's own (sample Istanbul)
        address in X-Forwarded-For, which a server believes only from its TRUSTED_PROXIES."""
        headers = {"User-Agent": user_agent, "Origin": self.site, "Accept-Language": "tr-TR"}
        if visit is not None:
            number = self.addresses.setdefault(visit.visitor_id, len(self.addresses))
            headers["X-Forwarded-For"] = geoip_sample.address_for(number)
        return headers

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


def week_start(now: datetime) -> datetime:
    """No step of the week is earlier: where the demo server's clock starts."""
    return now - timedelta(days=DAYS)


def rng_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128)))


def plan_visits(now: datetime, rng: random.Random, count: int = VISITS) -> list[Visit]:
    """Visits of the last seven days: ad clicks, organic search, direct and Instagram, 1 to 4 pages."""
    visits: list[Visit] = []
    for _ in range(count):
        started = waking_time(week_start(now), now - timedelta(minutes=30), rng)
        device = rng.choices(("mobile", "desktop", "tablet"), (70, 24, 6))[0]
        source = rng.choices(("paid", "organic", "direct", "social"), (45, 30, 18, 7))[0]
        attribution: dict[str, str] = {}
        if source == "paid":
            campaign, keyword, landing = rng.choice(ADS)
            attribution = {
                "gclid": f"Cj0KCQiA{rng_uuid(rng).replace('-', '')[:22]}",
                "utm_source": "google",
                "utm_medium": "cpc",
                "utm_campaign": campaign,
                "utm_term": keyword,
            }
        else:
            landing = rng.choice(("/", "/", "/fiyat", "/hizmetler/oksijen-tupu", "/acil", "/iletisim"))
        others = [p for p in PAGES if p != landing]
        pages = [landing, *rng.sample(others, rng.choices((0, 1, 2, 3), (45, 30, 15, 10))[0])]
        times = [started]
        for _ in pages[1:]:
            times.append(times[-1] + timedelta(seconds=rng.randrange(25, 150)))
        visits.append(
            Visit(
                visitor_id=rng_uuid(rng),
                device=device,
                user_agent=rng.choice(UAS[device]),
                page_times=times,
                pages=pages,
                source=source,
                consented=rng.random() < 0.6,
                attribution=attribution,
                tapped=rng.choices(("", "call", "whatsapp"), (78, 12, 10))[0],
            )
        )
    return sorted(visits, key=lambda v: v.page_times[0])


def lead_body(visit: Visit, name: str, phone: str, rng: random.Random) -> dict[str, Any]:
    """What site.js posts for the form on the visit's last page (or a tap lead without a form).
    The url is a path here; the client puts the site's origin in front when it sends it."""
    path = visit.pages[-1]
    body: dict[str, Any] = {
        "lead_id": rng_uuid(rng),
        "source": visit.tapped or "form",
        "url": path,
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


def plan_leads(visits: list[Visit], now: datetime, rng: random.Random) -> list[Step]:
    """Twelve visitors who asked (form, call or WhatsApp tap) at the end of their visit, and one bot."""
    consented = [v for v in visits if v.consented]
    steps = []
    for n, visit in enumerate(rng.sample(consented, min(LEAD_VISITS, len(consented)))):
        digits = (rng.choice((32, 33, 35, 42, 53, 55)), rng.randrange(100, 999), rng.randrange(10, 99))
        phone = f"05{digits[0]} {digits[1]} {digits[2]} {rng.randrange(10, 99)}"
        body = lead_body(visit, NAMES[n % len(NAMES)], phone, rng)
        steps.append(Step(visit.ended + timedelta(seconds=5), "lead", visit, body=body))
    bot = lead_body(visits[0], "SEO Hizmetleri", "0850 123 45 67", rng)
    bot.update(  # a form whatever the visit it rides on did (a tap visit's body has no name or phone)
        source="form",
        name="SEO Hizmetleri",
        phone="0850 123 45 67",
        website="http://seo-hizmet.example",
        fill_ms=400,
        message="Sitenizi 1. sıraya taşıyalım",
    )
    sent = waking_time(week_start(now), now - timedelta(hours=1), rng)
    steps.append(Step(sent, "lead", body=bot))
    return steps


def plan_owner(leads: list[Step], now: datetime, rng: random.Random) -> list[Step]:
    """The owner's week: calls with notes an hour or two after a form lead, a lost lead a day later,
    four sales a day or two after the call (one tap: the sale is dated when it is confirmed)."""
    forms = sorted((s for s in leads if s.visit and s.body["source"] == "form"), key=lambda s: s.at)
    steps = []
    for n, lead in enumerate(forms[:7]):
        url = f"/leads/{lead.body['lead_id']}"
        called = min(lead.at + timedelta(minutes=rng.randrange(20, 180)), now - timedelta(minutes=3))
        steps.append(Step(called, "admin", path=f"{url}/status",
                          body={"status": "CONTACTED", "note": "Arandı, fiyat verildi"}))  # fmt: skip
        later = min(called + timedelta(hours=rng.randrange(20, 50)), now - timedelta(minutes=1))
        if n == 6:
            steps.append(Step(later, "admin", path=f"{url}/status",
                              body={"status": "LOST", "note": "Başka firmadan aldı"}))  # fmt: skip
        elif n < 4:
            sale = {"revenue": ("6500.00", "3500.00", "28000.00", "450.00")[n],
                    "deal_type": "kiralama" if n == 1 else "satis"}  # fmt: skip
            steps.append(Step(later, "admin", path=f"{url}/convert", body=sale))
    if forms:
        last = forms[-1]
        noted = min(last.at + timedelta(minutes=30), now - timedelta(minutes=2))
        steps.append(Step(noted, "admin", path=f"/leads/{last.body['lead_id']}/note",
                          body={"note": "Yarın sabah tekrar ara"}))  # fmt: skip
    return steps


def plan_week(now: datetime, rng: random.Random) -> list[Step]:
    """Everything the demo will do, in the order it happens (ties keep the planned order)."""
    visits = plan_visits(now, rng)
    leads = plan_leads(visits, now, rng)
    steps = [Step(v.ended, "visit", v) for v in visits] + leads + plan_owner(leads, now, rng)
    return sorted(steps, key=lambda s: s.at)


def page_events(visit: Visit, index: int, site: str) -> list[dict[str, Any]]:
    """One page view's batch, as tracking.js queues it: the view, scroll marks, a tap."""
    path, at = visit.pages[index], visit.page_times[index]
    variant, title = PAGES[path]
    query = urlencode(visit.attribution) if index == 0 else ""
    url = f"{site}{path}" + (f"?{query}" if query else "")
    ref = REFERRERS[visit.source] if index == 0 else f"{site}{visit.pages[index - 1]}"
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


def clock_target(steps: list[Step], n: int, now: datetime) -> datetime:
    """Where to set the clock for step n. Leads and owner actions are stamped with the server's time,
    so the clock goes to their moment. Visits carry their browser time, which the server believes
    within 72 hours: the clock goes a day ahead (never past the next stamped step, or now), and
    the visits of that day need no further step."""
    step = steps[n]
    if step.kind != "visit":
        return step.at
    assert step.visit is not None
    stamped = next((s.at for s in steps[n:] if s.kind != "visit"), now)
    return min(step.visit.page_times[0] + timedelta(hours=24), stamped, now)


def perform(client: DemoClient, step: Step, seeded: Seeded) -> None:
    if step.kind == "visit":
        assert step.visit is not None
        for index in range(len(step.visit.pages)):
            batch = page_events(step.visit, index, client.site)
            reply = client.post(
                "/api/track", {"events": batch}, client.site_headers(step.visit.user_agent, step.visit)
            )
            if reply.status_code != 202:
                raise RuntimeError(f"/api/track: {reply.status_code} {reply.text[:200]}")
            seeded.events += len(batch)
        seeded.visits += 1
    elif step.kind == "lead":
        time.sleep(TYPING_S)
        body = {**step.body, "url": f"{client.site}{step.body['url']}"}
        agent = step.visit.user_agent if step.visit else UAS["desktop"][0]
        reply = client.post("/api/lead", body, client.site_headers(agent, step.visit))
        if reply.status_code not in (200, 201, 202):
            raise RuntimeError(f"/api/lead: {reply.status_code} {reply.text[:200]}")
        seeded.leads.append(body["lead_id"])
    else:
        client.admin_post(step.path, step.body)
        seeded.sales += step.path.endswith("/convert")


def seed(
    base_url: str,
    admin_secret: str,
    clock: FakeClock,
    now: datetime,
    progress: Callable[[str], None] = print,
    rng_seed: int = 13,
    site: str = "",
) -> Seeded | None:
    """The demo, once: None (and nothing sent) when the server already has leads. The server at
    `base_url` must run on `clock`, started at `week_start(now)`; the clock is set to the real time
    when the week has been played."""
    client = DemoClient(base_url, admin_secret, progress, site)
    if not client.is_empty():
        progress("demo data: the database already has leads, nothing added")
        return None
    steps = plan_week(now, random.Random(rng_seed))
    progress(f"demo data: a week of {sum(s.kind == 'visit' for s in steps)} visits through the endpoints …")
    seeded = Seeded()
    per_day: Counter[str] = Counter()
    clock_at = week_start(now)
    try:
        for n, step in enumerate(steps):
            if clock_at < step.at:
                clock_at = clock_target(steps, n, now)
                clock.set(clock_at)
                time.sleep(SETTLE_S)
            perform(client, step, seeded)
            per_day[step.kind] += 1
            day = step.at.astimezone(ISTANBUL).date()
            if n + 1 == len(steps) or steps[n + 1].at.astimezone(ISTANBUL).date() != day:
                progress(f"  {day:%d.%m} ({n + 1}/{len(steps)} steps): visits {per_day['visit']}, "
                         f"leads {per_day['lead']}, owner actions {per_day['admin']}")  # fmt: skip
                per_day.clear()
    finally:
        clock.set(datetime.now(UTC))
    progress(
        f"demo data ready: {seeded.visits} visits, {seeded.events} events, {len(seeded.leads)} leads, "
        f"{seeded.sales} sales"
    )
    return seeded
