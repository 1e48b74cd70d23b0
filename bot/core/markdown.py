"""People's text in Teams messages and Adaptive Card TextBlocks, which render a Markdown subset (links,
emphasis, lists, headings): ``literal`` escapes it so Teams shows it as typed. Only the bot puts
links, emphasis or lists in what it sends."""

from __future__ import annotations

import re
from functools import lru_cache

_INLINE = re.compile(r"([\\`*_\[\]<>~|])")
"""Emphasis, code, links and images, HTML-like tags, strikethrough, tables."""
_SCHEME = re.compile(r"(\w):(?=//)")
_DOMAIN_DOT = re.compile(r"(?<=\w)\.(?=\w)")
"""Bare addresses that renderers turn into links: "https://…", "evil.example", "a@b.se"."""
_LINE_START = re.compile(r"^(\s*)([#>+\-=]|\d+(?=[.)]))", re.MULTILINE)
"""Headings, quotes, bullet and numbered lists, setext underlines at the start of a line."""


@lru_cache(maxsize=4096)
def literal(text: str) -> str:
    """``text`` escaped so a Markdown renderer shows it exactly as typed (backslash escapes, which
    CommonMark and Teams honour for ASCII punctuation). Remembered: cards escape the same project names,
    meeting titles and places turn after turn, four regular expressions each."""
    escaped = _INLINE.sub(r"\\\1", text)
    escaped = _SCHEME.sub(r"\1\\:", escaped).replace("://", ":\\/\\/")
    escaped = _DOMAIN_DOT.sub(r"\\.", escaped)
    return _LINE_START.sub(_escape_line_start, escaped)


def _escape_line_start(match: re.Match[str]) -> str:
    indent, marker = match.group(1), match.group(2)
    if marker[0].isdigit():
        # "1." or "1)" starts a numbered list: escape the punctuation after the number.
        return f"{indent}{marker}\\"
    return f"{indent}\\{marker}"


def link_to(url: str) -> str:
    """A link the bot makes to an address someone gave (already checked to be http or https): the
    visible text is the address itself, escaped; brackets and spaces in the target are encoded."""
    target = url.replace(" ", "%20").replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")
    return f"[{literal(url)}]({target})"
