"""Evaluation results as plain data: per meeting the response rate, the distribution, mean and share
"i stor eller mycket stor utsträckning" per question, the free texts, a per-organisation breakdown,
the trend across the project, and a one-paragraph Swedish summary written from the numbers alone.

Anonymity (issue 5): coordinators never see who answered what.

- A meeting's results are shown only when at least ``threshold`` people answered it. Within a shown
  meeting a scale question likewise needs ``threshold`` answers (optional questions can have fewer).
- Free texts carry no name or organisation and are sorted alphabetically, so their order says
  nothing about who answered when.
- The per-organisation breakdown is built so that no group's answers can be derived by subtracting
  the listed groups from the meeting's total; see ``organisation_breakdown``.

Percentages are rounded half up (12.5 % -> 13 %), as people expect in a report, not to even.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

from bot.features.evaluation.rules import DEFAULT_THRESHOLD, SCALE_STEPS, Question

OTHER_ORGANISATIONS = "Övriga"
"""The pooled group of organisations that are too small to be shown on their own."""
HIGH_STEPS = (4, 5)
"""I stor / i mycket stor utsträckning."""


@dataclass(frozen=True)
class AnswerData:
    """One person's stored answer, without identity: scale steps as 1..5 and free texts by key."""

    values: Mapping[str, int | str]
    organisation: str
    """Display name of the respondent's municipality or organisation."""


@dataclass(frozen=True)
class MeetingAnswers:
    meeting_number: int
    meeting_title: str
    invited: int
    answers: Sequence[AnswerData]
    breakdown: Sequence[OrganisationBreakdown] | None = None
    """Frozen at closing (the answers no longer carry an organisation then); None: computed from answers."""


@dataclass(frozen=True)
class ScaleSummary:
    question_key: str
    question_text: str
    counts: tuple[int, ...]
    """Answers per step, index 0 = step 1 ("Inte alls"); all zero when not shown."""
    answered: int
    mean: float | None
    """Rounded half up to one decimal."""
    share_high: float | None
    """Share answering 4 or 5, as a fraction."""
    share_high_percent: int | None
    shown: bool
    """False when fewer than the threshold answered this question: counts and figures are withheld."""


@dataclass(frozen=True)
class OrganisationBreakdown:
    organisation: str
    answered: int
    scales: list[ScaleSummary]
    pooled: bool = False
    """True for the "Övriga" group of small organisations."""


@dataclass(frozen=True)
class MeetingResult:
    meeting_number: int
    meeting_title: str
    invited: int
    answered: int
    response_rate_percent: int | None
    """None when nobody was invited."""
    threshold: int
    shown: bool
    """At least ``threshold`` answered; otherwise scales, free texts and breakdown are empty."""
    scales: list[ScaleSummary]
    free_texts: dict[str, list[str]]
    """Per text question, sorted alphabetically (never in the order they were submitted)."""
    by_organisation: list[OrganisationBreakdown]

    def scale(self, key: str) -> ScaleSummary | None:
        return next((summary for summary in self.scales if summary.question_key == key), None)


@dataclass(frozen=True)
class QuestionTrend:
    question_key: str
    question_text: str
    points: list[tuple[int, int | None]]
    """(meeting number, share "i stor eller mycket stor utsträckning" in %, None where not shown)."""


@dataclass(frozen=True)
class ProjectTrend:
    questions: list[QuestionTrend]

    def points_for(self, key: str) -> list[tuple[int, int | None]]:
        return next((trend.points for trend in self.questions if trend.question_key == key), [])


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, exactly (integers, no float or banker's rounding)."""
    if denominator <= 0 or numerator < 0:
        raise ValueError("round_half_up needs a non-negative numerator and a positive denominator")
    return (2 * numerator + denominator) // (2 * denominator)


def percent_half_up(part: int, whole: int) -> int | None:
    return round_half_up(100 * part, whole) if whole > 0 else None


def step_percents(summary: ScaleSummary) -> tuple[int, ...]:
    """Percent per step, each rounded half up (so the five may add up to 99 or 101)."""
    return tuple(percent_half_up(count, summary.answered) or 0 for count in summary.counts)


def summarise_meeting(
    meeting: MeetingAnswers, questions: Sequence[Question], threshold: int = DEFAULT_THRESHOLD
) -> MeetingResult:
    if threshold < 1:
        raise ValueError("the anonymity threshold must be at least 1")
    answers = list(meeting.answers)
    shown = len(answers) >= threshold
    scale_questions = [q for q in questions if q.kind == "scale"]
    return MeetingResult(
        meeting_number=meeting.meeting_number,
        meeting_title=meeting.meeting_title,
        invited=meeting.invited,
        answered=len(answers),
        response_rate_percent=percent_half_up(len(answers), meeting.invited),
        threshold=threshold,
        shown=shown,
        scales=[summarise_scale(q, answers, threshold) for q in scale_questions] if shown else [],
        free_texts={q.key: free_texts(q, answers) for q in questions if q.kind == "text"} if shown else {},
        by_organisation=_breakdown(meeting, scale_questions, threshold) if shown else [],
    )


def _breakdown(meeting: MeetingAnswers, scale_questions: Sequence[Question],
               threshold: int) -> list[OrganisationBreakdown]:
    if meeting.breakdown is None:
        return organisation_breakdown(meeting.answers, scale_questions, threshold)
    # Frozen under the threshold of its closing day: a threshold raised since hides groups now below it.
    groups = list(meeting.breakdown)
    return groups if all(group.answered >= threshold for group in groups) else []


def breakdown_to_json(groups: Sequence[OrganisationBreakdown]) -> str:
    return json.dumps([asdict(group) for group in groups], ensure_ascii=False, sort_keys=True)


def breakdown_from_json(text: str) -> list[OrganisationBreakdown]:
    return [
        OrganisationBreakdown(
            organisation=group["organisation"], answered=group["answered"], pooled=group["pooled"],
            scales=[ScaleSummary(**{**scale, "counts": tuple(scale["counts"])}) for scale in group["scales"]],
        )
        for group in json.loads(text)
    ]


def summarise_project(
    meetings: Sequence[MeetingAnswers], questions: Sequence[Question], threshold: int = DEFAULT_THRESHOLD
) -> tuple[list[MeetingResult], ProjectTrend]:
    ordered = sorted(meetings, key=lambda meeting: meeting.meeting_number)
    results = [summarise_meeting(meeting, questions, threshold) for meeting in ordered]
    return results, project_trend(results, questions)


def project_trend(results: Sequence[MeetingResult], questions: Sequence[Question]) -> ProjectTrend:
    return ProjectTrend(
        [
            QuestionTrend(q.key, q.text, [(r.meeting_number, _share_percent(r, q.key)) for r in results])
            for q in questions
            if q.kind == "scale"
        ]
    )


def _share_percent(result: MeetingResult, key: str) -> int | None:
    summary = result.scale(key)
    return summary.share_high_percent if summary is not None else None


def summarise_scale(question: Question, answers: Sequence[AnswerData], threshold: int) -> ScaleSummary:
    steps = [step for answer in answers if (step := _scale_step(answer.values.get(question.key), question)) is not None]
    answered = len(steps)
    if answered < threshold:
        return ScaleSummary(question.key, question.text, (0,) * SCALE_STEPS, answered, None, None, None, False)
    counts = tuple(steps.count(step) for step in range(1, SCALE_STEPS + 1))
    high = sum(counts[step - 1] for step in HIGH_STEPS)
    return ScaleSummary(
        question_key=question.key,
        question_text=question.text,
        counts=counts,
        answered=answered,
        mean=round_half_up(10 * sum(steps), answered) / 10,
        share_high=high / answered,
        share_high_percent=percent_half_up(high, answered),
        shown=True,
    )


def _scale_step(raw: int | str | None, question: Question) -> int | None:
    """Stored answers were validated on submit: anything else is a bug to surface, not to skip."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, int) and not isinstance(raw, bool) and 1 <= raw <= SCALE_STEPS:
        return raw
    raise ValueError(f"stored answer to {question.key!r} is not a step 1..{SCALE_STEPS}: {raw!r}")


def free_texts(question: Question, answers: Sequence[AnswerData]) -> list[str]:
    texts = (str(answer.values.get(question.key) or "").strip() for answer in answers)
    return sorted((text for text in texts if text), key=swedish_sort_key)


# Å, Ä, Ö come after Z in Swedish, in that order (code points would give Ä < Å).
_SWEDISH_ORDER = str.maketrans({"å": "{", "ä": "|", "æ": "|", "ö": "}", "ø": "}"})


def swedish_sort_key(text: str) -> tuple[str, str]:
    return text.casefold().translate(_SWEDISH_ORDER), text


def organisation_breakdown(
    answers: Sequence[AnswerData], scale_questions: Sequence[Question], threshold: int
) -> list[OrganisationBreakdown]:
    """Results per organisation, without ever exposing a group smaller than ``threshold``.

    The rule: organisations with at least ``threshold`` answers are listed by name. All smaller ones
    (and answers without an organisation) are pooled into "Övriga". If "Övriga" is still below the
    threshold, the smallest named groups are moved into it until it reaches it: listing every other
    group would otherwise let anyone compute the small group's answers as total minus the listed
    groups. If that leaves no named group, there is no breakdown (it would only repeat the total).

    The listed groups always add up to the meeting's total, each at least ``threshold``. A scale
    question is included only when every listed group has ``threshold`` answers to it, for the
    same reason (optional questions can be skipped).
    """
    groups = _anonymous_groups(answers, threshold)
    questions = [
        q for q in scale_questions
        if all(_answered(q, members) >= threshold for _, members, _ in groups)
    ]
    return [
        OrganisationBreakdown(name, len(members), [summarise_scale(q, members, threshold) for q in questions], pooled)
        for name, members, pooled in groups
    ]


def _anonymous_groups(
    answers: Sequence[AnswerData], threshold: int
) -> list[tuple[str, list[AnswerData], bool]]:
    by_name: dict[str, list[AnswerData]] = {}
    for answer in answers:
        by_name.setdefault(answer.organisation.strip(), []).append(answer)
    named = sorted(
        ((name, members) for name, members in by_name.items() if name and len(members) >= threshold),
        key=lambda group: (len(group[1]), swedish_sort_key(group[0])),
    )
    listed = {name for name, _ in named}
    pooled = [answer for name, members in by_name.items() if name not in listed for answer in members]
    while pooled and len(pooled) < threshold and named:
        pooled.extend(named.pop(0)[1])
    if not named:
        return []
    groups = [(name, members, False) for name, members in sorted(named, key=lambda g: swedish_sort_key(g[0]))]
    return groups + ([(OTHER_ORGANISATIONS, pooled, True)] if pooled else [])


def _answered(question: Question, answers: Sequence[AnswerData]) -> int:
    return sum(1 for answer in answers if _scale_step(answer.values.get(question.key), question) is not None)


# --- The Swedish summary paragraph -------------------------------------------------------------
# Always Swedish: it is the region's report text, and its grammar (quantifiers, ordinals, the
# "gett dem …" phrasing) is built here rather than assembled from catalog fragments.

QUANTIFIERS: tuple[tuple[int, str], ...] = (
    (100, "Samtliga"),
    (80, "De allra flesta"),
    (60, "En klar majoritet"),
    (51, "Drygt hälften"),
    (50, "Hälften"),
    (40, "Knappt hälften"),
    (30, "Omkring en tredjedel"),
    (15, "En mindre del"),
    (1, "Ett fåtal"),
    (0, "Ingen"),
)
"""(lowest rounded percent, words) for the share answering "i stor eller mycket stor utsträckning"."""
ORDINALS = ("första", "andra", "tredje", "fjärde", "femte", "sjätte", "sjunde", "åttonde", "nionde", "tionde")
HIGH = "i stor eller mycket stor utsträckning"
_GAVE_ME = "träffen gav mig "
_FIRST_PERSON = {"jag", "mig", "min", "mitt", "mina"}


def quantifier(percent: int) -> str:
    return next(words for lowest, words in QUANTIFIERS if percent >= lowest)


def swedish_summary(results: Sequence[MeetingResult], questions: Sequence[Question]) -> str:
    """One paragraph in the style of the region's project summaries, from the numbers only."""
    if not results:
        return "Det finns inga utvärderingar att sammanfatta ännu."
    shown = [result for result in results if result.shown]
    scale_questions = [q for q in questions if q.kind == "scale"]
    shares = [(q, share) for q in scale_questions if (share := _pooled_share(shown, q.key)) is not None]
    sentences = [_response_sentence(results)]
    sentences += _share_sentences(shares, "träffen" if len(shown) == 1 else "träffarna")
    sentences += _trend_sentences(shown, scale_questions)
    sentences += _hidden_sentences(results, shown)
    return " ".join(sentences)


def _response_sentence(results: Sequence[MeetingResult]) -> str:
    answered = sum(result.answered for result in results)
    invited = sum(result.invited for result in results)
    rate = percent_half_up(answered, invited)
    rate_text = f" ({rate} %)" if rate is not None else ""
    if len(results) == 1:
        return f"Efter träff {results[0].meeting_number} svarade {answered} av {invited} inbjudna{rate_text}."
    meetings = len(results)
    return f"Utvärderingarna efter de {meetings} träffarna fick totalt {answered} svar av {invited} möjliga{rate_text}."


def _pooled_share(shown: Sequence[MeetingResult], key: str) -> int | None:
    """All shown answers to the question across meetings, each meeting already above the threshold."""
    summaries = [summary for result in shown if (summary := result.scale(key)) is not None and summary.shown]
    high = sum(summary.counts[step - 1] for summary in summaries for step in HIGH_STEPS)
    return percent_half_up(high, sum(summary.answered for summary in summaries))


def _share_sentences(shares: Sequence[tuple[Question, int]], meetings_word: str) -> list[str]:
    """Questions with the same quantifier share a sentence, as in "… gett dem nya kunskaper (86 %)
    och nya eller fördjupade kontakter (82 %)."; questions not phrased "Träffen gav mig …" get their own."""
    by_words: dict[str, list[tuple[Question, int]]] = {}
    for question, share in shares:
        by_words.setdefault(quantifier(share), []).append((question, share))
    sentences = []
    for words, items in by_words.items():
        benefits = [(benefit, share) for question, share in items if (benefit := benefit_phrase(question.text))]
        gave = f"svarar att {meetings_word} {HIGH} gett dem"
        if len(benefits) == 1:
            sentences.append(f"{words} ({benefits[0][1]} %) {gave} {benefits[0][0]}.")
        elif benefits:
            sentences.append(f"{words} {gave} {join_swedish([f'{b} ({s} %)' for b, s in benefits])}.")
        sentences += [
            f"{words} ({share} %) svarar {HIGH} på ”{question.text}”."
            for question, share in items
            if benefit_phrase(question.text) is None
        ]
    return sentences


def benefit_phrase(question_text: str) -> str | None:
    """ "nya kunskaper" for "Träffen gav mig nya kunskaper", so the summary can say "gett dem nya
    kunskaper"; None when the text is not phrased that way (or would need more grammar than that)."""
    text = question_text.strip().rstrip(".")
    if not text.casefold().startswith(_GAVE_ME):
        return None
    rest = text[len(_GAVE_ME):].strip().replace("i mitt arbete", "i arbetet")
    if not rest or _FIRST_PERSON & set(rest.casefold().split()):
        return None
    return rest


def _trend_sentences(shown: Sequence[MeetingResult], scale_questions: Sequence[Question]) -> list[str]:
    sentences = []
    for question in scale_questions:
        points = [
            (result.meeting_number, summary.share_high_percent)
            for result in shown
            if (summary := result.scale(question.key)) is not None and summary.share_high_percent is not None
        ]
        if len(points) < 2:
            continue
        (first, before), (last, after) = points[0], points[-1]
        label = benefit_phrase(question.text) or f"”{question.text}”"
        since, until = after_meeting(first, first_mention=True), after_meeting(last, first_mention=False)
        if before == after:
            sentences.append(f"För {label} var andelen {before} % både {since} och {until}.")
        else:
            change = "ökade" if after > before else "minskade"
            sentences.append(f"För {label} {change} andelen från {before} % {since} till {after} % {until}.")
    return sentences


def after_meeting(number: int, first_mention: bool) -> str:
    """ "efter första träffen" / "efter den fjärde"; numbers past ten as "efter träff 11"."""
    if not 1 <= number <= len(ORDINALS):
        return f"efter träff {number}"
    ordinal = ORDINALS[number - 1]
    return f"efter {ordinal} träffen" if first_mention else f"efter den {ordinal}"


def _hidden_sentences(results: Sequence[MeetingResult], shown: Sequence[MeetingResult]) -> list[str]:
    hidden = [result for result in results if not result.shown]
    if not hidden:
        return []
    threshold = max(result.threshold for result in hidden)
    if len(results) == 1:
        return [f"Resultaten visas när minst {threshold} har svarat."]
    if not shown:
        return [f"Inga resultat visas ännu eftersom färre än {threshold} har svarat efter varje träff."]
    numbers = join_swedish([str(result.meeting_number) for result in hidden])
    return [f"Resultaten från träff {numbers} visas inte eftersom färre än {threshold} har svarat."]


def join_swedish(items: Sequence[str]) -> str:
    """ "a", "a och b", "a, b och c"."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} och {items[-1]}"
