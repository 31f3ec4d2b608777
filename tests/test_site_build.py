"""`eslamed site build`: pages, hashed assets, sitemap, robots, JSON-LD, and the budgets."""

# Turkish UI strings use the dotless i (U+0131), which RUF001 flags as a look-alike.
from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from eslamed.site.budget import PAGE_WEIGHT_LIMIT, TRACKING_GZIP_LIMIT, measure_page
from eslamed.site.builder import BuildError, build_site, format_lira, json_ld
from tests.support.paths import REPO
from tests.support.server import run_cli
from tests.support.site import SITE_SOURCE, build_into

PAGES = ["/", "/hizmetler/oksijen-tupu", "/hizmetler/oksijen-konsantratoru", "/hizmetler/kiralama"]
PAGES += ["/acil", "/fiyat", "/iletisim", "/kvkk"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    return build_into(tmp_path_factory.mktemp("build"))


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A private copy of site/ that a test may edit."""
    copy = tmp_path / "site"
    shutil.copytree(SITE_SOURCE, copy, ignore=shutil.ignore_patterns("dist"))
    return copy


def html(built, path: str) -> str:
    name = "index.html" if path == "/" else f"{path.strip('/')}/index.html"
    return (built.out / name).read_text(encoding="utf-8")


def test_every_page_is_written_for_pretty_urls(built) -> None:
    assert built.pages == PAGES
    for path in PAGES:
        page = html(built, path)
        assert page.startswith('<!doctype html>\n<html lang="tr">')
        assert f'<link rel="canonical" href="https://www.eslamed.com.tr{path}">' in page
    assert "Sayfa bulunamadı" in (built.out / "404.html").read_text(encoding="utf-8")


def test_assets_have_content_hashed_names_and_pages_use_them(built) -> None:
    assert set(built.assets) == {"tracking.js", "site.js", "style.css", "favicon.svg"}
    for name, url in built.assets.items():
        data = (built.out / url.lstrip("/")).read_bytes()
        stem, ext = name.rsplit(".", 1)
        assert url == f"/assets/{stem}.{hashlib.sha256(data).hexdigest()[:10]}.{ext}"
    page = html(built, "/acil")
    assert f'<script src="{built.assets["tracking.js"]}" defer></script>' in page
    assert f'<link rel="stylesheet" href="{built.assets["style.css"]}">' in page
    assert "/assets/tracking.js" not in page


def test_sitemap_robots_and_local_business_json_ld(built) -> None:
    sitemap = (built.out / "sitemap.xml").read_text(encoding="utf-8")
    assert re.findall(r"<loc>([^<]+)</loc>", sitemap) == [f"https://www.eslamed.com.tr{p}" for p in PAGES]
    robots = (built.out / "robots.txt").read_text(encoding="utf-8")
    assert "Disallow: /api/\nDisallow: /admin/\n" in robots
    assert robots.endswith("Sitemap: https://www.eslamed.com.tr/sitemap.xml\n")

    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html(built, "/"), re.S)
    assert block is not None
    data = json.loads(block.group(1))
    assert (data["@type"], data["telephone"], data["address"]["addressRegion"]) == (
        "LocalBusiness",
        "+902125550123",
        "İstanbul",
    )
    assert data["openingHoursSpecification"]["opens"] == "00:00"
    assert {"name": "Oksijen tüpü dolumu (10 litre)", "price": "450"}.items() <= data["makesOffer"][0].items()


def test_json_ld_cannot_close_its_script_element() -> None:
    text = json_ld({"name": "</script><script>alert(1)</script>"})
    assert "<" not in text
    assert json.loads(text)["name"] == "</script><script>alert(1)</script>"


def test_prices_are_written_the_turkish_way() -> None:
    assert [format_lira(v) for v in (450, 6500, 28000, 1234.5, 0)] == [
        "450 TL",
        "6.500 TL",
        "28.000 TL",
        "1.234,50 TL",
        "Ücretsiz",
    ]


def test_budgets_hold_for_the_real_site(built) -> None:
    report = built.report
    tracking = (built.out / built.assets["tracking.js"].lstrip("/")).read_bytes()
    assert report.tracking_minified == len(tracking)
    assert report.tracking_gzip == len(gzip.compress(tracking, 9, mtime=0)) <= TRACKING_GZIP_LIMIT
    assert len(report.pages) == len(PAGES) + 1
    for page in report.pages:
        assert page.total <= PAGE_WEIGHT_LIMIT, page
        assert page.problems == []
        assert page.css > 0 and page.js > 0
    assert report.failures == []


def test_business_details_and_prices_come_from_the_content_file(source: Path, tmp_path: Path) -> None:
    content = source / "content.toml"
    text = content.read_text(encoding="utf-8")
    text = text.replace('phone = "+902125550123"', 'phone = "+902169998877"')
    text = text.replace('phone_display = "0212 555 01 23"', 'phone_display = "0216 999 88 77"')
    text = text.replace('whatsapp = "905325550123"', 'whatsapp = "905559998877"')
    text = text.replace("price = 6500", "price = 7250")
    content.write_text(text, encoding="utf-8")

    result = build_site(source, tmp_path / "out")
    fiyat = (result.out / "fiyat/index.html").read_text(encoding="utf-8")
    assert 'href="tel:+902169998877"' in fiyat and "0216 999 88 77" in fiyat
    assert "https://wa.me/905559998877?text=" in fiyat
    assert "7.250 TL / adet" in fiyat and "6.500 TL" not in fiyat


def test_a_too_large_tracking_js_fails_the_build_with_its_sizes(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    good = build_site(source, out)
    tracking = source / "assets" / "tracking.js"
    padding = "".join(f"\nwindow.x{i} = '{hashlib.sha256(str(i).encode()).hexdigest()}';" for i in range(40))
    tracking.write_text(tracking.read_text(encoding="utf-8") + padding, encoding="utf-8")

    with pytest.raises(BuildError) as failure:
        build_site(source, out)
    message = str(failure.value)
    sizes = re.search(r"tracking\.js is (\d+) bytes gzipped \(minified (\d+)\); the budget is 1024", message)
    assert sizes is not None, message
    assert int(sizes.group(1)) > TRACKING_GZIP_LIMIT
    assert "index.html" in message and "total" in message  # the size table comes with it
    # The last good build is still being served.
    assert (out / good.assets["tracking.js"].lstrip("/")).is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_a_too_heavy_page_fails_the_build_with_its_sizes(source: Path, tmp_path: Path) -> None:
    css = source / "assets" / "style.css"
    rules = "".join(f".pad-{i} {{ margin-left: {i}px; }}\n" for i in range(3000))
    css.write_text(css.read_text(encoding="utf-8") + rules, encoding="utf-8")

    with pytest.raises(BuildError) as failure:
        build_site(source, tmp_path / "out")
    message = str(failure.value)
    weights = re.findall(
        r"acil/index\.html weighs (\d+) bytes \(HTML (\d+) \+ CSS (\d+) \+ JS (\d+)\)", message
    )
    assert weights, message
    total, page_html, page_css, page_js = map(int, weights[0])
    assert total == page_html + page_css + page_js > PAGE_WEIGHT_LIMIT
    assert not (tmp_path / "out").exists()


def test_render_blocking_scripts_and_unsized_images_are_reported(tmp_path: Path) -> None:
    (tmp_path / "a.js").write_text("x()")
    page = tmp_path / "p.html"
    page.write_text(
        '<script src="/a.js"></script><script>inline()</script>'
        '<script type="application/ld+json">{}</script><img src="/i.png" width="10">',
        encoding="utf-8",
    )
    weight = measure_page(tmp_path, page)
    assert weight.js == 3
    assert weight.problems == [
        "render-blocking script /a.js (add defer or async)",
        "inline script (only JSON-LD may be inline)",
        "image without width/height: /i.png",
    ]


def test_content_mistakes_name_the_entry(source: Path, tmp_path: Path) -> None:
    content = source / "content.toml"
    content.write_text(content.read_text(encoding="utf-8").replace('phone = "+902125550123"', ""))
    with pytest.raises(BuildError, match=r"business\.phone is required"):
        build_site(source, tmp_path / "out")


def test_the_cli_prints_sizes_and_fails_over_budget(source: Path, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "eslamed.cli", "site", "build", "--source", str(source)]
    ok = subprocess.run([*command, "--out", str(tmp_path / "ok")], capture_output=True, text=True, cwd=REPO)
    assert ok.returncode == 0, ok.stderr
    assert re.search(r"tracking\.js\s+minified \d+ B, gzip -9 \d+ B", ok.stdout)
    assert "built 8 pages and 4 assets" in ok.stdout

    tracking = source / "assets" / "tracking.js"
    tracking.write_text(tracking.read_text() + "".join(f"\nvar v{i} = {i * 7919};" for i in range(400)))
    failed = subprocess.run(
        [*command, "--out", str(tmp_path / "bad")], capture_output=True, text=True, cwd=REPO
    )
    assert failed.returncode == 1
    assert failed.stderr.startswith("eslamed site build: budget exceeded:\n  tracking.js is ")
    assert "gzip -9" in failed.stderr


def test_the_kvkk_page_states_the_retention_the_server_keeps_to(tmp_path: Path) -> None:
    env = {"RETENTION_EVENTS_MONTHS": "13", "RETENTION_LEADS_MONTHS": "24"}
    ran = run_cli({**os.environ, **env}, "site", "build", "--out", str(tmp_path / "out"))
    assert ran.returncode == 0, ran.stderr
    page = (tmp_path / "out" / "kvkk" / "index.html").read_text()
    assert (
        "kayıtları 13 ay saklanır" in page
        and "Talepleriniz (ad, telefon, mesaj, notlar) 24 ay saklanır" in page
    )
    default = build_site(SITE_SOURCE, tmp_path / "default").out / "kvkk" / "index.html"
    assert "25 ay" in default.read_text() and "36 ay" in default.read_text()
