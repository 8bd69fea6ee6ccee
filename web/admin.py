"""Administrators: process definitions (validation, versions, diff, rollback, the modeler's JSON
endpoints) and process instances (suspend, resume, cancel, retry, migrate, edit a variable, incidents).

Pages (Chinese by default):
    GET  /admin/                                              links
    GET  /admin/processes                                     processes, latest version, instance counts
    GET  /admin/processes/<process_id>/versions               versions: who, when, comment, instances on each
    GET  /admin/processes/<process_id>/versions/<v>.bpmn      a version's XML (download)
    GET  /admin/processes/<process_id>/diff?a=1&b=2           what changed between two versions
    POST /admin/processes/<process_id>/rollback/<v>           deploy version v again (form: reason)
    GET  /admin/processes/<process_id>/migrate?from=1&to=2    dry run: which instances can move and why not
    POST /admin/processes/<process_id>/migrate                move them (form: from, to, reason[, instance])
    GET  /admin/modeler, /admin/processes/<id>/modeler        the bpmn-js modeler (template admin/modeler.html)
    GET  /admin/instances?process_id=&status=&version=        instances with their operations
    GET  /admin/instances/<id>                                one instance: variables, tasks, timers, audit
    POST /admin/instances/<id>/<suspend|resume|cancel|retry>  (form: reason; retry: optional name + JSON value)
    POST /admin/instances/<id>/variables                      edit a variable (form: name, value as JSON, reason)
    GET  /admin/incidents                                     instances in error, with retry and cancel

JSON for the modeler (session cookie + X-CSRFToken header):
    GET  /admin/api/known-groups  -> {"units": [{"code", "name"}], "groups": [{"code", "name"}],
                                      "roles": [{"code", "name"}]}  (groups: the office's working groups)
    GET  /admin/api/known-decisions -> {"decisions": [{"key", "name", "versions": [newest first]}]}
    POST /admin/api/validate {"xml"} -> 200 {"problems": [{"element_id", "message", "severity", "line", "rule"}],
         ...}  (severity error, warning or info; rule: engine.lint's rule id, null for the loader's own checks;
         lint is told which processes and decisions are deployed and what messages and signals they send)
    POST /admin/api/deploy {"xml", "comment", "accept_warnings"}
         -> 201 {"process_id", "version", "created": true, ...}; 200 with "created": false when the XML is
            the latest version already; 422 {"problems": [...]} while an error remains or warnings are not accepted
    GET  /admin/api/template      -> XML of a new process (start -> one user task -> end, with its diagram)
A body over 2 MB is refused with 413 and a JSON message; not signed in 401, not an administrator 403.
"""
import json
import re
import secrets
from functools import wraps

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from jinja2 import TemplateNotFound
from sqlalchemy import func, select

from domain.forms import FORMS_DIR
from domain.labels import ROLE, UNIT, label
from domain.models import Unit, WorkingGroup
from engine import lint as lint_module
from engine.admin_ops import MIGRATION_MESSAGES, AdminOperations
from engine.bpmn.diff import diff_definitions
from engine.errors import BpmnValidationError, DubanError
from engine.store.decision_models import DecisionDefinition
from engine.store.models import AuditEvent, HumanTask, Incident, ProcessDefinition, ProcessInstance, Timer
from web.access import roles_required
from web.admin_versions import compared_versions, flash_rollback, xml_file
from web.commands import current_runtime, run_command
from web.errors import csrf_failed, engine_message
from web.extensions import db
from web.i18n import short_locale
from web.params import id_list, int_arg, page_arg

bp = Blueprint("admin", __name__, url_prefix="/admin")
admin_only = roles_required("administrator")

MAX_BODY_BYTES = 2 * 1024 * 1024
PAGE_SIZE = 50
STATUSES = ("running", "suspended", "error", "completed", "cancelled")
LIVE_STATUSES = ("running", "suspended", "error")


# -- plumbing --------------------------------------------------------------------

def _api_path() -> bool:
    return request.path.startswith("/admin/api/")


def _json_error(status: int, message: str, **extra):
    # "error" is the message too: the modeler shows `body.error || body.message`.
    return jsonify({"error": message, "message": message, "status": status, **extra}), status


@bp.before_request
def _limit_body():
    # Werkzeug refuses to read more than this; a declared length over it is refused at once.
    request.max_content_length = MAX_BODY_BYTES
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        abort(413)


@bp.errorhandler(413)
def _too_large(_err):
    message = _("The upload is larger than %(mb)s MB.", mb=MAX_BODY_BYTES // (1024 * 1024))
    if _api_path():
        return _json_error(413, message, limit_bytes=MAX_BODY_BYTES)
    return render_template("error.html", code=413, message=message), 413


@bp.errorhandler(403)
def _forbidden(_err):
    if _api_path():
        return _json_error(403, _("Only an administrator may do this."))
    return render_template("error.html", code=403, message=_("You may not open this page.")), 403


@bp.errorhandler(CSRFError)
def _csrf_failed(err):
    if _api_path():
        return _json_error(400, _("The security token is missing or expired; reload the page."))
    return csrf_failed(err)


def api_admin_only(view):
    """JSON endpoints answer 401/403 in JSON instead of redirecting to the sign-in page."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return _json_error(401, _("Sign in first."))
        if not current_user.has_role("administrator"):
            return _json_error(403, _("Only an administrator may do this."))
        return view(*args, **kwargs)
    return wrapped


def _ops() -> AdminOperations:
    return AdminOperations(current_runtime().engine)


def _reason() -> str:
    return (request.form.get("reason") or "").strip()


def _back(default: str):
    target = request.form.get("next") or ""
    # Only back to an admin page of this site.
    if target.startswith("/admin/") and not target.startswith("//") and "\\" not in target:
        return redirect(target)
    return redirect(default)


def known_groups() -> dict:
    """Candidate groups a BPMN may name: the directory's units (and `community`), the special office's
    working groups (综合组、打击组 …) and the roles."""
    locale = short_locale()
    units = [{"code": u.code, "name": u.name(locale)}
             for u in db.session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.id))]
    if "community" not in {u["code"] for u in units}:
        units.append({"code": "community", "name": label("unit", "community", locale)})
    # Grid workers hold no tasks (domain.models.User.groups), so no task may name them.
    roles = [{"code": code, "name": label("role", code, locale)} for code in ROLE if code != "grid_worker"]
    groups = [{"code": group.code, "name": group.name(locale)}
              for group in db.session.scalars(select(WorkingGroup).where(WorkingGroup.active.is_(True))
                                              .order_by(WorkingGroup.id))]
    return {"units": units, "groups": groups, "roles": roles}


def _known_group_codes() -> set[str]:
    groups = known_groups()
    return ({u["code"] for u in groups["units"]} | {g["code"] for g in groups["groups"]}
            | {r["code"] for r in groups["roles"]})


def _known_forms() -> set[str]:
    return {path.relative_to(FORMS_DIR).with_suffix("").as_posix() for path in FORMS_DIR.rglob("*.json")}


def known_decisions() -> list[dict]:
    """The deployed decisions by key: the latest version's name, and every version (newest first)."""
    decisions: dict[str, dict] = {}
    for key, version, name in db.session.execute(
            select(DecisionDefinition.decision_key, DecisionDefinition.version, DecisionDefinition.name)
            .order_by(DecisionDefinition.decision_key, DecisionDefinition.version.desc())):
        decision = decisions.setdefault(key, {"key": key, "name": name or key, "versions": []})
        decision["versions"].append(version)
    return list(decisions.values())


_EVENTS_BY_CHECKSUM: dict[str, tuple[frozenset, frozenset]] = {}


def _deployed_context() -> dict:
    """What lint's cross-process rules need: the deployed processes and decisions and their versions, and
    the messages and signals the latest version of each process sends (read from its XML once per checksum)."""
    versions, latest = {}, {}
    for process_id, version, checksum in db.session.execute(
            select(ProcessDefinition.process_id, ProcessDefinition.version, ProcessDefinition.checksum)):
        versions.setdefault(process_id, set()).add(version)
        if version >= latest.get(process_id, (0, None))[0]:
            latest[process_id] = (version, checksum)
    messages, signals = set(), set()
    for checksum in {checksum for _version, checksum in latest.values()}:
        if checksum not in _EVENTS_BY_CHECKSUM:
            source = db.session.scalars(select(ProcessDefinition.source_xml).where(
                ProcessDefinition.checksum == checksum).limit(1)).first()
            if len(_EVENTS_BY_CHECKSUM) > 1000:
                _EVENTS_BY_CHECKSUM.clear()
            _EVENTS_BY_CHECKSUM[checksum] = lint_module.deployed_events(source or b"")
        sent, thrown = _EVENTS_BY_CHECKSUM[checksum]
        messages |= sent
        signals |= thrown
    decisions = {decision["key"]: decision["versions"] for decision in known_decisions()}
    return {"known_processes": versions, "known_decisions": decisions, "thrown_messages": messages,
            "thrown_signals": signals}


def _lint(xml: bytes) -> list:
    process_id = lint_module.process_id_of(xml)
    return lint_module.lint(xml, f"{process_id or 'process'}.bpmn", _known_group_codes(), _known_forms(),
                            **_deployed_context())


# -- problems in the page's language ---------------------------------------------------

def _template_pattern(template: str):
    pattern, last, seen = "", 0, set()
    for match in re.finditer(r"\{(\w+)(!r)?\}", template):
        pattern += re.escape(template[last:match.start()])
        group = f"(?P={match[1]})" if match[1] in seen else f"(?P<{match[1]}>.*?)"
        pattern += f"'{group}'" if match[2] else group
        seen.add(match[1])
        last = match.end()
    return re.compile(pattern + re.escape(template[last:]) + "$", re.DOTALL)


_PATTERNS = [(template, _template_pattern(template)) for template in lint_module.MESSAGES.values()]
_RULES = [(rule, _template_pattern(template)) for rule, template in lint_module.MESSAGES.items()]
_MIGRATION_PATTERNS = [(template, _template_pattern(template)) for template in MIGRATION_MESSAGES.values()]


def localize(text: str, patterns=_PATTERNS) -> str:
    """A message built from one of `patterns`' English templates, in the page's language."""
    for template, pattern in patterns:
        match = pattern.match(text)
        if match:
            try:
                return _(template).format(**match.groupdict())
            except (KeyError, IndexError, ValueError):
                return text
    return text


def migration_message(text: str) -> str:
    return localize(text, _MIGRATION_PATTERNS)


def problem_message(problem) -> str:
    """A lint message in the page's language (checks of the XML, schema and parser stay as they are)."""
    text = localize(problem.message)
    if text != problem.message:
        return text
    if problem.message.startswith("DOCTYPE declarations are not allowed"):
        return _("DOCTYPE declarations are not allowed in BPMN files (entity expansion and external entities "
                 "are refused)")
    return problem.message


def problem_rule(problem) -> str | None:
    """The lint rule that said it (None for the loader's own checks: XML, schema, parser, sandbox)."""
    return next((rule for rule, pattern in _RULES if pattern.match(problem.message)), None)


def problems_json(problems) -> list[dict]:
    return [{"element_id": p.element_id, "message": problem_message(p), "message_en": p.message,
             "severity": p.severity, "line": p.line, "rule": problem_rule(p)} for p in problems]


# -- queries for the pages ------------------------------------------------------------------

def _definition_or_404(process_id: str, version: int) -> ProcessDefinition:
    definition = db.session.scalars(select(ProcessDefinition).where(
        ProcessDefinition.process_id == process_id, ProcessDefinition.version == version)).first()
    if definition is None:
        abort(404)
    return definition


def _versions_or_404(process_id: str) -> list[ProcessDefinition]:
    """The process's versions, newest first (404 when it has none)."""
    rows = list(db.session.scalars(select(ProcessDefinition).where(ProcessDefinition.process_id == process_id)
                                   .order_by(ProcessDefinition.version.desc())))
    if not rows:
        abort(404)
    return rows


def _counts_by_definition(process_id: str | None = None) -> dict[int, dict[str, int]]:
    query = (select(ProcessInstance.definition_id, ProcessInstance.status, func.count())
             .where(ProcessInstance.status.in_(LIVE_STATUSES))
             .group_by(ProcessInstance.definition_id, ProcessInstance.status))
    if process_id is not None:
        query = query.where(ProcessInstance.process_id == process_id)
    counts: dict[int, dict[str, int]] = {}
    for definition_id, status, count in db.session.execute(query):
        counts.setdefault(definition_id, {})[status] = count
    return counts


def _open_incidents_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Incident).where(Incident.resolved_at.is_(None))) or 0


# -- pages: processes and versions ---------------------------------------------------------

@bp.get("/")
@admin_only
def index():
    return render_template("admin/index.html", incidents=_open_incidents_count(),
                           processes=db.session.scalar(select(func.count(func.distinct(
                               ProcessDefinition.process_id)))) or 0)


@bp.get("/processes")
@admin_only
def processes():
    latest_versions = (select(ProcessDefinition.process_id, func.max(ProcessDefinition.version).label("version"),
                              func.count().label("versions"))
                       .group_by(ProcessDefinition.process_id).subquery())
    rows = db.session.execute(
        select(ProcessDefinition, latest_versions.c.versions)
        .join(latest_versions, (latest_versions.c.process_id == ProcessDefinition.process_id)
              & (latest_versions.c.version == ProcessDefinition.version))
        .order_by(ProcessDefinition.process_id)).all()
    counts: dict[str, dict[str, int]] = {}
    for process_id, status, count in db.session.execute(
            select(ProcessInstance.process_id, ProcessInstance.status, func.count())
            .where(ProcessInstance.status.in_(LIVE_STATUSES))
            .group_by(ProcessInstance.process_id, ProcessInstance.status)):
        counts.setdefault(process_id, {})[status] = count
    return render_template("admin/processes.html", rows=rows, counts=counts)


@bp.get("/processes/<process_id>/versions")
@admin_only
def versions(process_id):
    rows = _versions_or_404(process_id)
    return render_template("admin/versions.html", process_id=process_id, versions=rows, latest=rows[0],
                           counts=_counts_by_definition(process_id))


@bp.get("/processes/<process_id>/versions/<int:version>.bpmn")
@admin_only
def version_xml(process_id, version):
    definition = _definition_or_404(process_id, version)
    return xml_file(definition.source_xml, f"{process_id}_v{version}.bpmn")


@bp.get("/processes/<process_id>/diff")
@admin_only
def diff(process_id):
    numbers = [d.version for d in _versions_or_404(process_id)]
    a, b = compared_versions(numbers)
    old, new = _definition_or_404(process_id, a), _definition_or_404(process_id, b)
    result = diff_definitions(old.source_xml, new.source_xml)
    return render_template("admin/diff.html", process_id=process_id, numbers=numbers, a=a, b=b, old=old, new=new,
                           result=result)


@bp.post("/processes/<process_id>/rollback/<int:version>")
@admin_only
def rollback(process_id, version):
    _definition_or_404(process_id, version)
    reason, groups = _reason(), _known_group_codes()
    flash_rollback(lambda _engine: _ops().rollback(process_id, version, current_user.actor, reason,
                                                   known_groups=groups), version, problem_message)
    return redirect(url_for("admin.versions", process_id=process_id))


@bp.route("/processes/<process_id>/migrate", methods=["GET", "POST"])
@admin_only
def migrate(process_id):
    rows = _versions_or_404(process_id)
    source = int_arg("from", source=request.values)
    target = int_arg("to", source=request.values) or rows[0].version
    if source is None:
        source = next((d.version for d in rows if d.version < target), target)
    instance_ids = id_list("instance", source=request.values) or None
    ops = _ops()
    if request.method == "POST":
        reason = _reason()
        if instance_ids is None and request.form.get("selection") == "explicit":
            flash(_("instance: tick at least one instance to move."), "error")
            return redirect(url_for("admin.migrate", process_id=process_id, **{"from": source, "to": target}))
        plan = run_command(lambda _engine: ops.migrate(process_id, source, target, current_user.actor, reason,
                                                       instance_ids))
        if plan:
            flash(_("%(moved)s instance(s) moved to version %(v)s; %(left)s could not move.",
                    moved=len(plan.migrated), v=target, left=len(plan.instances) - len(plan.migrated)),
                  "success" if plan.migrated else "warning")
        return redirect(url_for("admin.migrate", process_id=process_id, **{"from": source, "to": target}))
    plan = None
    try:
        plan = ops.plan_migration(process_id, source, target, instance_ids)
    except DubanError as err:
        flash(engine_message(err), "error")
    return render_template("admin/migrate.html", process_id=process_id, versions=rows, source=source,
                           target=target, plan=plan)


def _modeler_page(process_id=None, version=None):
    urls = {
        "validate": url_for("admin.api_validate"),
        "deploy": url_for("admin.api_deploy"),
        "known_groups": url_for("admin.api_known_groups"),
        "known_decisions": url_for("admin.api_known_decisions"),
        "template": url_for("admin.api_template"),
        "xml": (url_for("admin.version_xml", process_id=process_id, version=version, download=0)
                if process_id else url_for("admin.api_template")),
        "versions": url_for("admin.versions", process_id=process_id) if process_id else url_for("admin.processes"),
    }
    context = {"process_id": process_id, "version": version, "urls": urls}
    try:
        return render_template("admin/modeler.html", **context)
    except TemplateNotFound:
        return render_template("admin/modeler_pending.html", **context)


@bp.get("/modeler")
@admin_only
def modeler():
    return _modeler_page()


@bp.get("/processes/<process_id>/modeler")
@admin_only
def process_modeler(process_id):
    rows = _versions_or_404(process_id)
    version = int_arg("version") or rows[0].version
    _definition_or_404(process_id, version)
    return _modeler_page(process_id, version)


# -- pages: instances and incidents -----------------------------------------------------------

def _open_tasks_of(instance_ids) -> dict[int, list[HumanTask]]:
    found: dict[int, list[HumanTask]] = {}
    if instance_ids:
        for task in db.session.scalars(select(HumanTask).where(HumanTask.instance_id.in_(list(instance_ids)),
                                                               HumanTask.status == "open").order_by(HumanTask.id)):
            found.setdefault(task.instance_id, []).append(task)
    return found


def _open_incidents_of(instance_ids) -> dict[int, list[Incident]]:
    found: dict[int, list[Incident]] = {}
    if instance_ids:
        for incident in db.session.scalars(select(Incident).where(Incident.instance_id.in_(list(instance_ids)),
                                                                  Incident.resolved_at.is_(None))
                                           .order_by(Incident.id)):
            found.setdefault(incident.instance_id, []).append(incident)
    return found


@bp.get("/instances")
@admin_only
def instances():
    process_id = request.args.get("process_id") or ""
    status = request.args.get("status") or ""
    version = int_arg("version")
    page = page_arg()
    query = select(ProcessInstance).join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
    if process_id:
        query = query.where(ProcessInstance.process_id == process_id)
    if status in STATUSES:
        query = query.where(ProcessInstance.status == status)
    if version and process_id:
        query = query.where(ProcessDefinition.version == version)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(db.session.scalars(query.order_by(ProcessInstance.id.desc())
                                   .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    ids = [row.id for row in rows]
    process_ids = list(db.session.scalars(select(ProcessDefinition.process_id).distinct()
                                          .order_by(ProcessDefinition.process_id)))
    return render_template("admin/instances.html", rows=rows, tasks=_open_tasks_of(ids),
                           incidents=_open_incidents_of(ids), process_ids=process_ids, process_id=process_id,
                           status=status, version=version, statuses=STATUSES, page=page, total=total,
                           pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1))


def _instance_or_404(instance_id: int) -> ProcessInstance:
    instance = db.session.get(ProcessInstance, instance_id)
    if instance is None:
        abort(404)
    return instance


@bp.get("/instances/<int:instance_id>")
@admin_only
def instance(instance_id):
    row = _instance_or_404(instance_id)
    try:
        variables = _ops().variables(instance_id)
    except Exception as err:  # noqa: BLE001 - show the page even when the state does not load
        variables, load_error = {}, str(err)
    else:
        load_error = None
    shown = {name: json.dumps(value, ensure_ascii=False, default=str, indent=1) for name, value in
             sorted(variables.items())}
    tasks = list(db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)
                                    .order_by(HumanTask.id)))
    timers = list(db.session.scalars(select(Timer).where(Timer.instance_id == instance_id).order_by(Timer.id)))
    incidents = list(db.session.scalars(select(Incident).where(Incident.instance_id == instance_id)
                                        .order_by(Incident.id.desc())))
    audit = list(db.session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id)
                                    .order_by(AuditEvent.id.desc()).limit(200)))
    return render_template("admin/instance.html", instance=row, variables=shown, load_error=load_error, tasks=tasks,
                           timers=timers, incidents=incidents, audit=audit)


def _json_value(text: str):
    try:
        return json.loads(text)
    except ValueError:
        raise DubanError(_("The value is not valid JSON (text needs quotes: \"text\").")) from None


@bp.post("/instances/<int:instance_id>/<any(suspend, resume, cancel, retry):action>")
@admin_only
def instance_action(instance_id, action):
    _instance_or_404(instance_id)
    reason, actor, ops = _reason(), current_user.actor, _ops()
    name = (request.form.get("name") or "").strip()

    def command(_engine):
        if action == "retry":
            variables = {name: _json_value(request.form.get("value") or "")} if name else None
            return ops.retry(instance_id, actor, reason, variables=variables)
        return getattr(ops, action)(instance_id, actor, reason)

    if run_command(command):
        flash({"suspend": _("The instance is suspended."), "resume": _("The instance runs again."),
               "cancel": _("The instance is cancelled."), "retry": _("The failed step was run again.")}[action],
              "success")
    return _back(url_for("admin.instance", instance_id=instance_id))


@bp.post("/instances/<int:instance_id>/variables")
@admin_only
def set_variable(instance_id):
    _instance_or_404(instance_id)
    name = (request.form.get("name") or "").strip()
    reason, actor = _reason(), current_user.actor

    def command(_engine):
        return _ops().set_variable(instance_id, actor, name, _json_value(request.form.get("value") or ""), reason)

    if run_command(command):
        flash(_("Variable %(name)s saved.", name=name), "success")
    return _back(url_for("admin.instance", instance_id=instance_id))


@bp.get("/incidents")
@admin_only
def incidents():
    rows = db.session.execute(
        select(Incident, ProcessInstance).join(ProcessInstance, ProcessInstance.id == Incident.instance_id)
        .where(Incident.resolved_at.is_(None)).order_by(Incident.created_at.desc(), Incident.id.desc())
        .limit(500)).all()
    resolved = db.session.execute(
        select(Incident, ProcessInstance).join(ProcessInstance, ProcessInstance.id == Incident.instance_id)
        .where(Incident.resolved_at.is_not(None)).order_by(Incident.resolved_at.desc(), Incident.id.desc())
        .limit(20)).all()
    return render_template("admin/incidents.html", rows=rows, resolved=resolved)


# -- JSON for the modeler ----------------------------------------------------------------------

@bp.get("/api/known-groups")
@api_admin_only
def api_known_groups():
    return jsonify(known_groups())


@bp.get("/api/known-decisions")
@api_admin_only
def api_known_decisions():
    return jsonify({"decisions": known_decisions()})


def _xml_from_body():
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("xml"), str) or not body["xml"].strip():
        return None, _json_error(400, _('Send JSON like {"xml": "<bpmn:definitions …>"}.'))
    return body, None


@bp.post("/api/validate")
@api_admin_only
def api_validate():
    body, error = _xml_from_body()
    if error:
        return error
    xml = body["xml"].encode("utf-8")
    problems = _lint(xml)
    return jsonify({"problems": problems_json(problems), "process_id": lint_module.process_id_of(xml),
                    "errors": len(lint_module.errors(problems)), "warnings": len(lint_module.warnings(problems)),
                    "notes": len(lint_module.notes(problems))})


@bp.post("/api/deploy")
@api_admin_only
def api_deploy():
    body, error = _xml_from_body()
    if error:
        return error
    xml = body["xml"].encode("utf-8")
    comment = body.get("comment") if isinstance(body.get("comment"), str) else None
    accept = body.get("accept_warnings") is True
    # Lint as the validate button does, knowing what is deployed (deploy_checked lints again, without that).
    problems = _lint(xml)
    if lint_module.blocking(problems, accept):
        return jsonify({"problems": problems_json(problems),
                        "message": _("Not deployed: fix the errors first.") if lint_module.errors(problems)
                        else _("Not deployed: accept the warnings to deploy anyway.")}), 422
    db.session.rollback()
    try:
        outcome = _ops().deploy_checked(xml, current_user.actor, comment, accept_warnings=accept,
                                        known_groups=_known_group_codes(), known_forms=_known_forms())
    except BpmnValidationError as err:
        return jsonify({"problems": problems_json(err.problems)}), 422
    except DubanError as err:
        return _json_error(400, str(err))
    if outcome.result is None:
        return jsonify({"problems": problems_json(outcome.problems),
                        "message": _("Not deployed: fix the errors first.") if lint_module.errors(outcome.problems)
                        else _("Not deployed: accept the warnings to deploy anyway.")}), 422
    definition = outcome.result.definition
    others = [{"process_id": other.definition.process_id, "version": other.definition.version,
               "name": other.definition.name, "created": other.created} for other in outcome.result.others]
    return jsonify({"process_id": definition.process_id, "version": definition.version,
                    "created": outcome.result.created, "problems": problems_json(problems), "others": others,
                    "versions_url": url_for("admin.versions", process_id=definition.process_id)}), (
        201 if outcome.result.created else 200)


@bp.get("/api/template")
@api_admin_only
def api_template():
    process_id = f"Process_{secrets.token_hex(4)}"
    xml = render_template("admin/new_process.bpmn", process_id=process_id,
                          process_name=_("New process"), task_name=_("Handle the matter"), start_name=_("Start"),
                          end_name=_("End"))
    return Response(xml, mimetype="application/xml")


def type_name(kind: str) -> str:
    """A BPMN element type as people call it."""
    names = {
        "process": _("Process"), "userTask": _("User task"), "scriptTask": _("Script task"),
        "serviceTask": _("Service task"), "manualTask": _("Manual task"), "task": _("Task"),
        "sendTask": _("Send task"), "receiveTask": _("Receive task"), "businessRuleTask": _("Business rule task"),
        "callActivity": _("Call activity"), "subProcess": _("Subprocess"), "sequenceFlow": _("Sequence flow"),
        "exclusiveGateway": _("Exclusive gateway"), "parallelGateway": _("Parallel gateway"),
        "inclusiveGateway": _("Inclusive gateway"), "eventBasedGateway": _("Event-based gateway"),
        "startEvent": _("Start event"), "endEvent": _("End event"), "boundaryEvent": _("Boundary event"),
        "intermediateCatchEvent": _("Intermediate catch event"),
        "intermediateThrowEvent": _("Intermediate throw event"), "lane": _("Lane"), "error": _("Error"),
        "message": _("Message definition"), "signal": _("Signal"), "escalation": _("Escalation definition"),
    }
    return names.get(kind, kind)


@bp.context_processor
def _helpers():
    def status_name(status):
        return {"running": _("Running"), "suspended": _("Suspended"), "error": _("In error"),
                "completed": _("Finished"), "cancelled": _("Cancelled")}.get(status, status)

    def row_status(status):
        """A task or timer row's status."""
        return {"open": _("in hand"), "completed": _("finished"), "cancelled": _("Cancelled"), "waiting": _("waiting"),
                "fired": _("fired"), "suspended": _("parked")}.get(status, status)

    def unit_or_role(code):
        return label("role", code, short_locale()) if code in ROLE else label("unit", code, short_locale()) \
            if code in UNIT else code

    return {"status_name": status_name, "unit_or_role": unit_or_role, "problem_message": problem_message,
            "migration_message": migration_message, "type_name": type_name,
            "row_status": row_status}
