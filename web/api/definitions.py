"""Process definitions: list the deployed versions, deploy a BPMN file."""
import os
import re

from flask import abort
from sqlalchemy import select

from engine.store.models import ProcessDefinition
from web.api.paging import ID, latest_only, page_of
from web.api.schemas import DefinitionOut, DefinitionPage, DefinitionQuery, DeployOut, DeployUpload
from web.api.security import api_blueprint, api_user, body_limit, engine_call, requires
from web.extensions import db

blp = api_blueprint("definitions", "definitions", "BPMN process definitions: deployed versions; deploy a file.")
MAX_BPMN_BYTES = 5 * 1024 * 1024  # default of DUBAN_API_MAX_BPMN_BYTES


@blp.route("", methods=["GET"])
@blp.response(200, DefinitionPage)
@requires("definitions:read")
@blp.arguments(DefinitionQuery, location="query")
def list_definitions(args):
    """Deployed process definitions, by process and newest version first"""
    query = select(ProcessDefinition)
    if args.get("process_id"):
        query = query.where(ProcessDefinition.process_id == args["process_id"])
    if args.get("latest"):
        query = latest_only(query, ProcessDefinition.process_id, ProcessDefinition.version)
    return page_of(query, (ProcessDefinition.process_id, ProcessDefinition.version.desc()), args)


@blp.route(f"/<{ID}:definition_id>", methods=["GET"])
@blp.response(200, DefinitionOut)
@requires("definitions:read")
def get_definition(definition_id):
    """One deployed version"""
    definition = db.session.get(ProcessDefinition, definition_id)
    if definition is None:
        abort(404, f"definition {definition_id} not found")
    return definition


def upload_name(name: str | None, default: str = "process.bpmn") -> str:
    """An uploaded file's name as it is stored: no folders, no control characters, at most 200 characters."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip()[:200]
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        name = ""
    return name or default


@blp.route("", methods=["POST"])
@blp.response(201, DeployOut, description="A new version was deployed.")
@blp.alt_response(200, schema=DeployOut, description="The same XML is the latest version already: nothing changed.")
@requires("definitions:write", "administrator")
@body_limit("DUBAN_API_MAX_BPMN_BYTES", MAX_BPMN_BYTES)
@blp.arguments(DeployUpload, location="form_and_files")
def deploy_definition(upload):
    """Deploy a BPMN file (multipart upload, field `file`; DMN files with it in `decisions`)

    The file is parsed and checked (XML, BPMN, Camunda attributes, the script sandbox's
    rules) before anything is stored: 422 names each problem. DMN files sent as `decisions`
    are deployed in the same deployment (a business rule task with
    `camunda:decisionRefBinding="deployment"` evaluates those versions), all or nothing. Uploads
    larger than DUBAN_API_MAX_BPMN_BYTES (default 5 MiB, the whole request) are refused with 413.
    """
    file = upload["file"]
    content = file.read()
    decisions = [(upload_name(dmn.filename, "decision.dmn"), dmn.read()) for dmn in upload["decisions"]]
    user = api_user()
    result = engine_call(lambda engine: engine.deploy(content, upload_name(file.filename), user.actor,
                                                      comment=upload.get("comment"), decisions=decisions))
    others = [{"definition": other.definition, "created": other.created} for other in result.others]
    warnings = result.warnings + [w for part in (*result.others, *result.decisions) for w in part.warnings]
    return ({"definition": result.definition, "created": result.created, "warnings": warnings, "others": others,
             "decisions": [{"decision": d.definition, "created": d.created} for d in result.decisions]},
            201 if result.created else 200)
