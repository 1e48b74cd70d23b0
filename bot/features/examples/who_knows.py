"""`vem kan <ämne>` / `vem vet om <ämne>`: finding people through the case examples they shared
beyond their project and the role they registered with. Only people who agreed to be listed are
ever searched (``storage.expertise`` loads no one else).

Every word of the topic must occur in the example (title, theme and text) or in the role, as a word
part or an inflection (``bot.core.text_search``, Snowball's Swedish stemmer): "planeringsstrategi" finds
"Planeringsstrategi på tolv månader" and "bostäder" finds "bostad".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.input_rules import clean_text
from bot.core.text_search import Term, matches_all, terms
from bot.features.results.rules import swedish_sort_key
from storage.expertise import ListedPerson, SharedExample

MIN_TOPIC, MAX_TOPIC = 2, 100
MAX_RESULTS = 10


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


def topic_words(topic: str) -> list[Term]:
    return terms(topic)


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


def _matches(words: Sequence[Term], text: str) -> bool:
    return matches_all(words, text)
