"""The alumni phase's messages as the outbox renders them: the notice's link to the alumni channel."""

from __future__ import annotations

from pathlib import Path

from bot.features.alumni.deliveries import AlumniDeliveries
from storage.db import create_engine, migrate, session_factory
from storage.people import ConversationSeen, PeopleRepository


async def test_the_alumni_channel_link_carries_the_teams_group_id(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/link.db")
    await migrate(engine)
    people = PeopleRepository(session_factory(engine))
    deliveries = AlumniDeliveries(None, None, None, people)  # type: ignore[arg-type]
    channel = "19:alumni@thread.tacv2"
    seen = ConversationSeen(channel, "channel", "https://smba.example/", "{}", "tenant-1", "19:team@thread.tacv2",
                            channel)
    await people.remember(None, seen)
    assert await deliveries._channel_link(channel) is None  # without the group id Teams' link would not work
    # Teams sent the group id with another activity of the team (the install, in General).
    general = seen._replace(conversation_id="19:team@thread.tacv2", channel_id="19:team@thread.tacv2",
                            aad_group_id="0c0a0000-0000-4000-8000-0000000000aa")
    await people.remember(None, general)
    link = await deliveries._channel_link(channel)
    assert link is not None and link.startswith("https://teams.microsoft.com/l/channel/19%3Aalumni%40thread.tacv2/")
    assert "groupId=0c0a0000-0000-4000-8000-0000000000aa&tenantId=tenant-1" in link
    await engine.dispose()
