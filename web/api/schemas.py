"""marshmallow schemas of the API's requests and responses; flask-smorest turns them
into the OpenAPI document. Request schemas check shape and types (422 with messages
keyed by field); the domain (register_lead, task forms) then applies its own rules."""
import marshmallow as ma
from marshmallow import fields, validate
from flask_smorest.fields import Upload
from werkzeug.datastructures import FileStorage

from domain.api_tokens import SCOPES
from domain.labels import CHANNEL, LEAD_STATUS, SECTOR

MAX_ID = 2**63 - 1  # BIGINT; larger ids would overflow the database driver
MAX_PAGE = 100_000
MAX_PER_PAGE = 100


def clean_text(value) -> str | None:
    """Why a string cannot be stored: NUL characters (PostgreSQL refuses them) or lone surrogates."""
    if "\x00" in value:
        return "NUL characters are not allowed."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "Not valid Unicode text."
    return None


def find_bad_text(value, path=()) -> tuple[tuple, str] | None:
    """The first string (key or value) in a JSON value that `clean_text` refuses, with its path."""
    if isinstance(value, str):
        problem = clean_text(value)
        return (path, problem) if problem else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = find_bad_text(str(key), path + (str(key),)) or find_bad_text(item, path + (str(key),))
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = find_bad_text(item, path + (str(index),))
            if found:
                return found
    return None


class Str(fields.String):
    """A string the database can store."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        problem = clean_text(value)
        if problem:
            raise ma.ValidationError(problem)
        return value


class JsonObject(fields.Dict):
    """A JSON object of variables (keys are strings); strings in it must be storable."""

    def __init__(self, **kwargs):
        super().__init__(keys=fields.String(), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        found = find_bad_text(value)
        if found:
            raise ma.ValidationError({".".join(found[0]) or "_": [found[1]]})
        return value


class FileUpload(Upload):
    """A file part of a multipart body (a plain text field of the same name is refused)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, FileStorage):
            raise ma.ValidationError("Send a file (a multipart part with a filename), not a text field.")
        return value


def Id(**kwargs):  # noqa: N802 - a field factory, read like a field class
    return fields.Integer(strict=True, validate=validate.Range(1, MAX_ID), **kwargs)


class Strict(ma.Schema):
    """Unknown fields are an error (a typo should not be silently ignored)."""

    class Meta:
        unknown = ma.RAISE
        ordered = True


# -- common -------------------------------------------------------------------

class PageQuery(Strict):
    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE))
    per_page = fields.Integer(load_default=20, validate=validate.Range(1, MAX_PER_PAGE))


class ErrorOut(ma.Schema):
    """Every error is JSON; `errors` maps fields to messages (422, 400)."""

    class Meta:
        unknown = ma.INCLUDE  # an unknown /api/v1 path is answered by the app: {"error": 404, "message"}

    code = fields.Integer(metadata={"description": "the HTTP status code"})
    status = fields.String(metadata={"description": "the HTTP status name"})
    message = fields.String(metadata={"description": "what went wrong, for a person"})
    errors = fields.Dict(metadata={"description": "messages by field id (nested for nested fields)"})


class PageInfo(ma.Schema):
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)


# -- leads --------------------------------------------------------------------

class ReporterIn(Strict):
    anonymous = fields.Boolean(metadata={"description": "a reporter who is not anonymous gives a name or a phone"})
    name = Str(allow_none=True, validate=validate.Length(max=100))
    phone = Str(allow_none=True, validate=validate.Length(max=40))
    contact = Str(allow_none=True, validate=validate.Length(max=200))


class LeadIn(Strict):
    channel = Str(required=True, validate=validate.OneOf(list(CHANNEL)))
    external_ref = Str(allow_none=True, validate=validate.Length(max=100), metadata={
        "description": "The caller's reference number. With `channel` it makes the push idempotent: "
                       "the same lead pushed again returns the existing lead (200) instead of a new one (201)."})
    received_at = fields.DateTime(required=True, metadata={
        "description": "When the channel received it (ISO 8601; without an offset it is Beijing time); "
                       "not in the future"})
    summary = Str(required=True, validate=validate.Length(min=1, max=4000))
    subject_id = Id(allow_none=True)
    subject_name = Str(allow_none=True, validate=validate.Length(max=300))
    subject_credit_code = Str(allow_none=True, validate=validate.Length(max=40),
                              metadata={"description": "统一社会信用代码 (18 characters)"})
    sector = Str(required=True, validate=validate.OneOf(list(SECTOR)))
    responsible_unit = Str(allow_none=True, validate=validate.Length(max=40),
                           metadata={"description": "a unit code, see GET /units"})
    feedback_deadline = Str(allow_none=True, validate=validate.Length(max=40), metadata={
        "description": "ISO 8601 date (end of that day, Beijing time) or date-time, in the future"})
    major = fields.Boolean()
    reporter = fields.Nested(ReporterIn, allow_none=True)


class ReporterOut(ma.Schema):
    anonymous = fields.Boolean(required=True)
    name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    contact = fields.String(allow_none=True)
    masked = fields.Boolean(required=True)


class MaskedReporter(fields.Nested):
    """The lead's reporter as anyone handling the lead may see it (domain.reporters.masked_reporter)."""

    def __init__(self, **kwargs):
        super().__init__(ReporterOut, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        from domain.reporters import masked_reporter
        return super()._serialize(masked_reporter(value), attr, obj, **kwargs)


class LeadOut(ma.Schema):
    id = fields.Integer(required=True)
    number = fields.String(required=True, metadata={"description": "XS-2026-000123"})
    channel = fields.String(required=True)
    external_ref = fields.String(allow_none=True)
    received_at = fields.DateTime(required=True)
    summary = fields.String(required=True)
    subject_id = fields.Integer(allow_none=True)
    subject_name = fields.String(allow_none=True, attribute="subject_display_name")
    sector = fields.String(required=True)
    responsible_unit = fields.String(allow_none=True)
    status = fields.String(required=True, metadata={"enum": list(LEAD_STATUS)})
    result = fields.String(allow_none=True)
    major = fields.Boolean(required=True)
    feedback_deadline = fields.DateTime(allow_none=True)
    duplicate_of_id = fields.Integer(allow_none=True)
    instance_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime(required=True)
    created_by = fields.String(allow_none=True)
    updated_at = fields.DateTime(required=True)
    closed_at = fields.DateTime(allow_none=True)
    reporter = MaskedReporter(allow_none=True, metadata={"description": "masked (保护举报人)"})


class LeadQuery(PageQuery):
    status = Str(validate=validate.Length(max=20))
    channel = Str(validate=validate.Length(max=40))
    sector = Str(validate=validate.Length(max=40))
    unit = Str(validate=validate.Length(max=40), metadata={"description": "responsible unit code"})
    external_ref = Str(validate=validate.Length(max=100))


class LeadPage(PageInfo):
    items = fields.List(fields.Nested(LeadOut), required=True)


# -- tasks --------------------------------------------------------------------

class CommaList(fields.Field):
    """"a,b" in the database, ["a", "b"] in JSON."""

    def _serialize(self, value, attr, obj, **kwargs):
        return [item for item in (value or "").split(",") if item]


class TaskOut(ma.Schema):
    id = fields.Integer(required=True)
    instance_id = fields.Integer(required=True)
    process_id = fields.String(required=True)
    element_id = fields.String(required=True)
    name = fields.String(required=True)
    form_key = fields.String(allow_none=True)
    assignee = fields.String(allow_none=True)
    candidate_users = CommaList(metadata={"type": "array", "items": {"type": "string"}})
    candidate_groups = CommaList(metadata={"type": "array", "items": {"type": "string"}})
    priority = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"enum": ["open", "completed", "cancelled"]})
    created_at = fields.DateTime(required=True)
    due_at = fields.DateTime(allow_none=True)
    completed_by = fields.String(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    overdue_since = fields.DateTime(allow_none=True)
    escalation_rung = fields.String(allow_none=True)
    supervision_level = fields.String(allow_none=True)
    business_key = fields.Method("instance_business_key", allow_none=True,
                                 metadata={"type": "string", "description": "the case number, e.g. XS-2026-000123"})

    def instance_business_key(self, task):
        return task.instance.business_key if task.instance is not None else None


class TaskDetail(TaskOut):
    form = fields.Dict(allow_none=True, metadata={
        "description": "the task's form (processes/forms/<form_key>.json): the fields `complete` expects"})


class TaskQuery(PageQuery):
    mine = fields.Boolean(metadata={"description": "true: only tasks claimed by me; false: only unclaimed ones"})
    process_id = Str(validate=validate.Length(max=200))
    overdue = fields.Boolean(metadata={"description": "true: only tasks past their due time"})


class TaskPage(PageInfo):
    items = fields.List(fields.Nested(TaskOut), required=True)


class CompleteIn(Strict):
    data = JsonObject(load_default=dict, metadata={
        "description": "the form's values by field id (see `form` of GET /tasks/{task_id})"})


class CompletionOut(ma.Schema):
    task = fields.Nested(TaskOut, required=True)
    outcome = fields.String(required=True, metadata={
        "enum": ["completed", "resolved"], "description": "resolved: a delegate handed the task back to its owner"})
    instance_status = fields.String(required=True)
    next_tasks = fields.List(fields.Nested(TaskOut), required=True,
                             metadata={"description": "open tasks of the same case the caller may see"})


# -- instances ----------------------------------------------------------------

class StartIn(Strict):
    process_id = Str(required=True, validate=validate.Length(min=1, max=200))
    version = fields.Integer(strict=True, allow_none=True, validate=validate.Range(1, 2**31 - 1),
                             metadata={"description": "default: the latest version"})
    business_key = Str(allow_none=True, validate=validate.Length(max=200))
    data = JsonObject(load_default=dict, metadata={"description": "start variables"})


class MessageIn(Strict):
    name = Str(required=True, validate=validate.Length(min=1, max=400), metadata={"description": "message name"})
    business_key = Str(allow_none=True, validate=validate.Length(max=200))
    correlation_keys = JsonObject(load_default=dict, metadata={"description": "process variables that must match"})
    instance_id = fields.Integer(strict=True, allow_none=True, validate=validate.Range(1, 2**63 - 1))
    variables = JsonObject(load_default=dict, metadata={"description": "variables the message carries"})
    all = fields.Boolean(load_default=False, metadata={"description": "deliver to every match"})


class CorrelatedOut(ma.Schema):
    instance_id = fields.Integer(required=True)
    started = fields.Boolean(required=True, metadata={"description": "the message started this instance"})


class SignalIn(Strict):
    name = Str(required=True, validate=validate.Length(min=1, max=400), metadata={"description": "signal name"})
    variables = JsonObject(load_default=dict)


class SignalOut(ma.Schema):
    delivered = fields.Integer(required=True, metadata={"description": "instances reached or started"})


class EventOut(ma.Schema):
    id = fields.Integer(required=True)
    at = fields.DateTime(required=True)
    actor = fields.String(allow_none=True)
    action = fields.String(required=True)
    task_id = fields.Integer(allow_none=True)
    element_id = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    data = fields.Raw(allow_none=True)


class IncidentOut(ma.Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    message = fields.String(required=True)
    element_id = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
    resolved_at = fields.DateTime(allow_none=True)


class InstanceOut(ma.Schema):
    id = fields.Integer(required=True)
    process_id = fields.String(required=True)
    definition_id = fields.Integer(required=True)
    version = fields.Integer(required=True)
    process_name = fields.String(required=True)
    business_key = fields.String(allow_none=True)
    status = fields.String(required=True,
                           metadata={"enum": ["running", "completed", "cancelled", "suspended", "error"]})
    started_by = fields.String(allow_none=True)
    started_at = fields.DateTime(required=True)
    ended_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime(required=True)


class InstanceDetail(InstanceOut):
    tasks = fields.List(fields.Nested(TaskOut), required=True)
    events = fields.List(fields.Nested(EventOut), required=True)
    incidents = fields.List(fields.Nested(IncidentOut), required=True)


# -- definitions --------------------------------------------------------------

class DefinitionOut(ma.Schema):
    id = fields.Integer(required=True)
    process_id = fields.String(required=True)
    version = fields.Integer(required=True)
    name = fields.String(required=True)
    checksum = fields.String(required=True)
    filename = fields.String(required=True)
    deployed_at = fields.DateTime(required=True)
    deployed_by = fields.String(allow_none=True)
    comment = fields.String(allow_none=True)


class DefinitionQuery(PageQuery):
    process_id = Str(validate=validate.Length(max=200))
    latest = fields.Boolean(load_default=False, metadata={"description": "only the latest version of each process"})


class DefinitionPage(PageInfo):
    items = fields.List(fields.Nested(DefinitionOut), required=True)


class DeployUpload(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE  # the CSRF token of a page's form may come along

    file = FileUpload(required=True, metadata={"description": "the .bpmn file (BPMN 2.0 XML with Camunda attributes)"})
    comment = Str(allow_none=True, validate=validate.Length(max=2000))
    decisions = fields.List(FileUpload(), load_default=list, validate=validate.Length(max=20), metadata={
        "description": "DMN files deployed with it, in the same deployment: what a business rule task with "
                       "`camunda:decisionRefBinding=\"deployment\"` evaluates"})


class ProblemOut(ma.Schema):
    message = fields.String(required=True)
    element_id = fields.String(allow_none=True)
    line = fields.Integer(allow_none=True)
    file = fields.String(allow_none=True)
    severity = fields.String(required=True)


class DeployedOtherOut(ma.Schema):
    definition = fields.Nested(DefinitionOut, required=True)
    created = fields.Boolean(required=True)


class DecisionOut(ma.Schema):
    id = fields.Integer(required=True)
    key = fields.String(required=True, attribute="decision_key",
                        metadata={"description": "the decision's id in the DMN XML"})
    version = fields.Integer(required=True)
    name = fields.String(required=True)
    hit_policy = fields.String(required=True, metadata={"description": "e.g. UNIQUE, FIRST, COLLECT SUM"})
    checksum = fields.String(required=True)
    filename = fields.String(required=True)
    deployment_id = fields.String(required=True, metadata={
        "description": "shared with the process versions deployed in the same request"})
    deployed_at = fields.DateTime(required=True)
    deployed_by = fields.String(allow_none=True)
    comment = fields.String(allow_none=True)


class DeployedDecisionOut(ma.Schema):
    decision = fields.Nested(DecisionOut, required=True)
    created = fields.Boolean(required=True, metadata={"description": "false: the same file was deployed before"})


class DeployOut(ma.Schema):
    definition = fields.Nested(DefinitionOut, required=True)
    created = fields.Boolean(required=True, metadata={"description": "false: the same XML was deployed before"})
    warnings = fields.List(fields.Nested(ProblemOut), required=True)
    others = fields.List(fields.Nested(DeployedOtherOut), required=True,
                         metadata={"description": "the file's other executable processes, each with its own versions"})
    decisions = fields.List(fields.Nested(DeployedDecisionOut), required=True,
                            metadata={"description": "the decisions of the DMN files deployed with it"})


# -- decisions (DMN) ------------------------------------------------------------

class DecisionQuery(PageQuery):
    key = Str(validate=validate.Length(max=200))
    latest = fields.Boolean(load_default=False, metadata={"description": "only the latest version of each decision"})


class DecisionPage(PageInfo):
    items = fields.List(fields.Nested(DecisionOut), required=True)


class DecisionUpload(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE  # the CSRF token of a page's form may come along

    file = FileUpload(required=True, metadata={"description": "the .dmn file (DMN 1.3 XML as Camunda Modeler writes it)"})
    comment = Str(allow_none=True, validate=validate.Length(max=2000))


class DecisionDeployOut(ma.Schema):
    decisions = fields.List(fields.Nested(DeployedDecisionOut), required=True,
                            metadata={"description": "each decision of the file, in file order"})
    warnings = fields.List(fields.Nested(ProblemOut), required=True)


class EvaluateIn(Strict):
    variables = JsonObject(load_default=dict, metadata={"description": "the inputs by variable name"})
    version = fields.Integer(strict=True, allow_none=True, validate=validate.Range(1, 2**31 - 1),
                             metadata={"description": "default: the latest version"})


class DecisionRefOut(ma.Schema):
    id = fields.Integer(required=True)
    key = fields.String(required=True, attribute="decision_key")
    version = fields.Integer(required=True)
    name = fields.String(required=True)
    hit_policy = fields.String(required=True)


class MatchedRuleOut(ma.Schema):
    rule_id = fields.String(required=True, metadata={"description": "the rule's id in the DMN XML"})
    row = fields.Integer(required=True, metadata={"description": "1-based, as the table editor numbers rules"})
    description = fields.String(allow_none=True)
    outputs = fields.Dict(required=True)


class EvaluationOut(ma.Schema):
    decision = fields.Nested(DecisionRefOut, required=True)
    results = fields.List(fields.Dict(), required=True, metadata={
        "description": "after the hit policy: one object (output name -> value) per result"})
    matched = fields.List(fields.Nested(MatchedRuleOut), required=True,
                          metadata={"description": "the rules that matched, in table order"})
    inputs = fields.Dict(required=True, metadata={"description": "each input's value as the table read it, "
                                                                 "by column label"})


# -- units and statistics -----------------------------------------------------

class UnitOut(ma.Schema):
    code = fields.String(required=True)
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": ["office", "member_unit", "community"]})
    parent = fields.Function(lambda unit: unit.parent.code if unit.parent else None, allow_none=True,
                             metadata={"type": "string", "nullable": True})
    active = fields.Boolean(required=True)


class UnitQuery(Strict):
    include_inactive = fields.Boolean(load_default=False)


class Counts(fields.Dict):
    def __init__(self, **kwargs):
        super().__init__(keys=fields.String(), values=fields.Integer(), **kwargs)


class LeadStats(ma.Schema):
    total = fields.Integer(required=True)
    by_status = Counts(required=True)
    by_channel = Counts(required=True)


class TaskStats(ma.Schema):
    open_total = fields.Integer(required=True)
    overdue_total = fields.Integer(required=True)
    open_by_unit = Counts(required=True, metadata={"description": "open tasks per candidate unit"})
    overdue_by_unit = Counts(required=True)


class StatisticsOut(ma.Schema):
    generated_at = fields.DateTime(required=True)
    scope = fields.String(required=True, metadata={
        "description": "'all' or the comma-separated units the counts are limited to (the caller's visibility)"})
    leads = fields.Nested(LeadStats, required=True)
    tasks = fields.Nested(TaskStats, required=True)


# -- tokens -------------------------------------------------------------------

class TokenIn(Strict):
    user = Str(required=True, validate=validate.Length(min=1, max=200),
               metadata={"description": "the username the token acts as"})
    scopes = fields.List(Str(validate=validate.OneOf(list(SCOPES))), required=True,
                         validate=validate.Length(min=1, max=len(SCOPES)))
    name = Str(load_default="", validate=validate.Length(max=200))
    expires_at = fields.AwareDateTime(allow_none=True)


class TokenOut(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    prefix = fields.String(required=True, metadata={"description": "the first characters of the token"})
    user = fields.Function(lambda token: token.user.username, metadata={"type": "string"})
    scopes = fields.Function(lambda token: sorted(token.scope_set),
                             metadata={"type": "array", "items": {"type": "string"}})
    created_at = fields.DateTime(required=True)
    created_by = fields.String(allow_none=True)
    expires_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class TokenCreated(TokenOut):
    token = fields.String(required=True, metadata={"description": "the secret; shown only this once"})


class TokenQuery(Strict):
    user = Str(validate=validate.Length(max=200))


class StepFileOut(ma.Schema):
    id = fields.Integer(required=True, metadata={"description": "attachment id (GET /attachments/{id} on the site)"})
    filename = fields.String(required=True)


class StepFieldOut(ma.Schema):
    id = fields.String(required=True, metadata={"description": "the form field's id"})
    label = fields.String(required=True)
    type = fields.String(required=True)
    value = fields.String(required=True, metadata={"description": "as people read it: option labels, unit "
                                                                  "names, dates in Beijing time"})
    files = fields.List(fields.Nested(StepFileOut), required=True)


class StepOut(ma.Schema):
    """One step record (办理意见) of the case: what its handler submitted."""
    id = fields.Integer(required=True)
    task_id = fields.Integer(required=True)
    instance_id = fields.Integer(required=True)
    step = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": ["completed", "resolved", "sent_back"]})
    handler = fields.String(required=True, metadata={"description": "the handler's name"})
    unit = fields.String(required=True, metadata={"description": "the handler's unit, by name"})
    at = fields.DateTime(required=True)
    opinion = fields.String(required=True)
    outcome = fields.String(required=True)
    fields_ = fields.List(fields.Nested(StepFieldOut), required=True, data_key="fields", attribute="fields")
    files = fields.List(fields.Nested(StepFileOut), required=True)


class DocumentOut(ma.Schema):
    """An official document (公文) issued on the case; its print page and .docx are on the site."""
    id = fields.Integer(required=True)
    number = fields.String(required=True, metadata={"description": "文号, e.g. 新塘专办〔2026〕12号"})
    kind = fields.String(required=True, metadata={"enum": ["assignment", "supervision_notice", "reminder",
                                                           "rectification_notice", "interview_notice",
                                                           "closure_report"]})
    title = fields.String(required=True)
    issued_by_name = fields.String(required=True)
    issued_at = fields.DateTime(required=True)
    sha256 = fields.String(required=True, metadata={"description": "of the .docx as issued"})
    print_url = fields.String(required=True)
    docx_url = fields.String(required=True)
