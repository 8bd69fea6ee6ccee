"""/engine-rest/decision-definition: list and read deployed decisions, their DMN XML, and evaluate one
(engine.decisions does the work).

As GET /api/v1/decisions: scope `definitions:read`, for any user. A decision table is policy, not a
unit's records, and evaluating one stores nothing, so neither needs a user who oversees every unit.
A decision definition's id is Duban's number (as a string); `category` is the DMN file's namespace.
Duban has no decision requirements graphs, version tags, history time to live or tenants: those
fields are null, and filtering by them finds nothing.
"""
import io
from datetime import date, datetime, timedelta

from flask import current_app, jsonify, request
from lxml import etree
from sqlalchemy import false, func, select

from engine.dmn.table import DecisionFailed
from engine.store.decision_models import DecisionDefinition
from engine.workcal import CHINA_TZ
from web.api.decision_values import iso_duration, plain
from web.api.paging import ID
from web.api.security import engine_call
from web.engine_rest import bp
from web.engine_rest.auth import requires
from web.engine_rest.body import arg_bool, arg_date, arg_int, camunda_date, db_id, json_body
from web.engine_rest.errors import INVALID, REST, CamundaError, invalid
from web.engine_rest.variables import RANGES, read_variables, typed
from web.extensions import db

READ = "definitions:read"
LIST_LIMIT = 1000
SORTS = {"id": DecisionDefinition.id, "key": DecisionDefinition.decision_key, "name": DecisionDefinition.name,
         "version": DecisionDefinition.version, "deploymentId": DecisionDefinition.deployment_id,
         "deployTime": DecisionDefinition.deployed_at}
NULL_SORTS = ("category", "decisionRequirementsDefinitionKey", "versionTag", "tenantId")  # all equal here
NULL_FILTERS = ("decisionRequirementsDefinitionId", "decisionRequirementsDefinitionKey", "versionTag",
                "versionTagLike", "tenantIdIn")  # Duban's decisions have none of these: nothing matches
_categories: dict[str, str | None] = {}  # checksum -> namespace: the same file always has the same one


# -- what a decision definition looks like -----------------------------------------------------

def definition_json(row: DecisionDefinition) -> dict:
    """Camunda's DecisionDefinitionDto."""
    return {"id": str(row.id), "key": row.decision_key, "category": _category(row), "name": row.name,
            "version": row.version, "resource": row.filename, "deploymentId": row.deployment_id,
            "decisionRequirementsDefinitionId": None, "decisionRequirementsDefinitionKey": None,
            "tenantId": None, "versionTag": None, "historyTimeToLive": None}


def _category(row: DecisionDefinition) -> str | None:
    if row.checksum not in _categories:
        if len(_categories) > 4096:
            _categories.clear()
        source = db.session.scalar(select(DecisionDefinition.source_xml).where(DecisionDefinition.id == row.id))
        _categories[row.checksum] = _namespace(source)
    return _categories[row.checksum]


def _namespace(source: bytes) -> str | None:
    """The `namespace` of the root <definitions>: the file was checked at deploy, only its start is read."""
    try:
        for _event, root in etree.iterparse(io.BytesIO(source), events=("start",), resolve_entities=False,
                                            no_network=True, load_dtd=False, huge_tree=False):
            return root.get("namespace")
    except etree.XMLSyntaxError:
        return None
    return None


# -- finding one ----------------------------------------------------------------------------------

def _by_id(definition_id: int, action: str | None = None) -> DecisionDefinition:
    row = db.session.get(DecisionDefinition, definition_id)
    if row is None:
        message = f"no deployed decision definition found with id '{definition_id}'"
        raise CamundaError(f"Cannot {action} decision {definition_id}: {message}" if action else message, 404,
                           INVALID)
    return row


def _latest(key: str) -> DecisionDefinition:
    row = db.session.scalars(select(DecisionDefinition).where(DecisionDefinition.decision_key == key)
                             .order_by(DecisionDefinition.version.desc()).limit(1)).first()
    if row is None:
        raise CamundaError(f"No matching decision definition with key: {key} and no tenant-id", 404, REST)
    return row


# -- list and count -------------------------------------------------------------------------------

def _text_filter(query, name: str, column, like: bool = False):
    value = request.args.get(name)
    if value is None:
        return query
    if not like:
        return query.where(column == value)
    # Camunda clients send SQL patterns ("%grad%", `\` escaping); its documentation speaks of a
    # substring: both work.
    if "%" not in value:
        return query.where(column.contains(value, autoescape=True))
    trailing = len(value) - len(value.rstrip("\\"))
    if trailing % 2:
        value += "\\"  # a lone escape at the end is an error in PostgreSQL: it means the character itself
    return query.where(column.like(value, escape="\\"))


def _category_filter(query):
    """`category` and `categoryLike`: the namespace is in the XML only, so the (few) decisions are read."""
    exact, like = request.args.get("category"), request.args.get("categoryLike")
    if exact is None and like is None:
        return query
    pattern = like.replace("%", "") if like is not None else None
    ids = [row.id for row in db.session.scalars(select(DecisionDefinition))
           if (exact is None or _category(row) == exact) and (pattern is None or pattern in (_category(row) or ""))]
    return query.where(DecisionDefinition.id.in_(ids))


def _query():
    query = select(DecisionDefinition)
    single = request.args.get("decisionDefinitionId")
    if single is not None:
        single_id = db_id(single)
        query = query.where(DecisionDefinition.id == single_id if single_id is not None else false())
    many = request.args.get("decisionDefinitionIdIn")
    if many is not None:
        ids = [db_id(item) for item in many.split(",")]
        query = query.where(DecisionDefinition.id.in_([key for key in ids if key is not None]))
    for name, column in (("key", DecisionDefinition.decision_key), ("name", DecisionDefinition.name),
                         ("resourceName", DecisionDefinition.filename)):
        query = _text_filter(query, name, column)
        query = _text_filter(query, f"{name}Like", column, like=True)
    query = _text_filter(query, "deploymentId", DecisionDefinition.deployment_id)
    query = _category_filter(query)
    version = arg_int("version", low=1, high=RANGES["integer"][1])
    if version is not None:
        query = query.where(DecisionDefinition.version == version)
    after, at = arg_date("deployedAfter"), arg_date("deployedAt")
    if after is not None:
        query = query.where(DecisionDefinition.deployed_at > after)
    if at is not None:
        query = query.where(DecisionDefinition.deployed_at == at)
    if any(request.args.get(name) is not None for name in NULL_FILTERS):
        query = query.where(false())
    if arg_bool("latestVersion"):
        newest = (select(DecisionDefinition.decision_key, func.max(DecisionDefinition.version).label("version"))
                  .group_by(DecisionDefinition.decision_key).subquery())
        query = query.join(newest, (newest.c.decision_key == DecisionDefinition.decision_key)
                           & (newest.c.version == DecisionDefinition.version))
    for name in ("withoutTenantId", "includeDecisionDefinitionsWithoutTenantId",
                 "withoutDecisionRequirementsDefinition"):
        arg_bool(name)  # true or false, as Camunda checks; every decision here is without both
    return query


def _order():
    sort_by, sort_order = request.args.get("sortBy"), request.args.get("sortOrder")
    if sort_by is None and sort_order is None:
        return [DecisionDefinition.id]
    if sort_by is None or sort_order is None:
        raise invalid("Only a single sorting parameter specified. sortBy and sortOrder required")
    if sort_by not in SORTS and sort_by not in NULL_SORTS:
        raise invalid(f"Cannot set query parameter 'sortBy' to value '{sort_by[:40]}'")
    if sort_order not in ("asc", "desc"):
        raise invalid(f"Cannot set query parameter 'sortOrder' to value '{sort_order[:40]}'")
    column = SORTS.get(sort_by, DecisionDefinition.id)
    return [column.asc() if sort_order == "asc" else column.desc(), DecisionDefinition.id]


@bp.get("/decision-definition")
@requires(READ, all_units=False)
def list_decision_definitions():
    """At most LIST_LIMIT a page (`firstResult`, `maxResults`)."""
    first = arg_int("firstResult") or 0
    limit = arg_int("maxResults", high=LIST_LIMIT)
    query = _query().order_by(*_order()).offset(first).limit(LIST_LIMIT if limit is None else limit)
    return jsonify([definition_json(row) for row in db.session.scalars(query)])


@bp.get("/decision-definition/count")
@requires(READ, all_units=False)
def count_decision_definitions():
    return jsonify({"count": db.session.scalar(select(func.count()).select_from(_query().subquery()))})


# -- one, and its XML -------------------------------------------------------------------------------

@bp.get(f"/decision-definition/<{ID}:decision_id>")
@requires(READ, all_units=False)
def get_decision_definition(decision_id):
    return jsonify(definition_json(_by_id(decision_id)))


@bp.get("/decision-definition/key/<key>")
@requires(READ, all_units=False)
def get_decision_definition_by_key(key):
    return jsonify(definition_json(_latest(key)))


def _xml_json(row: DecisionDefinition) -> dict:
    return {"id": str(row.id), "dmnXml": row.source_xml.decode("utf-8", errors="replace")}


@bp.get(f"/decision-definition/<{ID}:decision_id>/xml")
@requires(READ, all_units=False)
def get_decision_xml(decision_id):
    return jsonify(_xml_json(_by_id(decision_id)))


@bp.get("/decision-definition/key/<key>/xml")
@requires(READ, all_units=False)
def get_decision_xml_by_key(key):
    return jsonify(_xml_json(_latest(key)))


# -- evaluate ---------------------------------------------------------------------------------------

@bp.post(f"/decision-definition/<{ID}:decision_id>/evaluate")
@requires(READ, all_units=False)
def evaluate_decision(decision_id):
    return _evaluate(_by_id(decision_id, "evaluate"))


@bp.post("/decision-definition/key/<key>/evaluate")
@requires(READ, all_units=False)
def evaluate_decision_by_key(key):
    return _evaluate(_latest(key))


def _evaluate(row: DecisionDefinition):
    """Camunda's answer: a list with one object per result, output name -> typed value.

    A table that cannot decide (no rule or several under UNIQUE, a failing input expression) is
    Camunda's documented 500 with a RestException "Cannot evaluate decision <id>: <why>", which its
    clients expect; it is answered here as that JSON, never as an unhandled error."""
    body = json_body()
    variables = read_variables(body, "variables") or {}
    row_id, key, version = row.id, row.decision_key, row.version
    try:
        definition, outcome = engine_call(lambda engine: engine.evaluate_decision(key, variables, version))
    except DecisionFailed as err:
        current_app.logger.info("engine-rest: decision %s version %s could not decide: %s", key, version, err)
        raise CamundaError(f"Cannot evaluate decision {row_id}: {err}", 500, REST) from None
    types = _output_types(definition)
    return jsonify([{name: typed_output(value, types.get(name)) for name, value in result.items()}
                    for result in outcome.results])


def _output_types(definition: DecisionDefinition) -> dict:
    """Output name -> the column's typeRef (the compiled table is cached: no query)."""
    engine = current_app.extensions["duban"].engine
    table = engine.decisions.compiled(db.session, definition)
    return {column.name: (column.type_ref or "").lower() or None for column in table.outputs}


# -- typed output values ------------------------------------------------------------------------------

def typed_output(value, type_ref: str | None) -> dict:
    """A result value as Camunda types it: by the output column's typeRef when it has one, as
    Camunda's DMN engine does (a `long` column gives Long), else by the value itself."""
    if value is None:
        return typed(None)
    if isinstance(value, datetime):  # FEEL dates and times are Beijing time without offset
        moment = value if value.tzinfo is not None else value.replace(tzinfo=CHINA_TZ)
        return {"type": "Date", "value": camunda_date(moment), "valueInfo": {}}
    if isinstance(value, date):
        moment = datetime(value.year, value.month, value.day, tzinfo=CHINA_TZ)
        return {"type": "Date", "value": camunda_date(moment), "valueInfo": {}}
    if isinstance(value, timedelta):
        return {"type": "String", "value": iso_duration(value), "valueInfo": {}}
    value = plain(value)
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if type_ref == "double" and number:
        return {"type": "Double", "value": float(value), "valueInfo": {}}
    if type_ref == "long" and number and isinstance(value, int):
        return {"type": "Long", "value": value, "valueInfo": {}}
    return typed(value)
