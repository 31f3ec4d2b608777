"""Device, browser and OS from the User-Agent, plus the bot verdict.

Bots are told by the maintained crawler-user-agents patterns (monthly releases on PyPI) and by
ua-parser's Spider family, never by a hand-written list; tests/data/user_agents.py keeps real crawlers'
and real phones' strings so that a pattern update can never drop a real visitor.

ua-parser's regexes cost far more than the rest of the pipeline, and a site's visitors
share a few hundred distinct UA strings, so results are cached per string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import ua_parser
from crawleruseragents import is_crawler

from eslamed.core.input_cache import cache_short_inputs

TABLET_PATTERN = re.compile(r"ipad|tablet|kindle|silk|(android(?!.*mobile))", re.IGNORECASE)
MOBILE_PATTERN = re.compile(r"mobi|iphone|ipod|android.*mobile|windows phone", re.IGNORECASE)


def _uncached_parser() -> ua_parser.Parser:
    """ua-parser's default parser keeps the last 2,000 raw User-Agent strings, whatever their
    length (up to 8 KB each); `classify` caches already, short strings only, so parse without it."""
    resolver = ua_parser.parser.resolver
    if isinstance(resolver, ua_parser.CachingResolver):
        resolver = resolver.parser
    return ua_parser.Parser(resolver)


parse = _uncached_parser().parse

WARM_UP_AGENT = (
    "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36"
)


@dataclass(frozen=True)
class Agent:
    device: str
    browser: str
    os: str
    is_bot: bool


# A User-Agent is read only this far (issue 27 A). Real browsers' strings are 100-300 characters; ua-parser's
# regexes cost up to 160 ms of CPU on an 8 KB string, so a longer one made every request as dear as the
# client liked, and it bypassed the cache. Cut before any parsing or bot matching, so a UA costs the same at
# any length and every one is cacheable.
MAX_UA_CHARS = 512


def classify(user_agent: str) -> Agent:
    """The device, browser, OS and bot verdict of a User-Agent header (its first MAX_UA_CHARS characters)."""
    return _classify(user_agent[:MAX_UA_CHARS])


@cache_short_inputs(maxsize=8192, max_chars=MAX_UA_CHARS)
def _classify(user_agent: str) -> Agent:
    if not user_agent or is_crawler(user_agent):
        return Agent("bot", "", "", True)
    result = parse(user_agent)
    browser = result.user_agent.family if result.user_agent else "Other"
    os_name = result.os.family if result.os else "Other"
    if result.device and result.device.family == "Spider":
        return Agent("bot", browser, os_name, True)
    if TABLET_PATTERN.search(user_agent):
        device = "tablet"
    elif MOBILE_PATTERN.search(user_agent):
        device = "mobile"
    else:
        device = "desktop"
    return Agent(device, browser, os_name, False)


def warm_up() -> None:
    """ua-parser builds its matchers on first use (about 1.5 s of CPU), which would stall every
    request on a fresh worker; gunicorn's master calls this once so each forked worker starts warm."""
    classify(WARM_UP_AGENT)
