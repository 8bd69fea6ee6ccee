"""Service functions BPMN script tasks call (docs/process-conventions.md).

The engine calls `make_service_functions(session, actor_name, start_process)`
once per command and hands the returned dict to its script engine, so every
function works in the command's transaction: it validates its arguments
(ValidationFailed, keyed by argument name, becomes an incident), writes,
and never commits. Return values are plain ints, strings, dicts or
None, as task data must stay JSON.

`start_process(process_id, data)` is the engine's callback to start another
process; it may return the new instance id, the new ProcessInstance, or None
(when it starts the process after commit). Functions that create a record flush once to learn its id; updates
leave the flush to the command's commit.

Besides the documented functions: `update_supervision(case_id, status=None,
stage=None, level=None)`, `lead_info(lead_id)` (the lead's fields as a dict,
with `suggested_unit` for its sector), `record_feedback_measures(lead_id,
handling, note=None)` (the measures chosen at a lead's 查办反馈 as disposals),
`record_police_receipt(receipt_no, accepting_unit, accepted_on, ...)` (the police's
acceptance receipt of a transferred case) and `record_completion_report(lead_id, sent)`
(the completion report the report worker pushed upward, or recorded unsent).
"""
from sqlalchemy import select

from domain import records
from domain.audit import audit
from domain.errors import ValidationFailed
from domain.labels import FEEDBACK_MEASURE, MEASURE, SECTOR_UNIT
from domain.models import (
    AccountabilityRecord,
    Disposal,
    Lead,
    RectificationItem,
    RiskAssessment,
    Subject,
    SupervisionCase,
    Unit,
)
from domain.numbers import SUPERVISION_PREFIX, next_number
from domain.records import active_unit_codes, field_error
from domain.schemas import load_specs, spec
from engine import clock, deadlines
from engine.store import deferred_rows
from engine.store.models import AuditEvent
from engine.workcal import WorkCalendar

LEAD_UPDATE_FIELDS = [
    spec("status", "enum", vocabulary="lead_status"),
    spec("result", "enum", vocabulary="result"),
    spec("responsible_unit", "unit"),
    spec("feedback_deadline", "datetime", end_of_day=True),
    spec("major", "boolean"),
    spec("recovered_amount", "number", min=0),
]
RISK_GRADE_FIELDS = [
    spec("subject_id", "integer", True, min=1),
    spec("grade", "enum", True, "grade"),
    spec("people_involved", "integer", True, min=0),
    spec("money_at_risk", "number", True, min=0),
    spec("opinion_heat", "enum", True, "intensity"),
    spec("stability_risk", "enum", True, "intensity"),
    spec("note", "textarea", max_length=4000),
    spec("lead_id", "integer", min=1),
    # graded by rule (domain.decision_fields): absent for a grade chosen by hand alone
    spec("computed_grade", "enum", False, "grade"),
    spec("grading_rule", "text", max_length=400),
    spec("grading_decision", "text", max_length=240),
    spec("override_reason", "textarea", max_length=4000),
]
DISPOSAL_FIELDS = [
    spec("subject_id", "integer", min=1),
    spec("lead_id", "integer", min=1),
    spec("measure", "enum", True, "measure"),
    spec("unit", "unit", True),
    spec("officer", "text", max_length=200),
    spec("note", "textarea", max_length=4000),
    spec("documents", "file"),
]
FEEDBACK_MEASURE_FIELDS = [
    spec("lead_id", "integer", True, min=1),
    spec("note", "textarea", max_length=4000),
]
# Disposals recorded from a lead's 查办反馈 say so in their `disposal.recorded` audit event
# (data `source`), filed under the lead's lead_handling instance: that is how a later
# feedback, or the lead's graded disposal, finds them (no column needed on `disposal`).
FEEDBACK_SOURCE = "lead_feedback"
# Why a feedback disposal was withdrawn (the audit event's reason, shown on the case's timeline).
WITHDRAWN_NOT_REPORTED = "重新反馈时未再报告该措施"
WITHDRAWN_RECORDED_ELSEWHERE = "该措施已由分级处置记录"
WITHDRAWN_DUPLICATE = "重复记录"
POLICE_RECEIPT_FIELDS = [
    spec("receipt_no", "text", True, max_length=100),
    spec("accepting_unit", "text", max_length=200),
    spec("accepted_on", "date"),
    spec("subject_id", "integer", min=1),
    spec("lead_id", "integer", min=1),
]
RECTIFICATION_UPDATE_FIELDS = [
    spec("item_id", "integer", True, min=1),
    spec("status", "enum", True, "rectification_status"),
    spec("lookback_result", "textarea", max_length=4000),
    spec("evidence", "file"),
    spec("deadline", "datetime", end_of_day=True),
]
SUPERVISION_FIELDS = [
    spec("kind", "enum", True, "supervision_kind"),
    spec("unit", "unit", True),
    spec("reason", "textarea", True, max_length=4000),
    spec("level", "enum", False, "supervision_level", default="ordinary"),
]
SUPERVISION_UPDATE_FIELDS = [
    spec("status", "enum", vocabulary="supervision_status"),
    spec("stage", "enum", vocabulary="supervision_stage"),
    spec("level", "enum", vocabulary="supervision_level"),
]
ACCOUNTABILITY_FIELDS = [
    spec("unit", "unit", True),
    spec("reason", "textarea", True, max_length=4000),
    spec("target_kind", "enum", label="kind",
         options=[{"value": v, "label": {"zh": v, "en": v}} for v in ("lead", "unit", "rectification", "supervision")]),
    spec("level", "enum", False, "supervision_level", default="ordinary"),
]
_FINAL_RECTIFICATION = {"closed"}
_TARGET_MODELS = {"lead": Lead, "rectification": RectificationItem, "supervision": SupervisionCase, "unit": Unit}


def _given(**values) -> dict:
    return {key: value for key, value in values.items() if value is not None}


def _iso(value):
    return value.isoformat() if value is not None else None


class DomainServices:
    """The functions of one engine command, bound to its session and actor."""

    def __init__(self, session, actor_name: str | None, start_process, locale: str = "zh"):
        self.session = session
        self.actor = actor_name
        self.start_process = start_process
        self.locale = locale

    # -- helpers ---------------------------------------------------------

    def _load(self, specs, values: dict) -> dict:
        return load_specs(specs, values, self.locale, active_unit_codes(self.session))

    def _get(self, model, record_id, field_id: str, message_key: str):
        if isinstance(record_id, str) and record_id.strip().isdigit():
            record_id = int(record_id)
        ok = isinstance(record_id, int) and not isinstance(record_id, bool)
        record = self.session.get(model, record_id) if ok else None
        if record is None:
            raise ValidationFailed(field_error(field_id, message_key, self.locale))
        return record

    def _references(self, values: dict) -> None:
        errors = records.check_references(self.session, values, self.locale)
        if errors:
            raise ValidationFailed(errors)

    def _started(self, result) -> int | None:
        """The instance id from what start_process returned: an id, a ProcessInstance
        (its id comes with a flush), or None (started after commit)."""
        if isinstance(result, int) and not isinstance(result, bool):
            return result
        if result is not None and hasattr(result, "id"):
            if result.id is None:
                self.session.flush()
            return result.id
        return None

    # -- leads -----------------------------------------------------------

    def update_lead(self, lead_id, **fields) -> None:
        unknown = sorted(set(fields) - {spec_["id"] for spec_ in LEAD_UPDATE_FIELDS})
        if unknown:
            raise ValidationFailed({name: [f"{name}: not a lead field update_lead may set"] for name in unknown})
        lead = self._get(Lead, lead_id, "lead_id", "not_found")
        values = self._load(LEAD_UPDATE_FIELDS, _given(**fields))
        if values.get("recovered_amount") is not None:
            values["recovered_amount"] = round(values["recovered_amount"])  # whole yuan
        for name, value in values.items():
            setattr(lead, name, value)
        now = clock.now()
        if "status" in values:
            lead.closed_at = now if values["status"] in ("closed", "withdrawn") else None
        lead.updated_at = now
        audit(self.session, self.actor, "lead.updated", instance_id=lead.instance_id, lead_id=lead.id,
              fields={name: _iso(value) if hasattr(value, "isoformat") else value for name, value in values.items()})

    def lead_info(self, lead_id) -> dict:
        lead = self._get(Lead, lead_id, "lead_id", "not_found")
        return {
            "id": lead.id, "number": lead.number, "channel": lead.channel, "sector": lead.sector,
            "subject_id": lead.subject_id, "subject_name": lead.subject_display_name,
            "responsible_unit": lead.responsible_unit, "suggested_unit": SECTOR_UNIT.get(lead.sector),
            "status": lead.status, "result": lead.result, "major": lead.major,
            "received_at": _iso(lead.received_at), "feedback_deadline": _iso(lead.feedback_deadline),
            "duplicate_of_id": lead.duplicate_of_id,
        }

    # -- risk and disposal ---------------------------------------------------

    def record_risk_grade(self, subject_id, grade, people_involved, money_at_risk, opinion_heat,
                          stability_risk, note=None, lead_id=None, computed_grade=None, grading_rule=None,
                          grading_decision=None, override_reason=None) -> int:
        """A grade in the subject's history. Graded by rule, it keeps the grade the table gave, the rule
        and the table's version; a grade other than the table's needs `override_reason` (audited)."""
        values = self._load(RISK_GRADE_FIELDS, _given(
            subject_id=subject_id, grade=grade, people_involved=people_involved, money_at_risk=money_at_risk,
            opinion_heat=opinion_heat, stability_risk=stability_risk, note=note, lead_id=lead_id,
            computed_grade=computed_grade, grading_rule=grading_rule, grading_decision=grading_decision,
            override_reason=override_reason))
        self._references(values)
        computed = values.get("computed_grade")
        overridden = computed is not None and computed != values["grade"]
        reason = values.get("override_reason") if overridden else None
        if overridden and not reason:
            raise ValidationFailed(field_error("override_reason", "required", self.locale))
        subject = self.session.get(Subject, values["subject_id"])
        now = clock.now()
        assessment = RiskAssessment(
            subject=subject, lead_id=values.get("lead_id"), grade=values["grade"],
            people_involved=values["people_involved"], money_at_risk=round(values["money_at_risk"]),
            opinion_heat=values["opinion_heat"], stability_risk=values["stability_risk"],
            note=values.get("note"), assessed_at=now, assessed_by=self.actor, computed_grade=computed,
            grading_rule=values.get("grading_rule") if computed else None,
            grading_decision=values.get("grading_decision") if computed else None, override_reason=reason)
        subject.grade, subject.graded_at = values["grade"], now
        self.session.add(assessment)
        self.session.flush()
        audit(self.session, self.actor, "risk.graded", subject_id=subject.id, grade=assessment.grade,
              assessment_id=assessment.id, computed_grade=computed, rule=assessment.grading_rule,
              decision=assessment.grading_decision)
        if overridden:
            audit(self.session, self.actor, "risk.grade_overridden", reason=reason, subject_id=subject.id,
                  grade=assessment.grade, computed_grade=computed, rule=assessment.grading_rule,
                  assessment_id=assessment.id)
        return assessment.id

    def record_disposal(self, subject_id, measure, unit, officer, note="", lead_id=None, documents=None) -> int:
        values = self._load(DISPOSAL_FIELDS, _given(
            subject_id=subject_id, lead_id=lead_id, measure=measure, unit=unit, officer=officer, note=note,
            documents=documents))
        if values.get("subject_id") is None and values.get("lead_id") is None:
            raise ValidationFailed(field_error("subject_id", "required", self.locale))
        self._references(values)
        if values.get("lead_id") is not None:
            # The lead's feedback reported this measure before its graded disposal recorded it:
            # the same measure, now with the full record (officer, document numbers); the lead
            # keeps one, so the figures count it once.
            lead = self.session.get(Lead, values["lead_id"])
            for row in self._feedback_disposals(lead):
                if row.measure == values["measure"]:
                    self._withdraw_disposal(row, WITHDRAWN_RECORDED_ELSEWHERE)
        disposal = self._add_disposal(
            subject_id=values.get("subject_id"), lead_id=values.get("lead_id"), measure=values["measure"],
            unit=values["unit"], officer=values.get("officer") or self.actor, note=values.get("note", ""),
            documents=values.get("documents", []))
        return disposal.id

    def _add_disposal(self, *, source=None, instance_id=None, **columns) -> Disposal:
        disposal = Disposal(**columns, disposed_at=clock.now(), recorded_by=self.actor)
        self.session.add(disposal)
        self.session.flush()
        audit(self.session, self.actor, "disposal.recorded", instance_id=instance_id, disposal_id=disposal.id,
              measure=disposal.measure, subject_id=disposal.subject_id, lead_id=disposal.lead_id,
              **_given(source=source))
        return disposal

    def _withdraw_disposal(self, disposal: Disposal, reason: str) -> None:
        lead = disposal.lead
        audit(self.session, self.actor, "disposal.withdrawn", instance_id=self._lead_instance(lead),
              reason=reason, disposal_id=disposal.id, measure=disposal.measure, subject_id=disposal.subject_id,
              lead_id=disposal.lead_id)
        self.session.delete(disposal)
        self.session.flush()
        if lead is not None:
            self.session.expire(lead, ["disposals"])

    def _lead_instance(self, lead: Lead | None) -> int | None:
        """The lead's own lead_handling instance, under which its feedback's disposals are filed
        (None: the instance running this command, as for any event a script records)."""
        return lead.instance_id if lead is not None else None

    def _feedback_disposals(self, lead: Lead) -> list[Disposal]:
        """The lead's disposals recorded from its feedback (record_feedback_measures)."""
        rows = self.session.scalars(select(Disposal).where(Disposal.lead_id == lead.id)
                                    .order_by(Disposal.id)).all()
        if not rows:
            return []
        current = self.session.info.get(deferred_rows.CURRENT_INSTANCE)
        instances = {lead.instance_id, getattr(current, "id", None)} - {None}
        if not instances:
            return []
        events = self.session.scalars(select(AuditEvent.data).where(
            AuditEvent.instance_id.in_(sorted(instances)), AuditEvent.action == "disposal.recorded"))
        ids = {data.get("disposal_id") for data in events
               if data and data.get("source") == FEEDBACK_SOURCE and data.get("lead_id") == lead.id}
        return [row for row in rows if row.id in ids]

    def record_feedback_measures(self, lead_id, handling, note=None) -> list[int]:
        """The measures chosen at the lead's 查办反馈 (`handling`, form lead/feedback), as disposals.

        One disposal for each chosen measure that is a disposal (labels.FEEDBACK_MEASURE; an
        option the table does not know, added to the form by an administrator, is recorded only
        if it is itself a disposal measure: the feedback must not fail over it). Each is linked
        to the lead and its subject, taken by the lead's responsible unit, recorded for the
        officer who submitted the feedback, dated now, with the feedback's description
        (查办情况) as its note.

        Feeding back again after the office sent the feedback back (退回重新核查): the latest
        feedback is the unit's account of the whole handling, and what the case and the figures
        show must agree with it, counting each measure once. So its measures replace the earlier
        feedback's: a measure reported again keeps its disposal and date (it was taken when first
        reported; last month's report does not change) with the latest description; a measure
        no longer reported is withdrawn (deleted, audited `disposal.withdrawn`: the unit corrected
        its account); a new one is added. Submitting the same feedback twice changes nothing.

        A measure the lead already has from its graded disposal (risk_disposal started from the
        lead records it with the lead) is not recorded again: the feedback reports the same
        measure, which is already counted with its full record (record_disposal, conversely,
        takes the place of a feedback disposal of the same measure). Disposals of the lead's
        subject not linked to this lead are other matters and are left alone.

        A lead whose institution is unknown (no subject) still gets its disposals, linked to
        the lead alone: they count in the unit's and the campaign's figures and show on the
        lead's page; as they name no institution they cannot reach a subject page or the risk
        ledger (one row per institution).

        Returns the ids of the lead's feedback disposals, oldest first."""
        values = self._load(FEEDBACK_MEASURE_FIELDS, _given(lead_id=lead_id, note=note))
        lead = self._get(Lead, values["lead_id"], "lead_id", "not_found")
        if handling is None:
            handling = []
        elif isinstance(handling, str):
            handling = [handling]
        if not isinstance(handling, list | tuple) or not all(isinstance(item, str) for item in handling):
            raise ValidationFailed(field_error("handling", "invalid_list", self.locale))
        wanted = []
        for option in handling:
            measure = FEEDBACK_MEASURE[option] if option in FEEDBACK_MEASURE else (
                option if option in MEASURE else None)
            if measure is not None and measure not in wanted:
                wanted.append(measure)
        if wanted and not lead.responsible_unit:
            raise ValidationFailed(field_error("responsible_unit", "required", self.locale))

        ours = self._feedback_disposals(lead)
        elsewhere = {row.measure for row in lead.disposals if row not in ours}
        text = values.get("note") or ""
        kept = {}
        for row in ours:
            if row.measure not in wanted:
                self._withdraw_disposal(row, WITHDRAWN_NOT_REPORTED)
            elif row.measure in elsewhere:
                self._withdraw_disposal(row, WITHDRAWN_RECORDED_ELSEWHERE)
            elif row.measure in kept:
                self._withdraw_disposal(row, WITHDRAWN_DUPLICATE)
            else:
                kept[row.measure] = row
                if row.note != text:
                    row.note = text
                    audit(self.session, self.actor, "disposal.updated", instance_id=self._lead_instance(lead),
                          disposal_id=row.id, measure=row.measure, lead_id=lead.id, fields=["note"])
        for measure in wanted:
            if measure not in kept and measure not in elsewhere:
                kept[measure] = self._add_disposal(
                    source=FEEDBACK_SOURCE, instance_id=self._lead_instance(lead), subject_id=lead.subject_id,
                    lead_id=lead.id, measure=measure, unit=lead.responsible_unit, officer=self.actor, note=text,
                    documents=[])
        self.session.expire(lead, ["disposals"])
        return sorted(row.id for row in kept.values())

    def record_police_receipt(self, receipt_no, accepting_unit=None, accepted_on=None, subject_id=None,
                              lead_id=None, paper=False) -> None:
        """The police's acceptance receipt (受理回执) of a case transferred to them (移送公安机关):
        sent by the police's system as a message, or entered from paper by the special office.
        Kept on the case's trail (`police.receipt_received`), which its timeline shows in words."""
        if isinstance(accepted_on, str) and "T" in accepted_on:  # a date-time from the police's system
            accepted_on = accepted_on.split("T", 1)[0]
        values = self._load(POLICE_RECEIPT_FIELDS, _given(
            receipt_no=None if receipt_no is None else str(receipt_no).strip() or None,
            accepting_unit=None if accepting_unit is None else str(accepting_unit).strip() or None,
            accepted_on=accepted_on or None, subject_id=subject_id, lead_id=lead_id))
        self._references(values)
        audit(self.session, self.actor, "police.receipt_received", receipt_no=values["receipt_no"],
              accepting_unit=values.get("accepting_unit"), accepted_on=_iso(values.get("accepted_on")),
              paper=bool(paper), **_given(subject_id=values.get("subject_id"), lead_id=values.get("lead_id")))

    def record_completion_report(self, lead_id, sent) -> None:
        """The lead's completion report (报送办结情况) went to the superior platform (`sent`), or
        was recorded without sending (no platform configured): on the case's trail."""
        lead = self._get(Lead, lead_id, "lead_id", "not_found")
        audit(self.session, self.actor, "lead.completion_reported", lead_id=lead.id, number=lead.number,
              sent=sent in (True, "true", 1))

    # -- rectification -----------------------------------------------------

    def open_rectification(self, subject_id, problem, unit, deadline, measures, person="", lead_id=None) -> int:
        item = records.create_rectification_item(self.session, _given(
            subject_id=subject_id, lead_id=lead_id, problem=problem, responsible_unit=unit, deadline=deadline,
            measures=measures, responsible_person=person), self.actor, self.locale)
        started = self.start_process("rectification", {
            "item_id": item.id, "subject_id": item.subject_id, "lead_id": item.lead_id,
            "responsible_unit": item.responsible_unit, "deadline": item.deadline.isoformat()})
        item.instance_id = self._started(started)
        return item.id

    def update_rectification(self, item_id, status, lookback_result=None, evidence=None, deadline=None) -> None:
        values = self._load(RECTIFICATION_UPDATE_FIELDS, _given(
            item_id=item_id, status=status, lookback_result=lookback_result, evidence=evidence, deadline=deadline))
        item = self._get(RectificationItem, values["item_id"], "item_id", "not_found")
        now = clock.now()
        item.status = values["status"]
        if "lookback_result" in values:
            item.lookback_result = values["lookback_result"]
        if values.get("evidence"):
            item.evidence = list(dict.fromkeys([*(item.evidence or []), *values["evidence"]]))
        if values.get("deadline"):
            item.deadline = values["deadline"]  # a new deadline set by the office (sent back, reopened)
        item.closed_at = now if item.status in _FINAL_RECTIFICATION else None
        item.updated_at = now
        audit(self.session, self.actor, "rectification.updated", instance_id=item.instance_id, item_id=item.id,
              status=item.status)

    # -- supervision and accountability ----------------------------------------

    def _target(self, kind, target_id) -> int | None:
        """The id of what a supervision or accountability is about. It must exist;
        a unit may be given by its code; leads and rectification items need one."""
        if target_id is None or target_id == "":
            if kind in ("lead", "rectification"):
                raise ValidationFailed(field_error("target_id", "required", self.locale))
            return None
        if kind == "unit" and isinstance(target_id, str) and not target_id.strip().isdigit():
            unit_id = self.session.scalar(select(Unit.id).where(Unit.code == target_id.strip()))
            if unit_id is None:
                raise ValidationFailed(field_error("target_id", "not_found", self.locale))
            return unit_id
        model = _TARGET_MODELS.get(kind)
        if model is None:
            values = self._load([spec("target_id", "integer", min=1)], {"target_id": target_id})
            return values["target_id"]
        return self._get(model, target_id, "target_id", "not_found").id

    def start_supervision(self, kind, target_id, unit, reason, level="ordinary") -> int:
        values = self._load(SUPERVISION_FIELDS, _given(kind=kind, unit=unit, reason=reason, level=level))
        kind = values["kind"]
        target_id = self._target(kind, target_id)
        id_variable = {"lead": "lead_id", "rectification": "item_id"}.get(kind)
        start_data = {id_variable: target_id} if id_variable else {}
        now = clock.now()
        case = SupervisionCase(
            number=next_number(self.session, SUPERVISION_PREFIX, now), kind=kind, target_id=target_id,
            unit=values["unit"], reason=values["reason"], level=values["level"], status="open",
            opened_at=now, opened_by=self.actor)
        self.session.add(case)
        self.session.flush()
        audit(self.session, self.actor, "supervision.opened", case_id=case.id, number=case.number, kind=kind,
              target_id=target_id, unit=case.unit, level=case.level)
        started = self.start_process("supervision", {
            **start_data, "case_id": case.id, "kind": kind, "target_id": target_id, "unit": case.unit,
            "responsible_unit": case.unit, "reason": case.reason, "level": case.level})
        case.instance_id = self._started(started)
        return case.id

    def update_supervision(self, case_id, status=None, stage=None, level=None) -> None:
        case = self._get(SupervisionCase, case_id, "case_id", "not_found")
        values = self._load(SUPERVISION_UPDATE_FIELDS, _given(status=status, stage=stage, level=level))
        for name, value in values.items():
            setattr(case, name, value)
        if "status" in values:
            case.closed_at = clock.now() if values["status"] == "closed" else None
        audit(self.session, self.actor, "supervision.updated", instance_id=case.instance_id, case_id=case.id,
              **values)

    def open_accountability(self, unit, reason, target_kind=None, target_id=None, level="ordinary") -> int:
        values = self._load(ACCOUNTABILITY_FIELDS, _given(
            unit=unit, reason=reason, target_kind=target_kind, level=level))
        target_id = self._target(values.get("target_kind"), target_id)
        record = AccountabilityRecord(
            target_kind=values.get("target_kind"), target_id=target_id, unit=values["unit"],
            reason=values["reason"], level=values["level"], status="open", opened_at=clock.now(),
            opened_by=self.actor)
        self.session.add(record)
        self.session.flush()
        audit(self.session, self.actor, "accountability.opened", record_id=record.id, unit=record.unit,
              target_kind=record.target_kind, target_id=record.target_id)
        return record.id

    # -- deadlines ---------------------------------------------------------

    def workdays_after(self, n, start=None) -> str:
        """ISO date-time `n` working days after now (or after `start`), with local overrides."""
        values = self._load([spec("n", "integer", True, label="workdays", min=0, max=deadlines.MAX_WORKDAYS),
                             spec("start", "datetime")], _given(n=n, start=start))
        begin = values.get("start") or clock.now()
        return WorkCalendar.from_session(self.session).add_workdays(begin, values["n"]).isoformat()

    # -- monthly returns (月报表, domain.returns) -----------------------------------

    def open_monthly_returns(self, month=None) -> int:
        """Open the month's returns (default: last month) and start each unit's task; how many."""
        from domain import returns
        month = month or returns.previous_month(clock.now())
        try:
            returns.month_period(str(month))
        except ValueError:
            raise ValidationFailed(field_error("month", "invalid", self.locale)) from None
        return len(returns.open_month(self.session, str(month), self.start_process, self.actor))

    def submit_monthly_return(self, return_id, values) -> None:
        """The unit's submission, checked by the return page, written as its task completes."""
        from domain import returns
        from domain.models import MonthlyReturn
        record = self._get(MonthlyReturn, return_id, "return_id", "not_found")
        returns.apply(self.session, record, values, self.actor, submit=True)

    def as_dict(self) -> dict:
        names = ("update_lead", "lead_info", "record_risk_grade", "record_disposal", "record_feedback_measures",
                 "record_police_receipt", "record_completion_report", "open_rectification",
                 "update_rectification", "start_supervision", "update_supervision", "open_accountability",
                 "workdays_after", "open_monthly_returns", "submit_monthly_return")
        return {name: getattr(self, name) for name in names}


def make_service_functions(session, actor_name: str | None, start_process, locale: str = "zh") -> dict:
    """name -> callable, bound to `session` (the engine command's transaction)."""
    return DomainServices(session, actor_name, start_process, locale).as_dict()
