"""Search words against Swedish text: Snowball stems, word parts, umlaut plurals, accents."""

from __future__ import annotations

import pytest

from bot.core.text_search import matches_all, stem, terms


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("planeringsstrategi", "Planeringsstrategi på tolv månader"),
        ("planeringsstrategier", "Planeringsstrategi på tolv månader"),
        ("strategi", "Planeringsstrategin antogs i maj"),  # a word part
        ("bostäder", "Ny bostad nära stationen"),  # Snowball: bostäd / bost
        ("bostad", "Fler bostäder"),
        ("städer", "En stad i Dalarna"),
        ("kommunerna", "Kommunen"),
        ("borlange", "Borlänge kommun"),  # typed without å, ä, ö
        ("ÖVERSIKTSPLANERINGEN", "översiktsplanering"),
    ],
)
def test_matches(query: str, text: str) -> None:
    assert matches_all(terms(query), text)


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("får", "far och son"),  # typed with å: no accent folding
        ("kommunerna", "komma igång"),
        ("bostäder i Falun", "Ny bostad i Mora"),  # every word must match
        ("planering", ""),
        ("i och om", "i och om"),  # only stop words: nothing to search
    ],
)
def test_does_not_match(query: str, text: str) -> None:
    assert not matches_all(terms(query), text)


def test_terms_are_stemmed_folded_and_capped() -> None:
    assert [t.stem for t in terms("Bostäder för ALLA i Dalarna")] == ["bostäd", "all", "dal"]
    assert len(terms(" ".join(f"ord{i}x" for i in range(20)), limit=8)) == 8
    assert stem("kommunerna") == "kommun"
