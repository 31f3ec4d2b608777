"""Traffic source classification, the split the owner's dashboard is built on."""

from __future__ import annotations

from eslamed.core.input_cache import cache_short_inputs
from eslamed.ingest.urls import referrer_form, split_url

SEARCH_ENGINES = ("google.", "bing.", "yandex.", "duckduckgo.", "yahoo.", "ecosia.", "baidu.", "search.")
SOCIAL = (
    "facebook.",
    "fb.",
    "instagram.",
    "t.co",
    "twitter.",
    "x.com",
    "linkedin.",
    "youtube.",
    "tiktok.",
    "pinterest.",
    "whatsapp.",
    "telegram.",
    "t.me",
    "reddit.",
)
PAID_MEDIUMS = frozenset({"cpc", "ppc", "paid", "paidsearch", "paid_search", "display", "cpm", "pmax"})
SEARCH_NAMES = frozenset({"google", "bing", "yandex", "duckduckgo", "yahoo"})
SOCIAL_NAMES = frozenset({"facebook", "instagram", "twitter", "linkedin", "youtube", "tiktok", "whatsapp"})


@cache_short_inputs(maxsize=4096, max_chars=512)
def referrer_host(ref: str) -> str:
    """Host of the referrer; a bare name such as "google" (the beacon spec allows it) is kept as is."""
    if not ref:
        return ""
    parts = split_url(referrer_form(ref))
    host = (parts.hostname if parts else "") or ""
    return host.removeprefix("www.")


@cache_short_inputs(maxsize=4096, max_chars=512)
def classify_source(
    has_click_id: bool, utm_medium: str, utm_source: str, ref_host: str, own_hosts: frozenset[str]
) -> str:
    """paid / organic / social / referral / direct; a Google click id always means paid."""
    if has_click_id or utm_medium.lower() in PAID_MEDIUMS:
        return "paid"
    name = (utm_source or ref_host).lower()
    if not name or name in own_hosts:
        return "direct"
    host = name + "." if "." not in name else name
    if name in SEARCH_NAMES or any(host.startswith(s) or f".{s}" in host for s in SEARCH_ENGINES):
        return "organic"
    if name in SOCIAL_NAMES or any(host.startswith(s) or f".{s}" in f".{host}" for s in SOCIAL):
        return "social"
    return "referral"
