"""Decisions (DMN decision tables): list the deployed versions, read one's XML, deploy a DMN file,
evaluate a decision on given inputs."""
from flask import Response, abort
from sqlalchemy import select

from engine.dmn.table import DecisionFailed
from engine.errors import BpmnValidationError
from engine.store.decision_models import DecisionDefinition
from web.api.decision_values import plain
from web.api.definitions import MAX_BPMN_BYTES, upload_name
from web.api.paging import ID, latest_only, page_of
from web.api.schemas import (DecisionDeployOut, DecisionOut, DecisionPage, DecisionQuery, DecisionUpload, EvaluateIn,
                             EvaluationOut, clean_text)
from web.api.security import api_blueprint, api_user, body_limit, engine_call, error_response, requires
from web.extensions import db

blp = api_blueprint("decisions", "decisions",
                    "DMN decision tables: deployed versions and their XML; deploy a file; evaluate a decision.")
MAX_KEY = 200  # DecisionDefinition.decision_key


@blp.route("", methods=["GET"])
@blp.response(200, DecisionPage)
@requires("definitions:read")
@blp.arguments(DecisionQuery, location="query")
def list_decisions(args):
    """Deployed decisions, by key and newest version first"""
    query = select(DecisionDefinition)
    if args.get("key"):
        query = query.where(DecisionDefinition.decision_key == args["key"])
    if args.get("latest"):
        query = latest_only(query, DecisionDefinition.decision_key, DecisionDefinition.version)
    return page_of(query, (DecisionDefinition.decision_key, DecisionDefinition.version.desc()), args)


def _decision(decision_id: int) -> DecisionDefinition:
    decision = db.session.get(DecisionDefinition, decision_id)
    if decision is None:
        abort(404, f"decision {decision_id} not found")
    return decision


@blp.route(f"/<{ID}:decision_id>", methods=["GET"])
@blp.response(200, DecisionOut)
@requires("definitions:read")
def get_decision(decision_id):
    """One deployed version"""
    return _decision(decision_id)


@blp.route(f"/<{ID}:decision_id>/xml", methods=["GET"])
@blp.response(200)
@blp.doc(responses={"200": {"description": "The DMN file as it was deployed.",
                            "content": {"application/xml": {"schema": {"type": "string"}}}}})
@requires("definitions:read")
def get_decision_xml(decision_id):
    """The DMN XML of a deployed version (the whole file: it may hold other decisions too)"""
    decision = _decision(decision_id)
    return Response(decision.source_xml, mimetype="application/xml")


@blp.route("", methods=["POST"])
@blp.response(201, DecisionDeployOut, description="At least one decision got a new version.")
@blp.alt_response(200, schema=DecisionDeployOut,
                  description="The same file is the latest version of each of its decisions already: nothing changed.")
@requires("definitions:write", "administrator")
@body_limit("DUBAN_API_MAX_BPMN_BYTES", MAX_BPMN_BYTES)
@blp.arguments(DecisionUpload, location="form_and_files")
def deploy_decision(upload):
    """Deploy a DMN file (multipart upload, field `file`)

    Each decision of the file becomes the next version of its key. The file is parsed and checked
    (XML, the DMN schema, hit policies, every cell as the FEEL subset Duban runs) before anything is
    stored: 422 names each problem with its element id. Uploads larger than DUBAN_API_MAX_BPMN_BYTES
    (default 5 MiB) are refused with 413.
    """
    file = upload["file"]
    content = file.read()
    user = api_user()
    try:
        results = engine_call(lambda engine: engine.deploy_decisions(
            content, upload_name(file.filename, "decision.dmn"), user.actor, comment=upload.get("comment")))
    except BpmnValidationError as err:  # the definitions deploy's shape, naming the right kind of file
        return error_response(422, "The DMN file was not deployed.",
                              {"file": [str(problem) for problem in err.problems]})
    body = {"decisions": [deployed_json(result) for result in results],
            "warnings": [warning for result in results for warning in result.warnings]}
    return body, 201 if any(result.created for result in results) else 200


def deployed_json(result) -> dict:
    """An engine.decisions.DecisionDeployResult as DeployedDecisionOut."""
    return {"decision": result.definition, "created": result.created}


@blp.route("/key/<key>/evaluate", methods=["POST"])
@blp.response(200, EvaluationOut)
@requires("definitions:read")
@blp.arguments(EvaluateIn)
def evaluate_decision(body, key):
    """Evaluate a decision on the given inputs (the latest version, or `version`)

    Nothing is stored: this is what a business rule task would get for these variables. 404 when
    the decision (or that version) is not deployed; 422 when the table cannot decide (no rule or
    several match under UNIQUE, an input expression fails), with the decision and inputs named.
    """
    if len(key) > MAX_KEY or clean_text(key):
        abort(404, "no decision has this key")  # it could name none, and the database cannot compare it
    try:
        definition, outcome = engine_call(
            lambda engine: engine.evaluate_decision(key, body["variables"], body.get("version")))
    except DecisionFailed as err:
        abort(422, str(err))
    return {"decision": definition, "results": plain(outcome.results),
            "matched": [plain(match.as_dict()) for match in outcome.matched], "inputs": plain(outcome.inputs)}
