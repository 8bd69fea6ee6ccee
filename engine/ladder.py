"""The escalation ladder: which rungs a late task climbs, and when.

Syntax (a BPMN user task's `camunda:property name="escalation"`, a process
setting, or the engine default), rungs separated by `;`:

    reminder@80%          at 80 % of the time between creation and the due time
    overdue@due           at the due time
    leader@due+P3WD       3 working days after the due time
    accountability@due+P5WD
    unclaimed@created+PT4H   jBPM-style: not claimed within 4 hours of creation
    escalate@created+P10WD   jBPM-style: not completed within 10 working days

Durations are ISO 8601 or working-day (`P3WD`) durations, at most 1,000 working
days (engine.deadlines). Rungs anchored on
`due` or a percentage apply only to tasks that have a due time.
"""
import re
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime

from engine import deadlines, workcal

DEFAULT_LADDER = "reminder@80%; overdue@due; leader@due+P3WD; accountability@due+P5WD"
RUNG_ACTIONS = ("reminder", "unclaimed", "overdue", "escalate", "leader", "accountability")

_RUNG = re.compile(r"^(?P<name>[a-z_]+)@(?:(?P<pct>\d{1,3})%|(?P<anchor>due|created)(?:\+(?P<offset>P[0-9A-Z.]+))?)$",
                   re.IGNORECASE)


@dataclass(frozen=True)
class Rung:
    name: str
    anchor: str            # percent | due | created
    percent: int | None = None
    offset: str | None = None

    def due_at(self, created: datetime, due: datetime | None, calendar) -> datetime | None:
        if self.anchor == "percent":
            return None if due is None else created + (due - created) * (self.percent / 100)
        base = due if self.anchor == "due" else created
        if base is None:
            return None
        return workcal.add_duration(base, self.offset, calendar) if self.offset else base


@lru_cache(maxsize=256)  # every new task parses its ladder; there are few distinct ones
def parse(text: str) -> tuple[Rung, ...]:
    """Parse a ladder; raise ValueError naming the bad rung."""
    rungs = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        match = _RUNG.match(part)
        if not match:
            raise ValueError(f"escalation rung {part!r} is not of the form name@80%, name@due+P3WD or "
                             f"name@created+PT4H")
        name = match["name"].lower()
        if name not in RUNG_ACTIONS:
            raise ValueError(f"escalation rung {name!r} is unknown; use one of {', '.join(RUNG_ACTIONS)}")
        if match["pct"] is not None:
            rung = Rung(name, "percent", percent=int(match["pct"]))
        else:
            rung = Rung(name, match["anchor"].lower(), offset=match["offset"])
            if rung.offset:
                workcal.parse_duration(rung.offset)  # raises ValueError on bad syntax
                try:
                    deadlines.check_duration(rung.offset)  # and on absurd lengths, before any counting
                except deadlines.DeadlineError as err:
                    raise ValueError(f"escalation rung {part!r}: {err}") from None
        rungs.append(rung)
    return tuple(rungs)
