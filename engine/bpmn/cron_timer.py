"""Cron cycles for BPMN timers, as Camunda Modeler writes them.

`<bpmn:timeCycle xsi:type="bpmn:tFormalExpression">0 0 9 ? * MON-FRI</bpmn:timeCycle>` is Camunda 7's
Quartz cron: 6 or 7 fields, `second minute hour day-of-month month day-of-week [year]`, exactly one of
the two day fields `?`. Duban counts it with croniter, in Beijing time (engine.workcal.CHINA_TZ).
Quartz's own readings are translated first (day-of-week 1 = SUN .. 7 = SAT, `6L` the last Friday,
`L` alone Saturday); what croniter cannot count (`LW`, `L-3`) is refused at deploy.

Where the timer sits decides what it does, as in Camunda: on a non-interrupting boundary event or a
start event it fires at every match while it waits (a new token each time, as SpiffWorkflow's ISO
cycles do); on an intermediate catch event or an interrupting boundary event it fires once, at the
next match. The next due time is counted from engine.clock's now when the timer starts and again at
each firing (matches missed meanwhile are skipped, as Camunda does). It is kept in the task's
`event_value` in the shape SpiffWorkflow gives ISO cycles (`cycles`, `next`), so engine.projection
writes it to the timer table and Engine.fire_due_timers fires it like any timer.

A `${...}` (or Python) cycle is evaluated when the timer starts: a cron value runs as above, an ISO
value (`R3/P1D`) as SpiffWorkflow's CycleTimerEventDefinition always ran it.
"""
import ast
import re
from datetime import datetime, timedelta, timezone

from croniter import CroniterBadDateError, CroniterError, croniter
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.util.task import TaskState

from engine import clock
from engine.workcal import CHINA_TZ

FIELDS = ("second", "minute", "hour", "day-of-month", "month", "day-of-week", "year")
DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
EXAMPLE = "0 0 9 ? * MON-FRI"
# How far ahead a next match is looked for: past the bounds of engine.deadlines (MAX_SPAN, about four
# years), and far enough for 29 February.
SEARCH_YEARS = 5

_LOOKS_LIKE_A_FIELD = re.compile(r"^[0-9A-Za-z*?,/#\-]+$")
_FIELD_SYNTAX = {
    "second": r"[0-9*,/\-]+", "minute": r"[0-9*,/\-]+", "hour": r"[0-9*,/\-]+",
    "day-of-month": r"\?|[0-9*,/\-LW]+", "month": r"[0-9A-Z*,/\-]+",
    "day-of-week": r"\?|[0-9A-Z*,/\-#L]+", "year": r"[0-9*,/\-]+",
}
_DOW_RANGE = re.compile(r"(\*|[0-9]+|[A-Z]+)(?:-([0-9]+|[A-Z]+))?(?:/([0-9]+))?")


class CronError(ValueError):
    """A cron cycle Duban cannot run; the message says why."""


# -- Quartz cron text ----------------------------------------------------------------------------

def looks_like_cron(text: str | None) -> bool:
    """Whether a timeCycle's text is cron (5 to 7 fields; five so that a Unix cron is refused
    plainly) rather than a Python expression."""
    fields = (text or "").split()
    if not 5 <= len(fields) <= 7 or not all(_LOOKS_LIKE_A_FIELD.match(field) for field in fields):
        return False
    try:
        ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return True
    return False  # `a - b - c` is Python, however cron-like


def is_cron(value) -> bool:
    """Whether an evaluated cycle is cron; ISO cycles (`R3/P1D`) have no spaces."""
    return isinstance(value, str) and len(value.split()) > 1


def _dow_number(token: str) -> int:
    """A Quartz day of the week (1 = SUN .. 7 = SAT, or its name) as cron counts it (0 = SUN)."""
    if token in DAYS:
        return DAYS.index(token)
    if not token.isdigit() or not 1 <= int(token) <= 7:
        raise CronError(f"day-of-week {token!r} is not a day: Quartz counts 1 = SUN to 7 = SAT, or SUN-SAT")
    return int(token) - 1


def _dow_item(item: str) -> str:
    if item == "L":
        return str(DAYS.index("SAT"))  # Quartz: L alone is the last day of the week
    if item.endswith("L"):  # `6L`, `FRIL`: the month's last Friday
        return f"L{_dow_number(item[:-1])}"
    if "#" in item:  # `6#3`: the month's third Friday
        day, _, nth = item.partition("#")
        if not nth.isdigit() or not 1 <= int(nth) <= 5:
            raise CronError(f"day-of-week {item!r}: the week after # is 1 to 5")
        return f"{_dow_number(day)}#{nth}"
    match = _DOW_RANGE.fullmatch(item)
    if match is None:
        raise CronError(f"day-of-week {item!r} is not a day, a range, a step, #n or L")
    first, last, step = match.groups()
    text = first if first == "*" else str(_dow_number(first))
    if last is not None:
        text += f"-{_dow_number(last)}"
    return text + (f"/{step}" if step is not None else "")


def _check_field(name: str, field: str) -> None:
    if name == "day-of-month" and ("LW" in field or "L-" in field):
        raise CronError(f"day-of-month {field!r}: Quartz's LW and L-n are not supported (name the days, or L "
                        "for the last day)")
    if re.fullmatch(_FIELD_SYNTAX[name], field) is None:
        raise CronError(f"{name} {field!r} has characters its field does not take")
    names = {"month": MONTHS, "day-of-week": DAYS}.get(name, ())
    for word in re.findall(r"[A-Z]{2,}", field):
        word = word[:-1] if name == "day-of-week" and word.endswith("L") and word[:-1] in DAYS else word
        if word not in names:
            raise CronError(f"{name} {field!r}: {word} is not one of {', '.join(names) or 'the numbers'}")


def to_croniter(text: str) -> str:
    """Camunda's (Quartz) cron text as croniter reads it, seconds first; CronError says what is wrong."""
    if not isinstance(text, str):
        raise CronError(f"{text!r} is not a cron cycle such as {EXAMPLE}")
    fields = text.upper().split()
    if len(fields) not in (6, 7):
        raise CronError(f"a cron cycle has 6 or 7 fields ({' '.join(FIELDS[:6])} [year], as in {EXAMPLE}); "
                        f"this one has {len(fields)}")
    for name, field in zip(FIELDS, fields):
        _check_field(name, field)
    day_of_month, day_of_week = fields[3], fields[5]
    if (day_of_month == "?") == (day_of_week == "?"):
        raise CronError(f"exactly one of day-of-month ({day_of_month}) and day-of-week ({day_of_week}) must be "
                        f"'?', as in {EXAMPLE}")
    if day_of_week != "?":
        fields[5] = ",".join(_dow_item(item) for item in day_of_week.split(","))
    expression = " ".join(fields)
    try:
        croniter.expand(expression, second_at_beginning=True)
    except CroniterError as err:
        raise CronError(_field_at_fault(text.upper().split(), fields) or _plain(err)) from None
    return expression


def _plain(err: Exception) -> str:
    # croniter quotes the expression as it reordered and translated it: not what the modeler wrote.
    text = str(err)
    if text.endswith("is out of bands"):
        return "is out of range"
    return re.sub(r"\s*Cron:.*$", "", re.sub(r"\[[^\]]*\]\s*", "", text)).strip()


def _field_at_fault(written: list[str], translated: list[str]) -> str | None:
    """What croniter says of the first field it refuses on its own, named as written."""
    for index, name in enumerate(FIELDS[:len(written)]):
        alone = ["0", "0", "0", "?" if index == 5 else "*", "*", "?" if index != 5 else "*"]
        if index == 6:
            alone.append(translated[6])
        else:
            alone[index] = translated[index]
        try:
            croniter.expand(" ".join(alone), second_at_beginning=True)
        except CroniterError as err:
            return f"{name} {written[index]!r}: {_plain(err)}"
    return None


def next_due(text: str, after: datetime) -> datetime | None:
    """The first match of the cron text strictly after `after` (UTC), counted in Beijing time;
    None when there is none within SEARCH_YEARS (a year field that has run out, or 30 February)."""
    expression = to_croniter(text)
    try:
        moment = croniter(expression, after.astimezone(CHINA_TZ), ret_type=datetime, second_at_beginning=True,
                          max_years_between_matches=SEARCH_YEARS).get_next(datetime)
    except CroniterBadDateError:
        return None
    return moment.astimezone(timezone.utc)


def first_due(text: str, now: datetime) -> datetime:
    """When a cron timer starting `now` first falls due: CronError if never, or beyond the bounds
    of engine.deadlines (as a timer date would be)."""
    from engine import deadlines  # (deadlines imports the parser, which imports this module)

    due = next_due(text, now)
    if due is None:
        raise CronError(f"it does not fall due within {SEARCH_YEARS} years after "
                        f"{now.astimezone(CHINA_TZ):%Y-%m-%d %H:%M:%S} Beijing time")
    try:
        return deadlines.due_from(due, now, what="its next time")
    except deadlines.DeadlineError as err:
        raise CronError(str(err)) from None


def check_cycle(value) -> None:
    """Deploy check of a cron cycle's value (engine.bpmn.checks): raises CronError."""
    first_due(value.strip(), clock.now())


# -- the event definition ------------------------------------------------------------------------

class CronTimerEventDefinition(CycleTimerEventDefinition):
    """A timeCycle that is cron (or an expression whose value may be cron or ISO).

    A cycle, so that SpiffWorkflow does not predict what follows it: a repeating timer sends a token
    at each firing, and where it fires once, what follows is added when it fires."""

    def repeats(self, my_task) -> bool:
        """Whether it fires at every match (non-interrupting boundary, start event) or once."""
        spec = my_task.task_spec
        if spec.event_definition is not self:  # one of an event-based gateway's events
            return False
        return isinstance(spec, StartEvent) or (isinstance(spec, BoundaryEvent) and not spec.cancel_activity)

    def cron_state(self, my_task) -> dict | None:
        """The task's {'cycles', 'next', 'cron'} or {'cycles', 'next', 'seconds', 'iso'}, started from now
        on first use; None for a state SpiffWorkflow wrote (an instance started before)."""
        value = my_task._get_internal_data("event_value")
        if value is not None:
            return value if ("cron" in value or "iso" in value) else None
        text = my_task.workflow.script_engine.evaluate(my_task, self.expression)
        if not is_cron(text):
            try:
                value = _iso_state(text)
            except ValueError as err:
                raise WorkflowTaskException(str(err), task=my_task, exception=err) from err
            my_task._set_internal_data(event_value=value)
            return value
        try:
            due = first_due(text.strip(), clock.now())
        except CronError as err:
            raise WorkflowTaskException(f"timer cycle {text!r} cannot be used: {err}", task=my_task,
                                        exception=err) from err
        value = {"cycles": -1, "next": due.isoformat(), "cron": text.strip()}
        my_task._set_internal_data(event_value=value)
        return value

    def has_fired(self, my_task):
        value = self.cron_state(my_task)
        if value is None or my_task._get_internal_data("event_fired", False):
            return super().has_fired(my_task)
        now = clock.now()
        if datetime.fromisoformat(value["next"]) >= now:  # due strictly after, as timer rows are
            return False
        if self.repeats(my_task):
            following = _following(value, now)  # matches missed meanwhile are skipped
            if following is not None:
                my_task._set_internal_data(event_value=following)
                _send_token(my_task)
                return False
            # The year field ran out: this firing is the last, the event's own.
        my_task._set_internal_data(event_fired=True)
        if my_task.task_spec.event_definition is self:
            _add_what_follows(my_task)
        return True

    def update_task(self, my_task):
        if self.cron_state(my_task) is None:
            super().update_task(my_task)


def _iso_state(text) -> dict:
    """An ISO cycle's state: `R3/PT1H` first falls due an hour from now (the injectable clock's), then
    twice more; `R/P1D` has no end. The last firing is the event's own."""
    try:
        cycles, start, duration = CycleTimerEventDefinition.parse_iso_recurring_interval(str(text))
    except Exception as err:  # noqa: BLE001 - SpiffWorkflow raises a bare Exception
        raise ValueError(f"timer cycle {text!r} is neither cron nor an ISO cycle such as R3/PT1H: {err}") from None
    if len(str(text).upper().replace("--", "/").split("/")) == 2:  # no start date: from now, not the machine's clock
        start = clock.now() + duration
    return {"cycles": cycles, "next": start.isoformat(), "seconds": duration.total_seconds(), "iso": str(text)}


def _following(value: dict, now: datetime) -> dict | None:
    """The state after a firing of a repeating timer, or None when that firing was its last."""
    if "cron" in value:
        following = next_due(value["cron"], now)
        return None if following is None else {**value, "next": following.isoformat()}
    remaining = value["cycles"] - 1 if value["cycles"] > 0 else value["cycles"]
    if remaining == 0:
        return None
    step = timedelta(seconds=value["seconds"])
    following = datetime.fromisoformat(value["next"]) + step
    while following <= now:
        following += step
    return {**value, "cycles": remaining, "next": following.isoformat()}


def _add_what_follows(my_task) -> None:
    # What SpiffWorkflow would have predicted for a timer that is not a cycle.
    my_task._sync_children(my_task.task_spec.outputs, TaskState.FUTURE)
    for child in my_task.children:
        child.task_spec._predict(child, mask=TaskState.NOT_FINISHED_MASK)


def _send_token(my_task) -> None:
    """One firing of a repeating timer; the event waits on for the next match."""
    spec = my_task.task_spec
    if isinstance(spec, BoundaryEvent):
        # A fired event of its own beside the waiting one, as a one-off timer's would be: when the task
        # completes, SpiffWorkflow cancels the waiting event and drops its unfinished children. It runs
        # now, as a cycle's token starts now (an engine step may not come before the save).
        fired = my_task.parent._add_child(spec, TaskState.FUTURE)
        fired._inherit_data()
        fired._set_internal_data(event_fired=True)
        _add_what_follows(fired)
        fired._ready()
        fired.run()
        return
    # A start event waits as long as its process: a token down its flows, as SpiffWorkflow's cycles add one.
    for output in spec.outputs:
        child = my_task._add_child(output, TaskState.FUTURE)
        child.task_spec._predict(child, mask=TaskState.NOT_FINISHED_MASK)
        child.task_spec._update(child)


class CronTimerConverter(TimerConditionalEventDefinitionConverter):
    """Stored as SpiffWorkflow stores its timers: name, expression, description."""


# For engine.bpmn.serialization's registry.
CONVERTERS = {CronTimerEventDefinition: CronTimerConverter}


def cycle_definition(definition: CycleTimerEventDefinition, text: str) -> CronTimerEventDefinition:
    """The event definition of a timeCycle that is not ISO text (engine.bpmn.parser): cron text
    becomes a string literal; an expression is kept, its value read when the timer starts."""
    from engine.bpmn.parser import is_iso_literal  # (the parser imports this module)

    expression = repr(text) if looks_like_cron(text) or is_iso_literal(text) else text
    return CronTimerEventDefinition(definition.name, expression, description=definition.description)
