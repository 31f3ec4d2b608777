"""Reference codes in WhatsApp texts: the link between a tap on the site and the message that follows.

A code is made in the page (site.js) for one page view and lives only in that page and in the
prefilled WhatsApp text, so nothing is stored on the device before consent. Its alphabet leaves
out 0/O and 1/I, which a person reading or retyping it would confuse.
"""

from __future__ import annotations

import re

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
LENGTH = 5
_CODE = re.compile(f"^[{ALPHABET}]{{{LENGTH}}}$")
# "(ref K7Q2M)" as site.js writes it; a visitor may drop the brackets or change the case.
_IN_TEXT = re.compile(rf"\bref\W{{0,3}}([{ALPHABET}{ALPHABET.lower()}]{{{LENGTH}}})\b", re.IGNORECASE)


def is_ref(value: str) -> bool:
    return bool(_CODE.match(value))


def find_ref(text: str) -> str:
    """The reference code a message carries, upper-cased, or "" when it has none."""
    match = _IN_TEXT.search(text or "")
    code = match.group(1).upper() if match else ""
    return code if is_ref(code) else ""
