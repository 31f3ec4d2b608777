"""Renders site/ (templates + content.toml + assets) into a static folder any host can serve.

Assets are minified and get content-hashed names, so they can be cached forever; pages are
written as folder/index.html for pretty URLs. The output is built in a temporary folder
next to the target and only replaces it when every budget holds, so a failed build never
leaves a half-written or over-budget site behind.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError
from markupsafe import Markup

from eslamed.core.config import Retention
from eslamed.site.budget import BudgetReport, check_budgets
from eslamed.site.content import ContentError, SiteContent, load_content
from eslamed.site.minify import MinifyError, minify_css, minify_js

ASSETS_URL = "/assets/"
# The values tracking.js keeps per visit; the lead form carries them as hidden fields.
ATTRIBUTION_FIELDS = (
    "gclid",
    "gbraid",
    "wbraid",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "visitor_id",
)
MINIFIERS = {".js": minify_js, ".css": minify_css}
# The sticky bar's WhatsApp message follows the page's intent; other pages use whatsapp_default.
STICKY_WHATSAPP = {"fiyat": "whatsapp_price", "acil": "whatsapp_emergency"}
WEEK = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class BuildError(Exception):
    """The site could not be built or breaks a budget; the message says what and by how much."""


@dataclass(frozen=True)
class BuildResult:
    out: Path
    pages: list[str]
    assets: dict[str, str]
    report: BudgetReport


def hashed_name(name: str, data: bytes) -> str:
    stem, dot, ext = name.rpartition(".")
    digest = hashlib.sha256(data).hexdigest()[:10]
    return f"{stem}.{digest}.{ext}" if dot else f"{name}.{digest}"


def write_assets(source: Path, out: Path) -> dict[str, str]:
    """Minify and copy every file in source/assets; returns name -> served URL."""
    urls: dict[str, str] = {}
    (out / "assets").mkdir(parents=True)
    for path in sorted(source.iterdir()):
        if not path.is_file():
            continue
        minify = MINIFIERS.get(path.suffix)
        try:
            data = minify(path.read_text(encoding="utf-8")).encode() if minify else path.read_bytes()
        except MinifyError as exc:
            raise BuildError(f"{path}: {exc}") from exc
        name = hashed_name(path.name, data)
        (out / "assets" / name).write_bytes(data)
        urls[path.name] = ASSETS_URL + name
    return urls


def format_lira(amount: float) -> str:
    """6500 -> "6.500 TL" (Turkish thousands separator); 0 -> "Ücretsiz"."""
    if not amount:
        return "Ücretsiz"
    whole = f"{amount:,.0f}" if float(amount).is_integer() else f"{amount:,.2f}"
    return whole.replace(",", "X").replace(".", ",").replace("X", ".") + " TL"


def local_business(content: SiteContent) -> dict[str, Any]:
    b = content.business
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "LocalBusiness",
        "@id": f"{b['base_url']}/#business",
        "name": b["name"],
        "legalName": b["legal_name"],
        "url": f"{b['base_url']}/",
        "telephone": b["phone"],
        "email": b["email"],
        "address": {
            "@type": "PostalAddress",
            "streetAddress": b["street"],
            "addressLocality": b["district"],
            "addressRegion": b["city"],
            "postalCode": b["postal_code"],
            "addressCountry": b["country"],
        },
        "areaServed": {"@type": "City", "name": b["city"]},
        "openingHoursSpecification": {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": list(WEEK),
            "opens": "00:00",
            "closes": "23:59",
        },
        "makesOffer": [
            {"@type": "Offer", "name": row["item"], "price": str(row["price"]), "priceCurrency": "TRY"}
            for row in content.prices
        ],
    }
    if "latitude" in b and "longitude" in b:
        data["geo"] = {"@type": "GeoCoordinates", "latitude": b["latitude"], "longitude": b["longitude"]}
    if b.get("price_range"):
        data["priceRange"] = b["price_range"]
    return data


def json_ld(data: dict[str, Any]) -> str:
    """JSON for a <script> block: `<` is escaped so content can never close the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    return Markup(text)  # noqa: S704 - no "<" is left, so it cannot form markup


def sitemap(content: SiteContent) -> str:
    base = content.business["base_url"].rstrip("/")
    urls = "".join(f"<url><loc>{escape(base + page.path)}</loc></url>" for page in content.pages)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>\n'
    )


def robots(content: SiteContent) -> str:
    base = content.business["base_url"].rstrip("/")
    return f"User-agent: *\nAllow: /\nDisallow: /api/\nDisallow: /admin/\n\nSitemap: {base}/sitemap.xml\n"


def _environment(
    templates: Path, content: SiteContent, assets: dict[str, str], retention: Retention
) -> Environment:
    env = Environment(
        loader=FileSystemLoader(templates),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def asset(name: str) -> str:
        if name not in assets:
            raise BuildError(f"template asks for asset {name!r}, which is not in site/assets")
        return assets[name]

    def wa_url(text: str) -> str:
        return f"https://wa.me/{content.business['whatsapp']}?text={quote(text)}"

    env.filters["tl"] = format_lira
    env.globals.update(
        asset=asset,
        wa_url=wa_url,
        business=content.business,
        messages=content.messages,
        prices=content.prices,
        attribution_fields=ATTRIBUTION_FIELDS,
        jsonld=json_ld(local_business(content)),
        retention=retention,
    )
    return env


def _render_pages(env: Environment, content: SiteContent, out: Path) -> list[Path]:
    base = content.business["base_url"].rstrip("/")
    written = []
    for page, target in [(p, out / p.output_file) for p in content.pages] + [
        (content.not_found, out / "404.html")
    ]:
        wa_text = content.messages[STICKY_WHATSAPP.get(page.variant, "whatsapp_default")]
        try:
            html = env.get_template(page.template).render(
                page=page, canonical=base + page.path, wa_text=wa_text
            )
        except TemplateError as exc:
            raise BuildError(f"template {page.template} for {page.path}: {exc}") from exc
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
        written.append(target)
    return written


def _replace(staging: Path, out: Path) -> None:
    old = out.with_name(out.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    staging.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def build_site(source: Path, out: Path, retention: Retention | None = None) -> BuildResult:
    """`retention`: the periods the KVKK page states, the same ones the server keeps to."""
    try:
        content = load_content(source / "content.toml")
    except ContentError as exc:
        raise BuildError(str(exc)) from exc
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        assets = write_assets(source / "assets", staging)
        if "tracking.js" not in assets:
            raise BuildError(f"{source / 'assets' / 'tracking.js'} is missing")
        env = _environment(source / "templates", content, assets, retention or Retention())
        html_files = _render_pages(env, content, staging)
        (staging / "sitemap.xml").write_text(sitemap(content), encoding="utf-8")
        (staging / "robots.txt").write_text(robots(content), encoding="utf-8")
        tracking = staging / assets["tracking.js"].removeprefix("/")
        report = check_budgets(staging, tracking, html_files)
        if report.failures:
            raise BuildError(
                "budget exceeded:\n  " + "\n  ".join(report.failures) + "\n\nsizes:\n" + report.table()
            )
        staging.chmod(0o755)
        _replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return BuildResult(
        out=out,
        pages=[page.path for page in content.pages],
        assets=assets,
        report=report,
    )
