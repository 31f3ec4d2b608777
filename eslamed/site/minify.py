"""Small, conservative minifiers for our own JS and CSS (no npm toolchain at build time).

The JS minifier tokenises (strings, regex literals, comments), drops comments and
whitespace, and keeps a newline wherever automatic semicolon insertion could depend on it.
It renames nothing, so the sources are written with short names; template literals are
refused rather than half-understood.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

IDENT_CHAR = re.compile(r"[A-Za-z0-9_$\u0080-\uffff]")
# A `/` after one of these keywords starts a regex literal, not a division.
REGEX_AFTER_WORDS = frozenset(
    {"return", "typeof", "case", "in", "of", "new", "delete", "void", "throw", "instanceof", "else", "do"}
)
# Tokens after which a line break can never end a statement, and before which it can never start one.
CANNOT_END = frozenset("{([;,=:?&|+-*/%<>!~^")
CANNOT_START = frozenset(")]};,.?:=&|*%<>^")
HEADER_WORDS = frozenset({"if", "for", "while", "with"})
RESTRICTED = frozenset({"return", "throw", "break", "continue", "yield", "async"})
PUNCT = re.compile(
    r">>>=|\.\.\.|===|!==|>>>|\*\*=|<<=|>>=|=>|==|!=|<=|>=|&&|\|\||\?\?|\?\.|\+\+|--|[-+*/%&|^]=|."
)


class MinifyError(ValueError):
    """The source uses something this minifier refuses to guess about."""


@dataclass(frozen=True)
class Token:
    text: str
    kind: str  # word, num, str, regex, punct
    newline_before: bool


def _string_end(src: str, i: int) -> int:
    quote = src[i]
    j = i + 1
    while j < len(src):
        if src[j] == "\\":
            j += 2
            continue
        if src[j] == quote:
            return j + 1
        if src[j] == "\n":
            break
        j += 1
    raise MinifyError(f"unterminated string at offset {i}")


def _regex_end(src: str, i: int) -> int:
    j, in_class = i + 1, False
    while j < len(src):
        ch = src[j]
        if ch == "\\":
            j += 2
            continue
        if ch == "\n":
            break
        if ch == "[":
            in_class = True
        elif ch == "]":
            in_class = False
        elif ch == "/" and not in_class:
            j += 1
            while j < len(src) and IDENT_CHAR.match(src[j]):
                j += 1
            return j
        j += 1
    raise MinifyError(f"unterminated regex literal at offset {i}")


def _regex_allowed(prev: Token | None) -> bool:
    if prev is None or prev.kind == "punct":
        return prev is None or prev.text not in (")", "]", "}")
    return prev.kind == "word" and prev.text in REGEX_AFTER_WORDS


def _tokens(src: str) -> list[Token]:
    """Tokens with comments and whitespace removed; each knows whether a line break preceded it."""
    out: list[Token] = []
    i, newline = 0, False
    while i < len(src):
        ch = src[i]
        if ch in " \t\r\n\f\v\ufeff":
            newline |= ch == "\n"
            i += 1
            continue
        if src.startswith("//", i):
            end = src.find("\n", i)
            i = len(src) if end < 0 else end
            continue
        if src.startswith("/*", i):
            end = src.find("*/", i + 2)
            if end < 0:
                raise MinifyError(f"unterminated comment at offset {i}")
            newline |= "\n" in src[i:end]
            i = end + 2
            continue
        if ch == "`":
            raise MinifyError(f"template literal at offset {i}: not supported, use quotes")
        if ch in "'\"":
            end, kind = _string_end(src, i), "str"
        elif ch == "/" and _regex_allowed(out[-1] if out else None):
            end, kind = _regex_end(src, i), "regex"
        elif IDENT_CHAR.match(ch):
            end, kind = i + 1, "num" if ch.isdigit() else "word"
            while end < len(src) and (IDENT_CHAR.match(src[end]) or (src[end] == "." and kind == "num")):
                end += 1
        else:
            match = PUNCT.match(src, i)
            assert match is not None
            end, kind = match.end(), "punct"
        out.append(Token(src[i:end], kind, newline))
        i, newline = end, False
    return out


def _header_closes(tokens: list[Token]) -> set[int]:
    """Indexes of the `)` that end an if/for/while/with header: a statement body always follows."""
    closes: set[int] = set()
    stack: list[bool] = []
    for i, token in enumerate(tokens):
        if token.text == "(":
            stack.append(i > 0 and tokens[i - 1].text in HEADER_WORDS)
        elif token.text == ")" and stack and stack.pop():
            closes.add(i)
    return closes


def _needs_newline(prev: Token, token: Token, prev_is_header: bool) -> bool:
    """Keep a line break wherever automatic semicolon insertion might have used it."""
    if prev.text in RESTRICTED or prev.text in ("++", "--") or token.text in ("++", "--"):
        return True
    prev_open = prev_is_header or (prev.kind == "punct" and prev.text[-1] in CANNOT_END)
    next_closed = token.kind == "punct" and token.text[0] in CANNOT_START
    return not (prev_open or next_closed)


def _needs_space(prev: Token, token: Token) -> bool:
    if IDENT_CHAR.match(prev.text[-1]) and IDENT_CHAR.match(token.text[0]):
        return True
    if prev.kind == "punct" and prev.text[-1] in "+-" and token.text[0] == prev.text[-1]:
        return True
    return prev.kind == "num" and token.text[0] == "."


def _redundant_semicolon(tokens: list[Token], i: int, headers: set[int]) -> bool:
    """`;` right before `}` ends a statement that the brace ends anyway, unless it is an empty body."""
    if tokens[i].text != ";" or i + 1 >= len(tokens) or tokens[i + 1].text != "}" or i == 0:
        return False
    return i - 1 not in headers and tokens[i - 1].text not in ("else", "do")


def minify_js(src: str) -> str:
    tokens = _tokens(src)
    headers = _header_closes(tokens)
    parts: list[str] = []
    prev: Token | None = None
    prev_index = -1
    for i, token in enumerate(tokens):
        if _redundant_semicolon(tokens, i, headers):
            continue
        if prev is not None:
            if token.newline_before and _needs_newline(prev, token, prev_index in headers):
                parts.append("\n")
            elif _needs_space(prev, token):
                parts.append(" ")
        parts.append(token.text)
        prev, prev_index = token, i
    return "".join(parts) + "\n"


CSS_TOKENS = re.compile(r"""("(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')|(/\*.*?\*/)|(\s+)|([^"'/\s]+|/)""", re.S)
# Whitespace is never needed after these, nor before the first five; before `:` it is (`a :hover`).
CSS_TIGHT_BEFORE = frozenset("{};,>")
CSS_TIGHT_AFTER = frozenset("{};,>:")


def minify_css(src: str) -> str:
    """Drop comments, collapse whitespace, and remove it where CSS ignores it (never inside strings)."""
    out: list[str] = []
    pending_space = False
    for match in CSS_TOKENS.finditer(src):
        string, comment, space, other = match.groups()
        if comment:
            continue
        if space:
            pending_space = bool(out)
            continue
        text = string or other
        if pending_space and out[-1][-1] not in CSS_TIGHT_AFTER and text[0] not in CSS_TIGHT_BEFORE:
            out.append(" ")
        pending_space = False
        if text.startswith("}") and out and out[-1].endswith(";"):
            out[-1] = out[-1][:-1]
        out.append(text if string else text.replace(";}", "}"))
    return "".join(out).strip() + "\n"
