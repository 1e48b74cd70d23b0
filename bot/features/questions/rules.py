"""Free text that is not a command: small talk ("hej", "tack") and questions to the coordinators.
Pure rules; the Teams edge is ``bot.features.questions.actions``.

A question is never stored: the offer card carries the text, the coordinators' card carries the
asker's person id and the text, and the answer goes straight to the asker's 1:1 chat. So nothing new
needs exporting or erasing (``mina uppgifter``), and nothing outlives the chats themselves.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from bot.core.input_rules import clean_text

MIN_QUESTION, MAX_QUESTION = 2, 2000
MAX_ANSWER = 2000
QUOTED_EXCERPT = 300
"""How much of the question the answer repeats for context."""


class SmallTalk(StrEnum):
    GREETING = "greeting"
    THANKS = "thanks"
    OK = "ok"
    """A plain acknowledgement ("ok", "okej", "bra"): nothing to ask the coordinators."""


_GREETING_WORDS = frozenset({"hej", "hejsan", "hallå", "halla", "tjena", "tja", "tjenare", "hejhej", "god",
                             "morgon", "dag", "goddag", "kväll", "eftermiddag", "hello", "hi", "hey"})
_THANKS_WORDS = frozenset({"tack", "tackar", "tusen", "stort", "så", "mycket", "snälla", "thanks", "thank",
                           "you", "för", "hjälpen", "det"})
_FILLER = frozenset({"dalalab", "bot", "boten", "igen", "du", "ni", "allihop", "alla", "och", "o"})
_OK_WORDS = frozenset({"ok", "okej", "okey", "okay", "bra", "fint", "toppen", "japp", "jaha", "perfekt", "kanon"})
_MAX_SMALL_TALK_WORDS = 6
_WORD = re.compile(r"[^\W\d_]+")
# Teams puts the message a reply refers to in front of the reply's text as a quote.
_TEAMS_REPLY_QUOTE = re.compile(r"<blockquote\b[^>]*>.*?</blockquote>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]{1,200}>")


def small_talk(text: str) -> SmallTalk | None:
    """A greeting or thanks with nothing else in it ("Hej!", "tack så mycket", "hej DalaLab");
    None for anything carrying more ("Tack, jag kommer! Blir det vegetarisk lunch?")."""
    words = _WORD.findall(unicodedata.normalize("NFC", text).casefold())
    if not words or len(words) > _MAX_SMALL_TALK_WORDS or "?" in text:
        return None
    meaningful = [word for word in words if word not in _FILLER]
    if not meaningful:
        return None
    if any(word in {"tack", "tackar", "thanks", "thank"} for word in meaningful) and all(
            word in _THANKS_WORDS | _GREETING_WORDS for word in meaningful):
        return SmallTalk.THANKS
    if all(word in _GREETING_WORDS for word in meaningful):
        return SmallTalk.GREETING
    if all(word in _OK_WORDS for word in meaningful):
        return SmallTalk.OK
    return None


def question_text(raw: object) -> str:
    """The question as sent on: a Teams reply's quote of the bot's message removed, tags dropped,
    control characters and runs of spaces folded, at most MAX_QUESTION characters. Raises
    ValueError when nothing usable is left."""
    text = _TAGS.sub(" ", _TEAMS_REPLY_QUOTE.sub(" ", str(raw or "")))
    cleaned = clean_text(text)
    if len(cleaned) < MIN_QUESTION:
        raise ValueError("empty question")
    return cleaned[:MAX_QUESTION]


def answer_text(raw: object) -> str:
    """A coordinator's answer; raises ValueError when it is empty or too long (the card says so)."""
    cleaned = clean_text(raw)
    if not cleaned or len(cleaned) > MAX_ANSWER:
        raise ValueError("answer")
    return cleaned


def excerpt(text: str, limit: int = QUOTED_EXCERPT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
