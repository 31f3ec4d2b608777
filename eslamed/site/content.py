"""The site's one content file (site/content.toml): business details, prices and pages.

Read and checked before anything is rendered, so a typo in a phone number key or a
duplicate page path stops the build with a message naming the entry.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BUSINESS_KEYS = (
    "name",
    "legal_name",
    "base_url",
    "phone",
    "phone_display",
    "whatsapp",
    "whatsapp_display",
    "email",
    "street",
    "district",
    "city",
    "postal_code",
    "country",
    "hours",
    "area_served",
)
PAGE_KEYS = ("path", "template", "variant", "title", "description", "headline")
MESSAGE_KEYS = ("whatsapp_default", "whatsapp_price", "whatsapp_emergency")


class ContentError(ValueError):
    """The content file is missing something or has a bad value; the message names it."""


@dataclass(frozen=True)
class Page:
    path: str
    template: str
    variant: str
    title: str
    description: str
    headline: str
    kw_headline: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        """Jinja falls back to item access, so templates read page-specific keys as `page.points`."""
        return self.extra[name]

    @property
    def output_file(self) -> str:
        """`/` -> index.html, `/acil` -> acil/index.html: pretty URLs on any static host."""
        return "index.html" if self.path == "/" else f"{self.path.strip('/')}/index.html"


@dataclass(frozen=True)
class SiteContent:
    business: dict[str, Any]
    messages: dict[str, str]
    prices: list[dict[str, Any]]
    pages: list[Page]
    not_found: Page


def _require(table: dict[str, Any], keys: tuple[str, ...], where: str) -> None:
    for key in keys:
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ContentError(f"{where}.{key} is required and must be a non-empty string")


def _page(raw: dict[str, Any], index: int) -> Page:
    where = f"pages[{index}]"
    _require(raw, PAGE_KEYS, where)
    path = raw["path"]
    if not path.startswith("/") or (path != "/" and path.endswith("/")) or "//" in path or ".." in path:
        raise ContentError(f"{where}.path {path!r} must look like /name or /folder/name")
    known = {*PAGE_KEYS, "kw_headline"}
    kw_headline = raw.get("kw_headline", "")
    if kw_headline and "{kw}" not in kw_headline:
        raise ContentError(f"{where}.kw_headline must contain {{kw}}")
    return Page(
        **{key: raw[key] for key in PAGE_KEYS},
        kw_headline=kw_headline,
        extra={k: v for k, v in raw.items() if k not in known},
    )


def _prices(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        raise ContentError("prices: at least one [[prices]] entry is required")
    for index, row in enumerate(raw):
        _require(row, ("item", "unit"), f"prices[{index}]")
        price = row.get("price")
        if isinstance(price, bool) or not isinstance(price, int | float) or price < 0:
            raise ContentError(f"prices[{index}].price must be a number of lira, 0 or more")
    return raw


def load_content(path: Path) -> SiteContent:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ContentError(f"content file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(f"{path}: {exc}") from exc

    business = data.get("business", {})
    _require(business, BUSINESS_KEYS, "business")
    if not business["phone"].startswith("+") or not business["phone"][1:].isdigit():
        raise ContentError("business.phone must be E.164, like +902125550123")
    if not business["whatsapp"].isdigit():
        raise ContentError("business.whatsapp must be digits with the country code, like 905325550123")
    messages = data.get("messages", {})
    _require(messages, MESSAGE_KEYS, "messages")

    pages = [_page(raw, i) for i, raw in enumerate(data.get("pages", []))]
    if not pages:
        raise ContentError("pages: at least one [[pages]] entry is required")
    seen: set[str] = set()
    for page in pages:
        if page.path in seen:
            raise ContentError(f"pages: path {page.path!r} appears twice")
        seen.add(page.path)
    not_found = data.get("not_found", {})
    _require(not_found, ("title", "description", "headline"), "not_found")
    return SiteContent(
        business=business,
        messages=messages,
        prices=_prices(data.get("prices")),
        pages=pages,
        not_found=Page(
            path="/404",
            template="404.html",
            variant="404",
            **{key: not_found[key] for key in ("title", "description", "headline")},
        ),
    )
