"""ORM models: the database is the truth for people, conversations and dialog state."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


@event.listens_for(Base, "before_insert", propagate=True)
@event.listens_for(Base, "before_update", propagate=True)
def _clip_to_columns(mapper: Any, _connection: object, target: object) -> None:
    """Every string written through the ORM fits its column: PostgreSQL would refuse a longer one (a
    100 KB display name), SQLite would store it whole. Clients choose names, ids and texts."""
    for attribute in mapper.column_attrs:
        column = attribute.columns[0]
        length = getattr(column.type, "length", None)
        value = getattr(target, attribute.key, None)
        if length and isinstance(column.type, String) and isinstance(value, str) and len(value) > length:
            setattr(target, attribute.key, value[:length])


def clipped(table: Any, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` for a Core INSERT or UPDATE of ``table``, strings clipped to their columns as
    :func:`_clip_to_columns` does for the ORM."""
    result = dict(values)
    for key, value in values.items():
        column_type = table.c[key].type
        length = getattr(column_type, "length", None)
        if length and isinstance(column_type, String) and isinstance(value, str) and len(value) > length:
            result[key] = value[:length]
    return result


class Person(Base):
    """A Teams user the bot has met."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    teams_id: Mapped[str] = mapped_column(String(255), unique=True)
    aad_object_id: Mapped[str | None] = mapped_column(String(64), index=True)
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320))
    locale: Mapped[str | None] = mapped_column(String(20))
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    """Set when the person asked to be erased: name and contact details are gone."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    conversations: Mapped[list[Conversation]] = relationship(back_populates="person")


class Conversation(Base):
    """A conversation the bot is part of, with the reference needed to write to it later."""

    __tablename__ = "conversation"
    __table_args__ = (UniqueConstraint("conversation_id", name="uq_conversation_conversation_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(1024))
    kind: Mapped[str] = mapped_column(String(20))
    """personal, groupChat or channel"""
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    team_id: Mapped[str | None] = mapped_column(String(255))
    channel_id: Mapped[str | None] = mapped_column(String(255))
    service_url: Mapped[str] = mapped_column(String(1024))
    reference: Mapped[str] = mapped_column(Text)
    """ConversationReference as JSON (botbuilder's own serialisation)."""
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    installed: Mapped[bool] = mapped_column(default=True)
    aad_group_id: Mapped[str | None] = mapped_column(String(64))
    """The team's Microsoft 365 group id (channelData.team.aadGroupId): channel deep links need it."""
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    person: Mapped[Person | None] = relationship(back_populates="conversations")


class DownloadFile(Base):
    """An export waiting at an unguessable address until it expires. In the database, so that any
    replica behind the load balancer serves a link another made; keyed by a hash of the token, so the
    table alone does not give the addresses."""

    __tablename__ = "download"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    """Who asked for it (erasure revokes a person's links)."""
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class StateItem(Base):
    """One botbuilder Storage item (dialog and user state), optimistic concurrency by e_tag."""

    __tablename__ = "state_item"

    key: Mapped[str] = mapped_column(String(1024), primary_key=True)
    e_tag: Mapped[str] = mapped_column(String(64))
    data: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class Organisation(Base):
    """A municipality, the region, or another organisation people register from."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    """Stable short key used in cards and files ("falun", "region", "annan")."""
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    """municipality, region or other"""
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class Project(Base):
    """A learning project (lärprojekt): a series of meetings on a theme."""

    __tablename__ = "project"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    quota_per_organisation: Mapped[int] = mapped_column(Integer, default=3)
    capacity: Mapped[int | None] = mapped_column(Integer)
    registration_deadline: Mapped[datetime | None] = mapped_column(UtcDateTime)
    """The moment registration closes (stored UTC)."""
    state: Mapped[str] = mapped_column(String(20), default="open")
    """planned, open, running, finished or alumni"""
    contact: Mapped[str] = mapped_column(String(300), default="")
    calendar_token: Mapped[str] = mapped_column(String(64))
    """Unguessable part of the project's calendar (.ics) addresses."""
    evaluation_questions: Mapped[str | None] = mapped_column(Text)
    """The project's own question set (JSON); None means the region's default questions."""
    evaluation_delay_minutes: Mapped[int] = mapped_column(Integer, default=30)
    reminder_offsets: Mapped[str] = mapped_column(String(100), default="7d,1d")
    """When meetings are reminded: days before at the meeting's time of day, and/or "morning" of the day."""
    channel_conversation_id: Mapped[str | None] = mapped_column(String(1024))
    """The project's Teams channel (conversation id without ;messageid), where reminders are posted."""
    alumni_channel_id: Mapped[str | None] = mapped_column(String(1024))
    """The alumni channel the project continues in once finished (several projects may share one)."""
    alumni_prompt: Mapped[str] = mapped_column(String(40), default="monthly")
    """How often the alumni channel gets an exchange question: monthly or off."""
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lock_version: Mapped[int] = mapped_column(Integer, default=0)
    """Bumped at the start of every registration change: serialises quota counting on every backend."""
    edit_version: Mapped[int] = mapped_column(Integer, default=0)
    """Bumped by every edit a coordinator saves from a card: a card carrying an older version is refused
    (two coordinators editing at once never overwrite each other silently)."""
    registration_closed: Mapped[bool] = mapped_column(default=False)
    """Registration closed by hand, whatever the deadline says."""
    copied_from_id: Mapped[int | None] = mapped_column(Integer)
    """The project this one was copied from: its meetings' texts prefill the new meetings."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    meetings: Mapped[list[Meeting]] = relationship(
        back_populates="project", order_by="Meeting.number", cascade="all, delete-orphan"
    )


class Meeting(Base):
    """A meeting (träff) of a project."""

    __tablename__ = "meeting"
    __table_args__ = (UniqueConstraint("project_id", "number", name="uq_meeting_project_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    place: Mapped[str] = mapped_column(String(300), default="")
    online_link: Mapped[str] = mapped_column(String(1000), default="")
    programme: Mapped[str] = mapped_column(Text, default="")
    uid: Mapped[str] = mapped_column(String(120), unique=True)
    """Calendar UID: stays the same when the meeting changes, so calendars update the entry."""
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    """Calendar SEQUENCE: bumped on every change."""
    notified_sequence: Mapped[int] = mapped_column(Integer, default=0)
    """The SEQUENCE participants were last told about; lower than ``sequence`` means a change to announce."""
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    """Set when the meeting is cancelled: calendars get it as CANCELLED, reminders stop."""

    project: Mapped[Project] = relationship(back_populates="meetings")


class Registration(Base):
    """A person's registration to a project (one per person and project)."""

    __tablename__ = "registration"
    __table_args__ = (UniqueConstraint("project_id", "person_id", name="uq_registration_project_person"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    organisation_other: Mapped[str] = mapped_column(String(200), default="")
    name: Mapped[str] = mapped_column(String(200))
    role_title: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    dietary: Mapped[str] = mapped_column(String(500), default="")
    consent_list: Mapped[bool] = mapped_column(default=False)
    """Agreed to appear in the participant list other participants see."""
    alumni_opt_out: Mapped[bool] = mapped_column(default=False)
    """Does not want alumni messages after the project."""
    status: Mapped[str] = mapped_column(String(20))
    """registered, waitlisted or cancelled"""
    queued_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    """Position in the waitlist: earliest first."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    transfer_code: Mapped[str | None] = mapped_column(String(20), unique=True)
    transfer_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    organisation: Mapped[Organisation] = relationship()
    person: Mapped[Person] = relationship()
    meetings: Mapped[list[RegistrationMeeting]] = relationship(cascade="all, delete-orphan")


class RegistrationMeeting(Base):
    """Which meetings of the project a registration covers."""

    __tablename__ = "registration_meeting"

    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True
    )
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True)


class MeetingSubstitute(Base):
    """A colleague sent to one meeting in place of someone who cannot come (the place stays the
    holder's). Offered with a one-time code; ``person_id`` is set when the colleague takes it."""

    __tablename__ = "meeting_substitute"
    __table_args__ = (UniqueConstraint("registration_id", "meeting_id", name="uq_substitute_registration_meeting"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    code: Mapped[str | None] = mapped_column(String(20), unique=True)
    code_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Delivery(Base):
    """The outbox: one message to one recipient, sent at most once (unique on kind, source, recipient).

    Scheduled work is rows; the scheduler only wakes the dispatcher, which claims due rows."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("kind", "source", "recipient", name="uq_delivery_kind_source_recipient"),
        Index("ix_delivery_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    """reminder, meeting_update, message, ..."""
    source: Mapped[str] = mapped_column(String(200))
    """What caused it, e.g. "meeting:12:7d" or "broadcast:4"."""
    recipient: Mapped[str] = mapped_column(String(1100))
    """A person (1:1), a channel or a conversation: built and read by bot/outbox/addresses.py only."""
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    payload: Mapped[str] = mapped_column(Text, default="{}")
    """JSON the sender renders the message from (ids, never the rendered text)."""
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    relevant_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    """After this moment the message is pointless (the meeting started): skipped, not sent."""
    state: Mapped[str] = mapped_column(String(20), default="pending")
    """pending, sending, sent, failed, skipped or cancelled"""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    activity_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Broadcast(Base):
    """A coordinator's message to an audience, previewed before it is confirmed."""

    __tablename__ = "broadcast"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    audience: Mapped[str] = mapped_column(String(100))
    """channel, registered, organisation:<key> or no_reply:<meeting id>"""
    text: Mapped[str] = mapped_column(Text)
    send_at: Mapped[datetime] = mapped_column(UtcDateTime)
    state: Mapped[str] = mapped_column(String(20), default="draft")
    """draft, confirmed or cancelled"""
    created_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Attendance(Base):
    """A person's answer to a meeting reminder (and later, check-in at the meeting)."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("person_id", "meeting_id", name="uq_attendance_person_meeting"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    intent: Mapped[str | None] = mapped_column(String(20))
    """coming or not_coming"""
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Evaluation(Base):
    """The short evaluation after a meeting: open from shortly after the meeting until it closes."""

    __tablename__ = "evaluation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), unique=True)
    questions: Mapped[str] = mapped_column(Text)
    """The question set (JSON) as it was when the evaluation opened."""
    opens_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closes_at: Mapped[datetime] = mapped_column(UtcDateTime)
    secret: Mapped[str | None] = mapped_column(String(64))
    """Key of the respondent hashes; deleted at closing, which unlinks answers from people for good."""
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    chart_token: Mapped[str] = mapped_column(String(64))
    """Unguessable part of the results chart's address (shown in coordinators' cards)."""
    invited_count: Mapped[int | None] = mapped_column(Integer)
    """Frozen at closing, when the invites (who was asked, who answered) are deleted."""
    breakdown: Mapped[str | None] = mapped_column(Text)
    """The per-organisation breakdown (JSON) frozen at closing, when answers lose their organisation."""


class EvaluationInvite(Base):
    """Who was asked (for the response rate and the nudge); never what they answered."""

    __tablename__ = "evaluation_invite"
    __table_args__ = (UniqueConstraint("evaluation_id", "person_id", name="uq_evaluation_invite"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    answered: Mapped[bool] = mapped_column(default=False)


class Answer(Base):
    """One respondent's answer. No person id: ``respondent`` is a keyed hash used only to stop
    duplicates and allow changes while the evaluation is open. At closing the hash, the organisation
    and the timestamps are cleared and the rows are rewritten in an order given by their values, so
    nothing in the row (not even its id) points back to a person (storage/evaluations.py)."""

    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("evaluation_id", "respondent", name="uq_answer_respondent"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id", ondelete="CASCADE"), index=True)
    respondent: Mapped[str | None] = mapped_column(String(64))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    """The respondent's municipality while open; "" once the breakdown is frozen at closing."""
    values: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


# --- case examples, homework and triads ----------------------------------------------------


class ExampleRequest(Base):
    """A coordinator's request for case examples on a theme, to all or chosen municipalities."""

    __tablename__ = "example_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    theme: Mapped[str] = mapped_column(String(300))
    deadline: Mapped[datetime] = mapped_column(UtcDateTime)
    organisation_keys: Mapped[str] = mapped_column(Text, default="")
    """Comma-separated organisation keys; empty means every participating municipality."""
    created_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CaseExample(Base):
    """A municipality's example: challenge, what was done, result and lessons."""

    __tablename__ = "case_example"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("example_request.id", ondelete="SET NULL"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    title: Mapped[str] = mapped_column(String(300))
    theme: Mapped[str] = mapped_column(String(300), default="")
    challenge: Mapped[str] = mapped_column(Text, default="")
    actions: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[str] = mapped_column(Text, default="")
    lessons: Mapped[str] = mapped_column(Text, default="")
    contact: Mapped[str] = mapped_column(String(500), default="")
    links: Mapped[str] = mapped_column(Text, default="")
    sharing: Mapped[str] = mapped_column(String(20), default="project")
    """project, alumni or public"""
    status: Mapped[str] = mapped_column(String(30), default="submitted")
    """submitted, approved, changes_requested or rejected"""
    review_note: Mapped[str] = mapped_column(Text, default="")
    posted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class Assignment(Base):
    """Homework (hemuppgift) for a meeting."""

    __tablename__ = "assignment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(300))
    instructions: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Submission(Base):
    """A participant's answer to homework (one per person; a new answer replaces it)."""

    __tablename__ = "submission"
    __table_args__ = (UniqueConstraint("assignment_id", "person_id", name="uq_submission_assignment_person"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text, default="")
    links: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class TriadRound(Base):
    """Triad conversations for a meeting: proposed by the bot, adjusted and confirmed by a coordinator."""

    __tablename__ = "triad_round"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(20), default="proposed")
    """proposed or confirmed"""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class TriadMember(Base):
    __tablename__ = "triad_member"

    round_id: Mapped[int] = mapped_column(ForeignKey("triad_round.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    group_number: Mapped[int] = mapped_column(Integer)


# --- alumni and coordinators -------------------------------------------------------------


class AlumniPrompt(Base):
    """A periodic exchange question in an alumni channel; replies are collected into a digest."""

    __tablename__ = "alumni_prompt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(1024), index=True)
    question: Mapped[str] = mapped_column(Text)
    period: Mapped[str] = mapped_column(String(20))
    """The period it belongs to, e.g. "2027-05": one prompt per channel and period."""
    asked_at: Mapped[datetime] = mapped_column(UtcDateTime)
    digest_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    __table_args__ = (UniqueConstraint("channel_id", "period", name="uq_alumni_prompt_period"),)


class AlumniReply(Base):
    __tablename__ = "alumni_reply"
    __table_args__ = (UniqueConstraint("prompt_id", "person_id", name="uq_alumni_reply_person"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prompt_id: Mapped[int] = mapped_column(ForeignKey("alumni_prompt.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Coordinator(Base):
    """Coordinators added in chat by an existing coordinator (besides COORDINATOR_IDS)."""

    __tablename__ = "coordinator"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    aad_object_id: Mapped[str] = mapped_column(String(64), unique=True)
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    added_by: Mapped[str | None] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
