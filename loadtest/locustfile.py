"""Realistic traffic for the pre-deploy load run (loadtest/run starts it; see its --help).

Visitors land (a pageview, with a Google click id on ~40%), scroll and click (one batch of
~5 events, sent the way tracking.js batches them), and ~2% leave a lead. The admin PWA polls
the stats. Every event and lead carries a UUID; the ids the server acknowledged are written,
one file per locust process, so the runner can reconcile them with ClickHouse.

Environment (set by loadtest/run):
    LT_ACK_DIR        where acknowledged ids go (events-<pid>.txt; leads-<pid>.txt with the time)
    LT_PACING_S       seconds between the starts of one user's visits
    LT_LEAD_SHARE     probability that a visit ends with a lead (0.02)
    LT_ADMIN_SECRET   X-Admin-Secret for the admin user
"""

from __future__ import annotations

import atexit
import os
import random
import time
import uuid
from pathlib import Path
from typing import IO

import gevent
import orjson
from locust import FastHttpUser, constant, constant_pacing, events, task

ACK_DIR = Path(os.environ.get("LT_ACK_DIR", "loadtest/results/acks"))
PACING_S = float(os.environ.get("LT_PACING_S", "4"))
LEAD_SHARE = float(os.environ.get("LT_LEAD_SHARE", "0.02"))
ADMIN_SECRET = os.environ.get("LT_ADMIN_SECRET", "")
ADMIN_INTERVAL_S = float(os.environ.get("LT_ADMIN_INTERVAL_S", "5"))
ORIGIN = "https://eslamed.example"

PAGES = (
    ("/", "Eslamed | Medikal Oksijen"),
    ("/hizmetler/oksijen-tupu", "Oksijen Tüpü Dolumu ve Satışı"),
    ("/hizmetler/oksijen-konsantratoru", "Oksijen Konsantratörü Kiralama"),
    ("/kiralama", "Kiralık Oksijen Cihazı İstanbul"),
    ("/iletisim", "İletişim"),
    ("/blog/evde-oksijen-tedavisi", "Evde Oksijen Tedavisi Rehberi"),
)
AGENTS = (
    "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 12; SM-A525F) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/119.0 Mobile Safari/537.36",
)
REFERRERS = ("https://www.google.com/", "https://www.google.com.tr/", "", "https://www.instagram.com/")
INTERACTIONS = ("scroll", "click", "scroll", "call_click", "whatsapp_click", "click", "form_start")
LEAD_SOURCES = ("form", "form", "form", "whatsapp", "call")


class AckLog:
    """Acknowledged ids of this process, appended to its own file (locust --processes forks)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._file: IO[str] | None = None
        self._pid = 0

    def write(self, ids: list[str]) -> None:
        if self._pid != os.getpid():
            ACK_DIR.mkdir(parents=True, exist_ok=True)
            self._pid = os.getpid()
            self._file = (ACK_DIR / f"{self.kind}-{self._pid}.txt").open("a", buffering=1 << 16)
        assert self._file is not None
        self._file.write("\n".join(ids) + "\n")

    def flush(self, **_: object) -> None:
        if self._file is not None and self._pid == os.getpid():
            self._file.flush()


EVENT_ACKS = AckLog("events")
LEAD_ACKS = AckLog("leads")
for _log in (EVENT_ACKS, LEAD_ACKS):
    events.test_stop.add_listener(_log.flush)
    events.quitting.add_listener(_log.flush)
    atexit.register(_log.flush)


def visitor_address() -> str:
    """Public-looking IPv4 addresses, a different one per visitor, as Cloudflare would pass them."""
    first = random.choice((31, 78, 81, 85, 88, 95, 176, 212))
    return f"{first}.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


class Visit:
    def __init__(self) -> None:
        self.page, self.title = random.choice(PAGES)
        self.visitor_id = uuid.uuid4().hex[:16]
        self.session_id = uuid.uuid4().hex[:16]
        self.gclid = f"EAIaIQobChMI{uuid.uuid4().hex}" if random.random() < 0.4 else ""
        self.ref = "https://www.google.com/" if self.gclid else random.choice(REFERRERS)
        self.variant = random.choice("ab")
        self.headers = {
            "User-Agent": random.choice(AGENTS),
            "CF-Connecting-IP": visitor_address(),
            "Origin": ORIGIN,
        }

    def event(self, kind: str, **props: str) -> dict:
        paid = bool(self.gclid)
        return {
            "event_id": str(uuid.uuid4()),
            "type": kind,
            "url": f"{ORIGIN}{self.page}{'?gclid=' + self.gclid if paid else ''}",
            "ref": self.ref,
            "title": self.title,
            "gclid": self.gclid,
            "utm_source": "google" if paid else "",
            "utm_medium": "cpc" if paid else "",
            "utm_campaign": "pmax-istanbul-oksijen" if paid else "",
            "visitor_id": self.visitor_id,
            "session_id": self.session_id,
            "ts": int(time.time() * 1000),
            "screen": "412x915",
            "lang": "tr-TR",
            "props": {"variant": self.variant, **props},
        }

    def lead(self) -> dict:
        return {
            "lead_id": str(uuid.uuid4()),
            "name": random.choice(("Ayşe Yılmaz", "Mehmet Demir", "Fatma Kaya", "Ali Çelik")),
            "phone": f"+90 5{random.randint(30, 59)} {random.randint(100, 999)} {random.randint(1000, 9999)}",
            "message": "Annem için oksijen konsantratörü kiralamak istiyorum.",
            "source": random.choice(LEAD_SOURCES),
            "url": f"{ORIGIN}{self.page}",
            "variant": self.variant,
            "gclid": self.gclid,
            "utm_source": "google" if self.gclid else "",
            "utm_medium": "cpc" if self.gclid else "",
            "utm_campaign": "pmax-istanbul-oksijen" if self.gclid else "",
            "visitor_id": self.visitor_id,
            "consent": True,
            "website": "",
            "fill_ms": random.randint(4000, 90000),
        }


class Visitor(FastHttpUser):
    weight = 100
    wait_time = constant_pacing(PACING_S)

    def _track(self, visit: Visit, body: dict, ids: list[str], content_type: str) -> None:
        headers = {**visit.headers, "Content-Type": content_type}
        with self.client.post(
            "/api/track", data=orjson.dumps(body), headers=headers, name="/api/track", catch_response=True
        ) as response:
            if response.status_code == 202:
                reply = orjson.loads(response.content)
                if reply.get("dropped"):
                    response.failure(f"{reply['dropped']} events dropped (bot filter?)")
                EVENT_ACKS.write(ids[: reply.get("accepted", 0)])
                return
            if response.status_code == 503 and response.content:
                # the ring took the first `accepted` events before it was full; they are stored
                EVENT_ACKS.write(ids[: orjson.loads(response.content).get("accepted", 0)])
            response.failure(f"{response.status_code} {(response.content or b'')[:120]!r}")

    @task
    def visit(self) -> None:
        visit = Visit()
        pageview = visit.event("pageview")
        self._track(visit, pageview, [pageview["event_id"]], "application/json")
        gevent.sleep(random.uniform(0.3, 1.5))
        batch = []
        for _ in range(random.randint(3, 7)):
            kind = random.choice(INTERACTIONS)
            props = {"depth": str(25 * random.randint(1, 4))} if kind == "scroll" else {}
            batch.append(visit.event(kind, **props))
        self._track(visit, {"events": batch}, [e["event_id"] for e in batch], "text/plain;charset=UTF-8")
        if random.random() < LEAD_SHARE:
            self._lead(visit)

    def _lead(self, visit: Visit) -> None:
        lead = visit.lead()
        headers = {**visit.headers, "Content-Type": "application/json"}
        with self.client.post(
            "/api/lead", data=orjson.dumps(lead), headers=headers, name="/api/lead", catch_response=True
        ) as response:
            if response.status_code in (200, 201, 202):
                LEAD_ACKS.write([f"{lead['lead_id']} {time.time():.3f}"])
            else:
                response.failure(f"{response.status_code} {(response.content or b'')[:120]!r}")


class Admin(FastHttpUser):
    """The owner's PWA on the dashboard: one user, polling."""

    fixed_count = 1
    wait_time = constant(ADMIN_INTERVAL_S)

    @task
    def stats(self) -> None:
        self.client.get("/api/admin/stats", headers={"X-Admin-Secret": ADMIN_SECRET}, name="/api/admin/stats")
