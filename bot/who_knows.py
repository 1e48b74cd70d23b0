"""`vem kan <ämne>` / `vem vet om <ämne>`: finding people through the case examples they shared
beyond their project and the role they registered with. Only people who agreed to be listed are
ever searched (``storage.expertise`` loads no one else).

Matching is deliberately simple and predictable: every word of the topic must occur in the
example (title, theme and text) or in the role, ignoring case and common Swedish endings, so
"tillståndsprocesser" finds "Tillståndsprocess".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.evaluation_results import swedish_sort_key
from bot.registration_rules import clean_text
from storage.expertise import ListedPerson, SharedExample

MIN_TOPIC, MAX_TOPIC = 2, 100
MAX_RESULTS = 10
STOP_WORDS = frozenset({"om", "i", "och", "att", "för", "med", "på", "av", "till", "det", "den", "en", "ett"})
ENDINGS = ("erna", "arna", "orna", "ande", "ende", "are", "er", "ar", "or", "en", "et", "na", "a", "e")
MIN_STEM = 4
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Found:
    person: ListedPerson
    examples: list[SharedExample]
    by_role: bool


def clean_topic(raw: str) -> str:
    """The topic as searched; raises ValueError when it is too short or too long."""
    topic = clean_text(raw).strip(" ?.!")
    if len(topic) < MIN_TOPIC or len(topic) > MAX_TOPIC or not topic_words(topic):
        raise ValueError(topic)
    return topic


def topic_words(topic: str) -> list[str]:
    words = [word for word in _WORD.findall(topic.casefold()) if word not in STOP_WORDS]
    return [stem(word) for word in words]


def stem(word: str) -> str:
    for ending in ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM:
            return word[: -len(ending)]
    return word


def who_knows(topic: str, people: Sequence[ListedPerson]) -> list[Found]:
    """People matching every word of ``topic``: those with matching examples first, then by name."""
    words = topic_words(topic)
    found = []
    for person in people:
        examples = [e for e in person.examples if _matches(words, f"{e.title}\n{e.theme}\n{e.text}")]
        by_role = _matches(words, person.role_title)
        if examples or by_role:
            found.append(Found(person, examples, by_role))
    found.sort(key=lambda f: (-len(f.examples), swedish_sort_key(f.person.name)))
    return found[:MAX_RESULTS]


def _matches(words: Sequence[str], text: str) -> bool:
    haystack = text.casefold()
    return bool(words) and bool(haystack.strip()) and all(word in haystack for word in words)
