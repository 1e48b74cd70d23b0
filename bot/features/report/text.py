"""The report's sentences and figures as text, shared by the card, the workbook and the PDF so the
three always say the same."""

from __future__ import annotations

from bot.core.i18n import count_phrase, t
from bot.features.report.rules import ProjectReport
from bot.features.results.rules import MeetingResult, join_swedish, percent_half_up

NONE = "–"


def municipality_sentence(report: ProjectReport) -> str:
    sentence = t("report.municipalities", count=len(report.municipalities_participating),
                 total=report.municipalities_total)
    if report.municipalities_missing and report.held:
        sentence += " " + t("report.missing", names=join_swedish(report.municipalities_missing))
    return sentence


def participants_sentence(report: ProjectReport) -> str:
    span = report.participants_range
    if span is None:
        return t("report.no_meetings_held")
    low, high = span
    if len(report.held) == 1:
        return t("report.participants_one", people=count_phrase("count.people", low))
    return t("report.participants_range", meetings=len(report.held), low=low, high=high)


def participants_span(report: ProjectReport) -> str:
    span = report.participants_range
    if span is None:
        return NONE
    return str(span[0]) if span[0] == span[1] else f"{span[0]}–{span[1]}"


def homework_value(report: ProjectReport) -> str:
    total = report.homework_total
    if total.rate_percent is None:
        return NONE
    return t("report.rate", rate=total.rate_percent, answered=total.answered, expected=total.expected)


def evaluation_value(report: ProjectReport) -> str:
    answered = sum(r.answered for r in report.evaluation.meetings)
    invited = sum(r.invited for r in report.evaluation.meetings)
    rate = percent_half_up(answered, invited)
    return NONE if rate is None else t("report.rate", rate=rate, answered=answered, expected=invited)


def key_figures(report: ProjectReport) -> list[tuple[str, str]]:
    return [
        (t("report.fact.municipalities"),
         t("report.of", count=len(report.municipalities_participating), total=report.municipalities_total)),
        (t("report.fact.missing"), ", ".join(report.municipalities_missing) if report.held else NONE),
        (t("report.fact.participants"), participants_span(report)),
        (t("report.fact.examples"), str(report.examples_received)),
        (t("report.fact.homework"), homework_value(report)),
        (t("report.fact.evaluation"), evaluation_value(report)),
    ]


def meeting_evaluation_line(result: MeetingResult) -> str:
    line = t("report.evaluation_meeting", number=result.meeting_number, answered=result.answered,
             invited=result.invited, rate=result.response_rate_percent if result.response_rate_percent is not None
             else 0)
    if not result.shown:
        return line + " " + t("evaluation_results.hidden", threshold=result.threshold, answered=result.answered)
    shares = [t("report.share", question=s.question_text, share=s.share_high_percent)
              for s in result.scales if s.shown]
    return line + (" " + "; ".join(shares) + "." if shares else "")


def evaluation_lines(report: ProjectReport) -> list[str]:
    lines = [meeting_evaluation_line(result) for result in report.evaluation.meetings]
    if not lines:
        return [t("report.no_evaluations")]
    lines += [t("report.evaluation_project", question=share.question, share=share.share_percent, n=share.answered)
              for share in report.evaluation.project if share.share_percent is not None]
    return lines


def absence_lines(report: ProjectReport) -> list[str]:
    """Per meeting with any: how many said they cannot come and how many colleagues came instead."""
    return [t("report.absence", number=m.number, absent=m.absent, substitutes=m.substitutes)
            for m in report.meetings if m.absent or m.substitutes]
