"""Performance budgets for the built site, measured on the files that will be served.

- tracking.js: at most 1,024 bytes after minification and gzip -9 (stretch: 1,024 minified).
- every page: HTML + its CSS + its JS at most 50 KB uncompressed (50 * 1024 bytes).
- no render-blocking script (external scripts need defer/async; inline only JSON-LD),
  and every <img> has width and height so nothing shifts while it loads.
The report always carries the sizes, so a failing build says by how much.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

TRACKING_GZIP_LIMIT = 1024
TRACKING_MINIFIED_STRETCH = 1024
PAGE_WEIGHT_LIMIT = 50 * 1024
DATA_SCRIPT_TYPES = frozenset({"application/ld+json", "application/json"})


def gzip_size(data: bytes) -> int:
    """Size as `gzip -9 -n` writes it (no name, zero mtime)."""
    return len(gzip.compress(data, compresslevel=9, mtime=0))


class _PageScan(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stylesheets: list[str] = []
        self.scripts: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "link" and (attr.get("rel") or "").lower() == "stylesheet" and attr.get("href"):
            self.stylesheets.append(attr["href"] or "")
        elif tag == "script":
            src = attr.get("src")
            if src:
                self.scripts.append(src)
                if "defer" not in attr and "async" not in attr and attr.get("type") != "module":
                    self.problems.append(f"render-blocking script {src} (add defer or async)")
            elif (attr.get("type") or "").lower() not in DATA_SCRIPT_TYPES:
                self.problems.append("inline script (only JSON-LD may be inline)")
        elif tag == "img" and not (attr.get("width") and attr.get("height")):
            self.problems.append(f"image without width/height: {attr.get('src', '?')}")


@dataclass
class PageWeight:
    page: str
    html: int
    css: int
    js: int
    problems: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.html + self.css + self.js


@dataclass
class BudgetReport:
    tracking_minified: int
    tracking_gzip: int
    pages: list[PageWeight]

    @property
    def failures(self) -> list[str]:
        out = []
        if self.tracking_gzip > TRACKING_GZIP_LIMIT:
            out.append(
                f"tracking.js is {self.tracking_gzip} bytes gzipped "
                f"(minified {self.tracking_minified}); the budget is {TRACKING_GZIP_LIMIT}"
            )
        for page in self.pages:
            if page.total > PAGE_WEIGHT_LIMIT:
                out.append(
                    f"{page.page} weighs {page.total} bytes (HTML {page.html} + CSS {page.css} + "
                    f"JS {page.js}); the budget is {PAGE_WEIGHT_LIMIT}"
                )
            out.extend(f"{page.page}: {problem}" for problem in page.problems)
        return out

    def table(self) -> str:
        stretch = "met" if self.tracking_minified <= TRACKING_MINIFIED_STRETCH else "not met"
        lines = [
            f"tracking.js  minified {self.tracking_minified} B, gzip -9 {self.tracking_gzip} B "
            f"(budget {TRACKING_GZIP_LIMIT} B gzipped; "
            f"stretch {TRACKING_MINIFIED_STRETCH} B minified: {stretch})",
            f"{'page':<44} {'HTML':>7} {'CSS':>7} {'JS':>7} {'total':>7}  (budget {PAGE_WEIGHT_LIMIT} B)",
        ]
        lines += [f"{p.page:<44} {p.html:>7} {p.css:>7} {p.js:>7} {p.total:>7}" for p in self.pages]
        return "\n".join(lines)


def _local_file(dist: Path, url: str) -> Path | None:
    """The file under dist that a root-relative URL names; None for other origins."""
    if not url.startswith("/") or url.startswith("//"):
        return None
    return dist / url.split("?", 1)[0].lstrip("/")


def measure_page(dist: Path, html_file: Path) -> PageWeight:
    html = html_file.read_bytes()
    scan = _PageScan()
    scan.feed(html.decode("utf-8"))
    sizes = {"css": 0, "js": 0}
    for kind, urls in (("css", scan.stylesheets), ("js", scan.scripts)):
        for url in dict.fromkeys(urls):
            path = _local_file(dist, url)
            if path is None:
                scan.problems.append(f"{kind} from another origin is not measured: {url}")
            elif not path.is_file():
                scan.problems.append(f"missing {kind} file {url}")
            else:
                sizes[kind] += path.stat().st_size
    return PageWeight(page=str(html_file.relative_to(dist)), html=len(html), problems=scan.problems, **sizes)


def check_budgets(dist: Path, tracking_file: Path, html_files: list[Path]) -> BudgetReport:
    minified = tracking_file.read_bytes()
    return BudgetReport(
        tracking_minified=len(minified),
        tracking_gzip=gzip_size(minified),
        pages=[measure_page(dist, f) for f in html_files],
    )
