"""Matching search words against Swedish text: word parts and inflections, through Snowball's
Swedish stemmer (PyPI ``snowballstemmer``) rather than suffix rules of our own. Pure; no I/O.

A query word matches a text when its stem lies inside a word of the text or inside that word's stem
("strategi" finds "Planeringsstrategin", "tillståndsprocesser" finds "tillståndsprocess"). Snowball
leaves the vowel change of plurals like "bostäder", "städer" and "länder" alone, so an inflected query
word whose stem has ä or ö also matches with a and o there ("bostäder", stem "bostäd", finds "bostad");
an uninflected one must match as typed ("får" does not find "far"). Matching runs in Python on both
databases, so SQLite and PostgreSQL answer alike.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer  # type: ignore[import-untyped]

STOP_WORDS = frozenset({"om", "i", "och", "att", "för", "med", "på", "av", "till", "det", "den", "en", "ett",
                        "hur", "vad", "som", "man"})
_WORD = re.compile(r"\w+")
_STEMMER = snowballstemmer.stemmer("swedish")


@dataclass(frozen=True)
class Term:
    """One query word as searched: its folded form and its stem; ``plain`` when typed without
    å, ä and ö, so that it may also match text with them ("borlange" finds Borlänge)."""

    word: str
    stem: str
    plain: bool

    @property
    def umlaut_free(self) -> str | None:
        """The stem with ä and ö as a and o, for an inflected word whose stem has them; else None."""
        if self.word == self.stem or not ({"ä", "ö"} & set(self.stem)):
            return None
        return self.stem.replace("ä", "a").replace("ö", "o")


@dataclass(frozen=True)
class Words:
    """A text prepared for matching: each word folded, with its stem (and both without accents)."""

    exact: tuple[tuple[str, str], ...]
    stripped: tuple[tuple[str, str], ...]


def fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def strip_accents(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))


@lru_cache(maxsize=20_000)
def stem(word: str) -> str:
    """Snowball's Swedish stem of a folded word."""
    return str(_STEMMER.stemWord(word))


def terms(query: str, limit: int = 8) -> list[Term]:
    """The words of a query (stop words left out), at most ``limit``."""
    words = [word for word in _WORD.findall(fold(query)) if word not in STOP_WORDS and not word.isdigit()]
    return [Term(word, stem(word), word.isascii()) for word in words[:limit]]


def prepare(text: str) -> Words:
    words = _WORD.findall(fold(text))
    exact = tuple((word, stem(word)) for word in words)
    stripped = tuple((strip_accents(word), strip_accents(word_stem)) for word, word_stem in exact)
    return Words(exact, stripped)


def matches(term: Term, words: Words) -> bool:
    """Whether ``term`` occurs in the prepared text (see the module docstring)."""
    wanted = strip_accents(term.stem) if term.plain else term.stem
    candidates = words.stripped if term.plain else words.exact
    if any(wanted in word or wanted in word_stem for word, word_stem in candidates):
        return True
    vowels_back = term.umlaut_free
    return vowels_back is not None and any(vowels_back in word for word, _ in words.exact)


def matches_all(query_terms: Sequence[Term], text: str) -> bool:
    """Every term occurs in ``text`` (False for no terms or an empty text)."""
    prepared = prepare(text)
    return bool(query_terms) and bool(prepared.exact) and all(matches(term, prepared) for term in query_terms)
