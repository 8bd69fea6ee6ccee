"""The State Council's holiday schedule as administrators paste it: one date (or range) per line.

    2027-02-05至2027-02-11 休 春节
    2027-02-20 班 春节调休
    2027年10月9日 上班 国庆节调休

A line holds a date (``2027-02-05``, ``2027/2/5``, ``2027年2月5日``) or a range of dates
(``..``, ``~``, ``至``; the end may leave out the year), whether the days are holidays
(休, 假, 放假, holiday, off) or working days (班, 上班, 补班, workday, work), and
optionally a name. Blank lines and lines starting with ``#`` are skipped.

Problems are English message templates (for the catalogs) with the line's number and text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

MAX_TEXT = 20_000
MAX_NAME = 100
MAX_RANGE_DAYS = 31

HOLIDAY_WORDS = frozenset({"休", "假", "放假", "休息", "holiday", "off"})
WORKDAY_WORDS = frozenset({"班", "上班", "补班", "workday", "work"})

_DATE = r"(?P<{p}y>\d{{4}})\s*[-/.年]\s*(?P<{p}m>\d{{1,2}})\s*[-/.月]\s*(?P<{p}d>\d{{1,2}})\s*日?"
_END = r"(?:(?P<ey>\d{4})\s*[-/.年]\s*)?(?P<em>\d{1,2})\s*[-/.月]\s*(?P<ed>\d{1,2})\s*日?"
_LINE = re.compile(rf"{_DATE.format(p='s')}(?:\s*(?:\.\.|~|～|至|–|—)\s*{_END})?(?P<rest>.*)$")
_SEPARATORS = re.compile(r"[\s,，、;；:：]+")


@dataclass(frozen=True)
class Problem:
    template: str  # English, with %(line_number)s, %(line)s and the values below
    values: dict


@dataclass
class Schedule:
    days: dict[date, tuple[bool, str]] = field(default_factory=dict)  # {date: (is_workday, name)}
    problems: list[Problem] = field(default_factory=list)


def _problem(number: int, line: str, template: str, **values) -> Problem:
    shown = line if len(line) <= 80 else line[:77] + "…"
    return Problem(template, {"line_number": number, "line": shown, **values})


def _date(year: str, month: str, day: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def parse_schedule(text: str, year: int) -> Schedule:
    """The schedule for `year` in `text`, or the problems of its lines."""
    result = Schedule()
    if len(text) > MAX_TEXT:
        result.problems.append(Problem("The schedule is longer than %(limit)s characters.", {"limit": MAX_TEXT}))
        return result
    listed_on: dict[date, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            result.problems.append(_problem(number, line, 'Line %(line_number)s ("%(line)s"): it does not start '
                                                          'with a date such as %(example)s.',
                                            example=f"{year}-02-05"))
            continue
        first = _date(match["sy"], match["sm"], match["sd"])
        last = first if match["em"] is None else _date(match["ey"] or match["sy"], match["em"], match["ed"])
        if first is None or last is None:
            result.problems.append(_problem(number, line, 'Line %(line_number)s ("%(line)s"): there is no such '
                                                          'date.'))
            continue
        if first.year != year or last.year != year:
            result.problems.append(_problem(number, line, 'Line %(line_number)s ("%(line)s"): the date is not in '
                                                          '%(year)s.', year=year))
            continue
        if last < first:
            result.problems.append(_problem(number, line, 'Line %(line_number)s ("%(line)s"): the range ends '
                                                          'before it starts.'))
            continue
        if (last - first).days >= MAX_RANGE_DAYS:
            result.problems.append(_problem(number, line, 'Line %(line_number)s ("%(line)s"): a range may cover '
                                                          'at most %(limit)s days.', limit=MAX_RANGE_DAYS))
            continue
        words = [w for w in _SEPARATORS.split(match["rest"]) if w]
        kinds = [i for i, w in enumerate(words) if w.lower() in HOLIDAY_WORDS | WORKDAY_WORDS]
        if len(kinds) != 1:
            result.problems.append(_problem(number, line, 'Line %(line_number)s ("%(line)s"): say once whether '
                                                          'the day is a holiday (休) or a working day (班).'))
            continue
        kind = words.pop(kinds[0]).lower()
        name = " ".join(words)
        if len(name) > MAX_NAME:
            result.problems.append(_problem(number, line, 'Line %(line_number)s ("%(line)s"): the name is longer '
                                                          'than %(limit)s characters.', limit=MAX_NAME))
            continue
        is_workday = kind in WORKDAY_WORDS
        day = first
        while day <= last:
            if day in listed_on:
                result.problems.append(_problem(number, line, 'Line %(line_number)s ("%(line)s"): %(date)s is '
                                                              'already on line %(other)s.',
                                                date=day.isoformat(), other=listed_on[day]))
                break
            listed_on[day] = number
            result.days[day] = (is_workday, name)
            day += timedelta(days=1)
    if result.problems:
        result.days = {}
    return result


def schedule_text(days) -> str:
    """Marked days (anything with .day, .is_workday, .name) as lines `parse_schedule` reads back."""
    lines = []
    for marked in sorted(days, key=lambda m: m.day):
        kind = "班" if marked.is_workday else "休"
        lines.append(f"{marked.day.isoformat()} {kind} {marked.name}".rstrip())
    return "\n".join(lines)
