"""Administrators: decision tables (DMN) — deployed decisions and their versions (download, diff,
roll back) and the dmn-js editor with its JSON endpoints (validate, evaluate, deploy, template).

Pages (Chinese by default):
    GET  /admin/decisions                                   deployed decisions: latest version, hit policy, who, when
    GET  /admin/decisions/<key>/versions                    versions: who, when, comment
    GET  /admin/decisions/<key>/versions/<v>.dmn            a version's DMN file (?download=0: shown, not saved)
    GET  /admin/decisions/<key>/diff?a=1&b=2                what changed between two versions (engine.dmn.diff)
    POST /admin/decisions/<key>/rollback/<v>                deploy version v again (form: reason)
    GET  /admin/decisions/editor                            the editor on a new table (template below)
    GET  /admin/decisions/<key>/editor[?version=v]          the editor on a deployed version (latest by default)

JSON for the editor (session cookie + X-CSRFToken header; 401/403 in JSON, bodies over 2 MB 413):
    POST /admin/api/decisions/validate {"xml"}
         -> 200 {"problems": [{"message", "message_en", "detail", "element_id", "severity", "line", "file"}]}
            (detail: a cell's message without its place, which the editor shows by the cell)
            (errors of engine.dmn.loader; without errors, its warnings, e.g. overlapping UNIQUE rules)
    POST /admin/api/decisions/evaluate {"xml", "decision"?, "variables": {...}}
         -> 200 {"decision", "name", "results", "matched": [{"rule_id", "row", "description", "outputs"}], "inputs"}
            200 {"error", "error_en"} when the table gives no result (DecisionFailed: UNIQUE with none or several)
            422 {"problems"} when the XML does not load; works on unsaved XML, nothing is stored
    POST /admin/api/decisions/deploy {"xml", "comment"}
         -> 201 {"decisions": [{"key", "name", "version", "created"}], "warnings"}; 200 when every decision of
            the file is its latest version already (created false); 422 {"problems"}
    GET  /admin/api/decisions/template -> DMN 1.3 XML of a new table (one input, one output, one rule, DMNDI)
"""
import json
import re
import secrets
from dataclasses import replace

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from lxml import etree
from sqlalchemy import and_, func, select
from sqlalchemy.orm import undefer

from engine.bpmn.loader import parse_xml
from engine.dmn.diff import diff_decisions
from engine.dmn.loader import load_decisions
from engine.dmn.table import DecisionFailed
from engine.errors import BpmnValidationError, DubanError
from engine.store.decision_models import DecisionDefinition
from web import admin as admin_pages
from web.access import roles_required
from web.admin import api_admin_only
from web.admin_versions import compared_versions, flash_rollback, xml_file
from web.commands import run_command
from web.errors import engine_message
from web.extensions import db
from web.params import int_arg

bp = Blueprint("admin_decisions", __name__, url_prefix="/admin")
admin_only = roles_required("administrator")

# The other admin pages' body limit and error answers (JSON under /admin/api/), for these routes too.
bp.before_request(admin_pages._limit_body)
bp.register_error_handler(413, admin_pages._too_large)
bp.register_error_handler(403, admin_pages._forbidden)
bp.register_error_handler(CSRFError, admin_pages._csrf_failed)

DEFAULT_FILENAME = "decision.dmn"
_FILENAME_KEY = re.compile(r"^[A-Za-z_][\w.-]{0,150}$")


# -- problems in the page's language ---------------------------------------------------------

# The loader's and the FEEL reader's messages (engine.dmn.loader, engine.dmn.feel), as English
# templates; the page shows their translation (catalog area "decisions"), else the English text.
# {reason} is translated again with the same list (a cell's message wraps the FEEL reader's).
PROBLEM_TEMPLATES = [
    'rule {row}, input "{column}": {reason}',
    'rule {row}, output "{column}": {reason}',
    "rules {first} and {second} can match the same inputs; UNIQUE allows one match",
    ("rule {row} has {inputs} input and {outputs} output cells; the table has {input_columns} and "
     "{output_columns} columns"),
    'input "{column}" has no expression: name the variable it reads',
    'input "{column}": its expression {expression} cannot run here ({reason})',
    'output "{column}": its allowed values cannot be read: {reason}',
    'hit policy {policy} needs the allowed values of output "{column}" in priority order',
    "the file has no decision",
    "{entry} never matches: the input's values are {values}",
    'input "{column}": its allowed values cannot be read: {reason}',
    "requires decision {key}, which is not a decision table of this file",
    "its required decisions lead back to it (a cycle)",
    "unknown input name {names} (the table's inputs: {inputs})",
    'cannot read "{text}": {reason}',
    'expected a value after "{operator}", found "{found}"',
    'expected a value after "{operator}"',
    'cannot read the number "{text}"',
    'text must be in double quotes: "{text}"',
    "text is missing its closing double quote",
    "use straight double quotes (\") around text, not “ ” or ‘ ’",
    "the range is empty: its start is after its end",
    "both ends of a range must be of one type ({low} and {high})",
    "XML is not well-formed: {reason}",
    # why a table gives no result (engine.dmn.table.DecisionFailed's {what})
    "no rule matches",
    "rules {rows} all match; UNIQUE allows one",
    "rules {rows} match with different outputs; ANY needs them equal",
    "DOCTYPE declarations are not allowed in DMN files (entity expansion and external entities are refused)",
]


def _pattern(template: str):
    pattern, last = "", 0
    for match in re.finditer(r"\{(\w+)\}", template):
        pattern += re.escape(template[last:match.start()]) + f"(?P<{match[1]}>.*?)"
        last = match.end()
    return re.compile(pattern + re.escape(template[last:]) + "$", re.DOTALL)


_PATTERNS = [(template, _pattern(template)) for template in PROBLEM_TEMPLATES]


def problem_message(text: str, depth: int = 0) -> str:
    """A loader or FEEL message in the page's language, where the catalog knows its template."""
    for template, pattern in _PATTERNS:
        match = pattern.match(text)
        if match:
            values = match.groupdict()
            if "reason" in values and depth < 3:
                values["reason"] = problem_message(values["reason"], depth + 1)
            try:
                return _(template).format(**values)
            except (KeyError, IndexError, ValueError):
                return text
    return text


def _english(problem) -> str:
    # The XML guards are shared with BPMN uploads (engine.bpmn.loader.parse_xml) and say so.
    return problem.message.replace("not allowed in BPMN files", "not allowed in DMN files")


def decision_failed_message(err: DecisionFailed) -> str:
    """Why the table gave no result, in the page's language (its {what} translated as a problem is)."""
    params = dict(getattr(err, "params", None) or {})
    if isinstance(params.get("what"), str):
        params["what"] = problem_message(params["what"])
    try:
        return _(err.template).format(**params)
    except (AttributeError, KeyError, IndexError, ValueError, TypeError):
        return str(err)


_CELL_PREFIX = re.compile(r'^rule \d+, (?:input|output) "[^"]*": (?P<reason>.+)$', re.DOTALL)


def problem_detail(text: str) -> str | None:
    """A cell's problem without "rule 2, input "X": " (where the editor shows it, the place is plain)."""
    match = _CELL_PREFIX.match(text)
    return problem_message(match["reason"]) if match else None


def problems_json(problems) -> list[dict]:
    return [{"message": problem_message(_english(p)), "message_en": _english(p), "detail": problem_detail(p.message),
             "element_id": p.element_id, "severity": p.severity, "line": p.line, "file": p.file} for p in problems]


def hit_policy_name(policy: str | None) -> str:
    """A hit policy as people call it, with the DMN name beside it."""
    names = {
        "UNIQUE": _("Unique"), "FIRST": _("First"), "PRIORITY": _("Priority"), "ANY": _("Any"),
        "COLLECT": _("Collect"), "COLLECT SUM": _("Collect (sum)"), "COLLECT MIN": _("Collect (minimum)"),
        "COLLECT MAX": _("Collect (maximum)"), "COLLECT COUNT": _("Collect (count)"),
        "RULE ORDER": _("Rule order"), "OUTPUT ORDER": _("Output order"),
    }
    policy = policy or "UNIQUE"
    return _("%(name)s (%(policy)s)", name=names[policy], policy=policy) if policy in names else policy


# -- reading the request ------------------------------------------------------------------------

def _body():
    """(body, xml bytes, None) or (None, None, error response)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("xml"), str) or not body["xml"].strip():
        return None, None, admin_pages._json_error(400, _('Send JSON like {"xml": "<definitions …>"}.'))
    return body, body["xml"].encode("utf-8"), None


def filename_of(xml: bytes) -> str:
    """`<first decision's id>.dmn`, the name the file is stored under (else decision.dmn)."""
    try:
        root = parse_xml(xml, DEFAULT_FILENAME)
    except BpmnValidationError:
        return DEFAULT_FILENAME
    decision = next((child for child in root if isinstance(child.tag, str)
                     and etree.QName(child).localname == "decision"), None)
    key = decision.get("id") if decision is not None else None
    return f"{key}.dmn" if key and _FILENAME_KEY.match(key) else DEFAULT_FILENAME


def _json_safe(value):
    """Dates and decimals as text, so that any outcome goes out as JSON."""
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


# -- queries for the pages ---------------------------------------------------------------------

def _versions_or_404(key: str) -> list[DecisionDefinition]:
    """The decision's versions, newest first (404 when it has none)."""
    rows = list(db.session.scalars(select(DecisionDefinition).where(DecisionDefinition.decision_key == key)
                                   .order_by(DecisionDefinition.version.desc())))
    if not rows:
        abort(404)
    return rows


def _version_or_404(key: str, version: int, with_source: bool = False) -> DecisionDefinition:
    query = select(DecisionDefinition).where(DecisionDefinition.decision_key == key,
                                             DecisionDefinition.version == version)
    if with_source:
        query = query.options(undefer(DecisionDefinition.source_xml))
    definition = db.session.scalars(query).first()
    if definition is None:
        abort(404)
    return definition


def deployed_decisions() -> list[dict]:
    """Every deployed decision with its versions, newest first (the editor's "open" list)."""
    found: dict[str, dict] = {}
    for key, version, name in db.session.execute(
            select(DecisionDefinition.decision_key, DecisionDefinition.version, DecisionDefinition.name)
            .order_by(DecisionDefinition.decision_key, DecisionDefinition.version.desc())):
        entry = found.setdefault(key, {"key": key, "name": name, "versions": []})
        entry["versions"].append(version)
    return sorted(found.values(), key=lambda d: (d["name"], d["key"]))


# -- pages --------------------------------------------------------------------------------------

@bp.get("/decisions")
@admin_only
def decisions():
    latest = (select(DecisionDefinition.decision_key, func.max(DecisionDefinition.version).label("version"),
                     func.count().label("versions"))
              .group_by(DecisionDefinition.decision_key).subquery())
    rows = db.session.execute(
        select(DecisionDefinition, latest.c.versions)
        .join(latest, and_(latest.c.decision_key == DecisionDefinition.decision_key,
                           latest.c.version == DecisionDefinition.version))
        .order_by(DecisionDefinition.name, DecisionDefinition.decision_key)).all()
    return render_template("admin/decisions.html", rows=rows)


@bp.get("/decisions/<key>/versions")
@admin_only
def versions(key):
    rows = _versions_or_404(key)
    return render_template("admin/decision_versions.html", key=key, versions=rows, latest=rows[0])


@bp.get("/decisions/<key>/versions/<int:version>.dmn")
@admin_only
def version_xml(key, version):
    definition = _version_or_404(key, version, with_source=True)
    return xml_file(definition.source_xml, f"{key}_v{version}.dmn")


@bp.get("/decisions/<key>/diff")
@admin_only
def diff(key):
    numbers = [d.version for d in _versions_or_404(key)]
    a, b = compared_versions(numbers)
    old, new = _version_or_404(key, a, with_source=True), _version_or_404(key, b, with_source=True)
    try:
        changes, error = diff_decisions(old.source_xml, new.source_xml, key), None
    except BpmnValidationError as err:  # a stored file that no longer reads (limits changed since)
        changes, error = [], "; ".join(problem_message(_english(p)) for p in err.problems)
    return render_template("admin/decision_diff.html", key=key, numbers=numbers, a=a, b=b, old=old, new=new,
                           changes=changes, error=error)


@bp.post("/decisions/<key>/rollback/<int:version>")
@admin_only
def rollback(key, version):
    _version_or_404(key, version)
    reason, ops = admin_pages._reason(), admin_pages._ops()
    flash_rollback(lambda _engine: ops.rollback_decision(key, version, current_user.actor, reason),
                   version, lambda problem: problem_message(_english(problem)))
    return redirect(url_for("admin_decisions.versions", key=key))


def _editor_page(key=None, version=None):
    urls = {
        "validate": url_for("admin_decisions.api_validate"),
        "evaluate": url_for("admin_decisions.api_evaluate"),
        "deploy": url_for("admin_decisions.api_deploy"),
        "template": url_for("admin_decisions.api_template"),
        "xml": (url_for("admin_decisions.version_xml", key=key, version=version, download=0)
                if key else url_for("admin_decisions.api_template")),
        "decisions": url_for("admin_decisions.decisions"),
        # {key} and {version} are filled in by the page for the version it opens or deploys.
        "version_xml": url_for("admin_decisions.version_xml", key="KEY", version=0, download=0)
        .replace("KEY", "{key}").replace("/0.dmn", "/{version}.dmn"),
        "versions": url_for("admin_decisions.versions", key="KEY").replace("KEY", "{key}"),
        "editor": url_for("admin_decisions.decision_editor", key="KEY").replace("KEY", "{key}"),
        "new_editor": url_for("admin_decisions.editor"),
    }
    return render_template("admin/decision_editor.html", key=key, version=version, urls=urls,
                           deployed=deployed_decisions())


@bp.get("/decisions/editor")
@admin_only
def editor():
    return _editor_page()


@bp.get("/decisions/<key>/editor")
@admin_only
def decision_editor(key):
    rows = _versions_or_404(key)
    version = int_arg("version") or rows[0].version
    _version_or_404(key, version)
    return _editor_page(key, version)


# -- JSON for the editor ------------------------------------------------------------------------

@bp.post("/api/decisions/validate")
@api_admin_only
def api_validate():
    _unused, xml, error = _body()
    if error:
        return error
    try:
        parsed = load_decisions(xml, filename_of(xml))
    except BpmnValidationError as err:
        return jsonify({"problems": problems_json(err.problems)})
    warnings = [warning for decision in parsed for warning in decision.warnings]
    return jsonify({"problems": problems_json(warnings),
                    "decisions": [{"key": d.key, "name": d.name, "hit_policy": d.hit_policy} for d in parsed]})


@bp.post("/api/decisions/evaluate")
@api_admin_only
def api_evaluate():
    body, xml, error = _body()
    if error:
        return error
    variables = body.get("variables", {})
    if not isinstance(variables, dict):
        return admin_pages._json_error(400, _('"variables" must be an object of names and values.'))
    try:
        parsed = load_decisions(xml, filename_of(xml))
    except BpmnValidationError as err:
        return jsonify({"problems": problems_json(err.problems)}), 422
    wanted = body.get("decision")
    decision = next((d for d in parsed if d.key == wanted), None) if wanted else parsed[0]
    if decision is None:
        return admin_pages._json_error(400, _("The file has no decision %(key)s.", key=str(wanted)[:200]))
    try:
        outcome = decision.table.evaluate(variables)
    except DecisionFailed as err:
        return jsonify(_json_safe({"decision": decision.key, "name": decision.name,
                                   "error": decision_failed_message(err), "error_en": str(err),
                                   "matched": _all_matches(decision.table, variables)}))
    return jsonify(_json_safe({"decision": decision.key, "name": decision.name, "hit_policy": decision.hit_policy,
                               **outcome.as_dict()}))


def _all_matches(table, variables) -> list[dict]:
    """Every rule that matches, whatever the hit policy (to show which rules a UNIQUE table found
    twice); none when the inputs themselves cannot be read."""
    try:
        return [m.as_dict() for m in replace(table, hit_policy="RULE ORDER", aggregation=None)
                .evaluate(variables).matched]
    except DecisionFailed:
        return []


@bp.post("/api/decisions/deploy")
@api_admin_only
def api_deploy():
    body, xml, error = _body()
    if error:
        return error
    comment = body.get("comment") if isinstance(body.get("comment"), str) else None
    comment = (comment or "").strip()[:2000] or None
    filename = filename_of(xml)
    try:
        load_decisions(xml, filename)  # problems as 422 before anything is written
        results = run_command(lambda engine: engine.deploy_decisions(xml, filename, current_user.actor, comment),
                              flash_errors=False)
    except BpmnValidationError as err:
        return jsonify({"problems": problems_json(err.problems)}), 422
    except DubanError as err:
        return admin_pages._json_error(400, engine_message(err))
    created = any(result.created for result in results)
    warnings = [warning for result in results for warning in result.warnings]
    return jsonify({
        "decisions": [{"key": r.definition.decision_key, "name": r.definition.name, "version": r.definition.version,
                       "created": r.created} for r in results],
        "warnings": problems_json(warnings), "created": created,
        "versions_url": url_for("admin_decisions.versions", key=results[0].definition.decision_key),
    }), 201 if created else 200


@bp.get("/api/decisions/template")
@api_admin_only
def api_template():
    suffix = secrets.token_hex(4)
    xml = render_template("admin/new_decision.dmn", suffix=suffix, decision_id=f"Decision_{suffix}",
                          definitions_name=_("New decisions"), decision_name=_("New decision"),
                          input_label=_("Input"), output_label=_("Result"))
    return Response(xml, mimetype="application/xml")


@bp.context_processor
def _helpers():
    return {"hit_policy_name": hit_policy_name}
