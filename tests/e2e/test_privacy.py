"""`mina uppgifter` through the Agents Playground: the card renders with what is stored and a working
download link, erasure asks first (and the test cancels: the playground's current user is shared by
the other end-to-end tests; erasure itself is tested in tests/bot and tests/storage), and in a group
chat nothing personal is shown."""

from __future__ import annotations

import json

import aiohttp

from tests.e2e.playground import Playground
from tests.e2e.test_registration import _find_action, has_card


async def test_my_data_card_and_file(playground: Playground) -> None:
    me = playground.personal_chat
    reply = await playground.reply_to(me, "mina uppgifter")
    assert "Dina uppgifter i DalaLab" in reply.all_text
    assert "två år efter att lärprojektet har avslutats" in reply.all_text
    url = next(a["url"] for a in reply.cards[0]["actions"] if a["type"] == "Action.OpenUrl")
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200
        assert response.headers["Cache-Control"] == "no-store"
        document = json.loads(await response.read())
    assert document["person"]["namn"] == "Linnea Hassis"
    assert any(c["typ"] == "personlig chatt" for c in document["samtal"])  # values in Swedish
    assert all(r["status"] in {"anmäld", "reservlista", "avbokad"} for r in document["anmälningar"])

    before = len(playground.messages(me))
    await playground.submit(me, reply.message_id, _find_action(reply.cards[0], "privacy_erase_ask")["data"])
    confirm = await playground.expect(me, has_card("Vill du radera dina uppgifter?"), after=before)
    before = len(playground.messages(me))
    await playground.submit(me, confirm.message_id, _find_action(confirm.cards[0], "privacy_erase_cancel")["data"])
    await playground.expect(me, lambda m: "Inget raderades" in m.all_text, after=before)


async def test_my_data_asked_for_in_a_group_chat_comes_in_the_personal_chat(playground: Playground) -> None:
    mark = playground.delivered_mark()
    reply = await playground.reply_to(playground.group_chat, "mina uppgifter", user="user-id-2", mention=True)
    assert reply.all_text == "Jag har skickat det till dig i vår privata chatt." and not reply.cards
    own = await playground.delivered_to("user-id-2", has_card("Dina uppgifter i DalaLab"), after=mark)
    assert "/downloads/" in str(own.cards[0])
    assert not [m for m in playground.messages(playground.group_chat) if "/downloads/" in str(m.cards)]
