"""Odd input never makes a server error (issue 14): every route of the app, as an administrator and as a
unit officer, with extreme path values, extreme query parameters and over-deep or oversized JSON bodies.

- path parameters: ids beyond 64 bits, zero, text; strings very long, non-BMP unicode, NUL, "..";
- query parameters: the names each view reads, learnt by recording them on a plain HEAD of every GET route
  (which also shows that HEAD works wherever GET does), each given huge and negative numbers, zero, words,
  impossible and far-off dates, empty, very long text, unicode, NUL;
- JSON POST routes: nested 5,000 and 100 levels, numbers of 5,000 digits, NaN, 1e999, over 1 MiB.

To stay fast, all of a route's parameters get the same value in one request; only when the route refuses it
(400/403/404: one parameter may have stopped the others being read) are the parameters split in halves and
sent again, down to the one refusing. Any 5xx (or exception) fails the test, listing route and values.
Besides the fuzzer, one direct test per case of the issue.
"""
import json
import re
from urllib.parse import quote

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import ImmutableMultiDict

from tests.security_support import world  # noqa: F401 (fixture)

MAX_DB_INT = 2**63 - 1
ROLES = ("admin", "market_officer")
JSON_BODY_LIMIT = 1024 * 1024  # DUBAN_API_MAX_BODY_BYTES' default

QUERY_VALUES = [
    "99999999999999999999999",   # beyond 64 bits
    str(-2**63 - 1),             # negative, and beyond 64 bits
    "abc",
    "9999-99-99",
    "9999-12-31",                # a real date at the calendar's end: a period after it overflows
    "0001-01-01",
    "",
    "x" * 3000,
    "中文\U0001d54f\u202e",        # CJK, outside the BMP, a bidi override
    "a\x00b",
    "%_'\"\\",                   # LIKE wildcards, quotes, a backslash
]
INT_PATH_VALUES = [str(MAX_DB_INT + 1), "9" * 30, "0"]
TEXT_PATH_VALUES = ["x" * 2000, "中文\U0001d54f", "a\x00b", ".."]
NO_SPLIT = {"a\x00b"}  # refused for the whole query string at once: no parameter to single out
REFUSED = re.compile(r"(?:参数|parameter) (\w+)")  # web.params.BadParameter's message names the parameter


def deep(levels: int) -> str:
    return '{"data": {"a": ' + "[" * levels + "]" * levels + "}}"


JSON_BODIES = {
    "nested 5000 levels": deep(5000),
    "nested 100 levels": deep(100),
    "a number of 5000 digits": '{"data": {"n": ' + "9" * 5000 + "}}",
    "NaN": '{"data": {"n": NaN}}',
    "1e999": '{"data": {"n": 1e999}}',
    "not UTF-8": b'{"data": "\xff\xfe"}',
    "a list": "[]",
    "over the size limit": '{"data": {"s": "' + "x" * JSON_BODY_LIMIT + '"}}',
}


# -- what the routes are and read ------------------------------------------------------------

class RecordingArgs(ImmutableMultiDict):
    """Query arguments that note which names the view asks for."""

    asked: set = set()

    def __getitem__(self, key):
        RecordingArgs.asked.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None, type=None):  # noqa: A002 - MultiDict's signature
        RecordingArgs.asked.add(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):  # noqa: A002
        RecordingArgs.asked.add(key)
        return super().getlist(key, type)

    def __contains__(self, key):
        RecordingArgs.asked.add(key)
        return super().__contains__(key)


ARGUMENT = re.compile(r"<(?:([^:<>]+):)?(\w+)>")


def real_values(world, rule) -> dict:
    """A real record (or harmless value) for each path argument of `rule`."""
    ids = world.ids
    known = {"task_id": ids["task"], "instance_id": ids["instance"], "lead_id": ids["lead"],
             "subject_id": ids["subject"], "attachment_id": ids["attachment"], "document_id": ids["document"],
             "escalation_id": ids["escalation"], "mark_id": ids["mark"], "notification_id": ids["notification"],
             "token_id": ids["token"], "definition_id": ids["definition"], "decision_id": ids["decision"],
             "version": 1, "year": 2026, "campaign_id": ids["campaign"], "phase_id": ids["phase"],
             "group_id": ids["group"], "user_id": ids["member"], "case_id": ids["strike_case"],
             "activity_id": ids["publicity"], "photo_id": ids["publicity_photo"], "inspection_id": ids["inspection"],
             "unit_code": "market", "month": "2026-02",
             "process_id": "lead_handling", "key": "security_probe", "package": "htmx", "action": "suspend",
             "code": "zh" if rule.endpoint == "auth.switch_language" else "market",
             "filename": "htmx.min.js" if rule.endpoint == "assets.vendor" else "duban.css"}
    return {name: known.get(name, 1 if converter.startswith("int") else "x")
            for converter, name in ((c or "default", n) for c, n in ARGUMENT.findall(rule.rule))}


def path_of(rule, values: dict) -> str:
    return ARGUMENT.sub(lambda m: quote(str(values[m.group(2)]), safe=""), rule.rule)


def base_query(endpoint) -> dict:
    """What a route needs to get past its first check, so the other parameters are read."""
    if endpoint == "dashboard.drill":
        from web.reports import FIGURES
        return {"figure": next(iter(FIGURES))}
    return {}


class Fuzzer:
    def __init__(self, world):
        self.world = world
        self.failures = []

    def send(self, role, method, path, where, **kwargs):
        client = self.world.client(role)
        if method not in ("GET", "HEAD"):
            kwargs.setdefault("headers", {})["X-CSRFToken"] = self.world.csrf[role]
        try:
            response = client.open(path, method=method, **kwargs)
        except Exception as exc:  # noqa: BLE001 - TESTING propagates the server error: that is the finding
            self.failures.append(f"{role} {method} {path} {where}: {type(exc).__name__}: {str(exc)[:300]}")
            return None
        if response.status_code >= 500:
            self.failures.append(f"{role} {method} {path} {where}: {response.status_code}")
        return response

    def query(self, role, method, path, base, names, value, split=True):
        """All `names` = value; with `split`, again without the one refusing it, so each is read once."""
        query = {**base, **{name: value for name in names}}
        response = self.send(role, method, path, f"?{shorten(query)}", query_string=query)
        if not split or response is None or response.status_code not in (400, 403, 404) or len(names) < 2 \
                or value in NO_SPLIT:
            return
        named = REFUSED.search(response.get_data(as_text=True)) if response.status_code == 400 else None
        if named and named.group(1) in names:  # the refusal names its parameter: the others again
            self.query(role, method, path, base, [name for name in names if name != named.group(1)], value)
            return
        half = len(names) // 2  # a refusal without a name: halves, down to the one refusing
        self.query(role, method, path, base, names[:half], value)
        self.query(role, method, path, base, names[half:], value)


def shorten(query: dict) -> str:
    return repr({name: value if len(value) < 40 else f"{value[:10]}…({len(value)})" for name, value in query.items()})


def routes(app, method):
    return sorted((rule for rule in app.url_map.iter_rules() if method in rule.methods), key=lambda r: r.rule)


# -- the fuzzer ------------------------------------------------------------------------------

def test_no_route_answers_a_server_error_to_extreme_input(world, monkeypatch):
    app = world.app
    recording = type("RecordingRequest", (app.request_class,), {"parameter_storage_class": RecordingArgs})
    monkeypatch.setattr(app, "request_class", recording)
    fuzzer = Fuzzer(world)

    # HEAD of every GET route with real records, learning which query parameters each view reads.
    reads = {}
    for role in ROLES:
        for rule in routes(app, "GET"):
            RecordingArgs.asked = set()
            path = path_of(rule, real_values(world, rule))
            response = fuzzer.send(role, "HEAD", path, "(plain)", query_string=base_query(rule.endpoint))
            if response is not None:
                assert response.status_code not in (400, 405) and response.data == b"", (role, path)
            asked = sorted(RecordingArgs.asked - set(base_query(rule.endpoint)))
            if asked:
                reads[(role, rule.endpoint)] = (path, asked)
    assert len(reads) >= 20, reads  # the lists, filters, periods, versions … were all found

    # Query parameters: each route's own, with every value (GET and HEAD in turn). The officer's requests
    # read them with the same code as the administrator's, within the unit's scope: not split again.
    for (role, endpoint), (path, names) in reads.items():
        for index, value in enumerate(QUERY_VALUES):
            fuzzer.query(role, ("GET", "HEAD")[index % 2], path, base_query(endpoint), names, value,
                         split=role == "admin")

    # Path parameters: each in turn extreme, the others real (POSTs carry the CSRF token; nothing real is hit).
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        real = real_values(world, rule)
        for method in sorted(rule.methods - {"OPTIONS", "HEAD"}):
            for converter, name in ARGUMENT.findall(rule.rule):
                numeric = (converter or "").startswith("int")
                for role in ROLES if not numeric else ROLES[:1]:  # an id is refused by the router, whoever asks
                    for value in INT_PATH_VALUES if numeric else TEXT_PATH_VALUES:
                        fuzzer.send(role, method, path_of(rule, {**real, name: value}), f"<{name}>")

    # JSON bodies to the JSON POST routes (ids that exist nowhere: a body that got through changes nothing).
    for rule in routes(app, "POST"):
        if "/api/" not in rule.rule:
            continue
        path = path_of(rule, {name: MAX_DB_INT if numeric else "x" for name, numeric in
                              ((n, (c or "").startswith("int")) for c, n in ARGUMENT.findall(rule.rule))})
        for role in ROLES:
            for label, body in JSON_BODIES.items():
                response = fuzzer.send(role, "POST", path, label, data=body, content_type="application/json")
                if response is not None and response.status_code in (400, 413):
                    assert response.is_json and response.get_json().get("message"), (role, path, label)

    assert not fuzzer.failures, "\n".join(fuzzer.failures)


# -- /engine-rest (Camunda 7's REST API): the same, with a token that gets past its checks -----------

ENGINE_REST_SCOPES = "external-tasks,messages,instances:write,instances:read,definitions:read"
ENGINE_REST_BODIES = {
    **JSON_BODIES,
    "numbers beyond 64 bits": '{"workerId": "w", "maxTasks": 99999999999999999999, "retries": 99999999999999999999,'
                              ' "topics": [{"topicName": "t", "lockDuration": 99999999999999999999}]}',
    "the longest durations": '{"workerId": "w", "maxTasks": 1, "retries": 2147483647, "newDuration": '
                             '9223372036854775807, "retryTimeout": 9223372036854775807, "topics": [{"topicName": "t",'
                             ' "lockDuration": 9223372036854775807, "processInstanceId": "9' + "9" * 40 + '"}]}',
    "topics of odd shapes": '{"workerId": "w", "maxTasks": 1, "topics": [[], {"topicName": {}}, {"topicName": "t",'
                            ' "lockDuration": 1, "processDefinitionIdIn": [1e308, "99999999999999999999"]}]}',
    "scalars where objects go": '{"workerId": [], "variables": "x", "correlationKeys": 1, "processVariables": [],'
                                ' "sorting": {}, "topics": "t", "businessKey": {}}',
}
ODD_TYPED_VALUES = [
    {"type": "Integer", "value": 1e308}, {"type": "Long", "value": "9" * 30}, {"type": "Short", "value": 40000},
    {"type": "Double", "value": "NaN"}, {"type": "Double", "value": "1e999"}, {"type": "Boolean", "value": 2},
    {"type": "Date", "value": "0001-01-01T00:00:00+0000"}, {"type": "Date", "value": "9999-12-31T23:59:59.999-1200"},
    {"type": "Json", "value": "[" * 70 + "]" * 70}, {"type": "Json", "value": '"\\u0000"'},
    {"type": "Json", "value": '{"n": ' + "9" * 5000 + "}"}, {"type": "Object", "valueInfo": [], "value": "{}"},
    {"type": "Object", "valueInfo": {"serializationDataFormat": "application/json"}, "value": "NaN"},
    {"type": "Bytes", "value": "AAAA"}, {"type": 5, "value": 1}, {"type": "String", "value": {"a": 1}}, [], "x",
]
ENGINE_REST_BODIES.update({
    f"typed value {index}": json.dumps({"workerId": "w", "messageName": "m", "name": "s", "errorCode": "E",
                                        "variables": {"v": spec}, "processVariables": {"v": spec},
                                        "correlationKeys": {"v": spec}})
    for index, spec in enumerate(ODD_TYPED_VALUES)})


def test_engine_rest_answers_no_server_error_to_extreme_input(world, monkeypatch):
    from domain.api_tokens import create_token
    from web.extensions import db
    app = world.app
    with app.app_context():
        _, secret = create_token(db.session, "admin", ENGINE_REST_SCOPES, "route-fuzz")
        db.session.commit()
    worker = app.test_client()
    worker.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    monkeypatch.setitem(world.clients, "worker", worker)
    monkeypatch.setitem(world.csrf, "worker", "")
    monkeypatch.setitem(app.config, "DUBAN_ENGINE_REST_MAX_POLL_SECONDS", 0.05)  # no long polls here
    recording = type("RecordingRequest", (app.request_class,), {"parameter_storage_class": RecordingArgs})
    monkeypatch.setattr(app, "request_class", recording)
    fuzzer = Fuzzer(world)
    rules = sorted((rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/engine-rest/")),
                   key=lambda r: r.rule)

    reads = {}
    for rule in rules:
        if "GET" in rule.methods:
            RecordingArgs.asked = set()
            path = path_of(rule, real_values(world, rule))
            response = fuzzer.send("worker", "HEAD", path, "(plain)")
            assert response is not None and response.status_code in (200, 404) and response.data == b"", path
            if RecordingArgs.asked:
                reads[path] = sorted(RecordingArgs.asked)
    assert {"firstResult", "locked", "maxResults", "sortBy"} <= set(reads.get("/engine-rest/external-task", ())), reads
    for path, names in reads.items():
        for index, value in enumerate(QUERY_VALUES):
            fuzzer.query("worker", ("GET", "HEAD")[index % 2], path, {}, names, value)

    for rule in rules:
        real = real_values(world, rule)
        for method in sorted(rule.methods - {"OPTIONS", "HEAD"}):
            for converter, name in ARGUMENT.findall(rule.rule):
                for value in INT_PATH_VALUES if (converter or "").startswith("int") else TEXT_PATH_VALUES:
                    fuzzer.send("worker", method, path_of(rule, {**real, name: value}), f"<{name}>")
        path = path_of(rule, {name: MAX_DB_INT if (converter or "").startswith("int") else "x"
                              for converter, name in ARGUMENT.findall(rule.rule)})
        for method in sorted(rule.methods & {"POST", "PUT"}):
            for label, body in ENGINE_REST_BODIES.items():
                response = fuzzer.send("worker", method, path, label, data=body, content_type="application/json")
                if response is not None and response.status_code in (400, 413):
                    answer = response.get_json()
                    assert answer and answer.get("type") and answer.get("message"), (path, label)

    assert not fuzzer.failures, "\n".join(fuzzer.failures)


# -- the cases of the issue, one by one --------------------------------------------------------

@pytest.mark.parametrize("path", ["/leads/99999999999999999999", "/tasks/99999999999999999999999",
                                  f"/leads/{MAX_DB_INT + 1}", f"/admin/instances/{MAX_DB_INT + 1}",
                                  f"/api/v1/leads/{MAX_DB_INT + 1}"])
def test_an_id_beyond_the_database_range_is_not_found(world, path):
    response = world.client("admin").get(path)
    assert response.status_code == 404


def test_a_page_number_out_of_range_is_refused_naming_the_parameter(world):
    admin = world.client("admin")
    for path in ("/leads?page=99999999999999999999999", "/inbox/?page=-3", "/admin/instances?page=abc"):
        response = admin.get(path)
        assert response.status_code == 400, path
        assert "page" in response.text and "1" in response.text and "100000" in response.text, path
    assert admin.get("/leads?page=2").status_code == 200


def test_a_date_out_of_range_is_refused_naming_the_parameter(world):
    response = world.client("admin").get("/dashboard/?from=9999-12-31&to=9999-99-99")
    assert response.status_code == 400 and "from" in response.text


def test_a_nul_in_the_query_string_is_refused(world):
    response = world.client("admin").get("/leads", query_string={"q": "a\x00b"})
    assert response.status_code == 400 and "q" in response.text
    api = world.client("admin").get("/api/v1/leads", query_string={"external_ref": "a\x00b"})
    assert api.status_code == 400 and "external_ref" in api.get_json()["message"]


def _instances(world):
    from engine.store.models import ProcessInstance
    from web.extensions import db
    with world.app.app_context():
        count = db.session.scalar(select(func.count()).select_from(ProcessInstance))
        db.session.rollback()
    return count


@pytest.mark.parametrize("body, problem", [
    (deep(5000), "nested more than 64 levels"),
    (deep(65), "nested more than 64 levels"),
    ('{"process_id": "lead_handling", "data": {"n": ' + "9" * 5000 + "}}", "too many digits"),
    ('{"process_id": "lead_handling", "data": {"n": NaN}}', "NaN"),
])
def test_json_beyond_the_limits_is_refused_with_a_message(world, body, problem):
    before = _instances(world)
    response = world.client("admin").post("/api/v1/instances", data=body, content_type="application/json",
                                          headers={"X-CSRFToken": world.csrf["admin"]})
    assert response.status_code == 400
    answer = response.get_json()
    assert answer["code"] == 400 and answer["status"] == "Bad Request" and problem in answer["message"]
    assert _instances(world) == before


def test_json_nested_within_the_limit_is_read(world):
    response = world.client("admin").post(
        "/api/v1/instances", content_type="application/json", headers={"X-CSRFToken": world.csrf["admin"]},
        data=json.dumps({"process_id": "no_such_process", "data": {"a": json.loads(deep(60))}}))
    assert response.status_code == 404  # read, then: no such process


def test_json_over_the_size_limit_is_refused_with_a_message(world):
    response = world.client("admin").post("/api/v1/instances", data=JSON_BODIES["over the size limit"],
                                          content_type="application/json",
                                          headers={"X-CSRFToken": world.csrf["admin"]})
    assert response.status_code == 413 and "too large" in response.get_json()["message"]


def test_head_is_answered_like_get(world):
    anonymous = world.client("anonymous")
    got, head = anonymous.get("/login"), anonymous.head("/login")
    assert head.status_code == got.status_code == 200
    assert head.data == b"" and head.headers["Content-Type"] == got.headers["Content-Type"]
    office = world.client("office_officer")
    from domain.models import Lead
    from web.extensions import db

    def leads():
        with world.app.app_context():
            count = db.session.scalar(select(func.count()).select_from(Lead))
            db.session.rollback()
        return count

    before = leads()
    assert office.head("/leads/new").status_code == office.get("/leads/new").status_code == 200
    assert leads() == before  # HEAD is no form post: nothing registered
    for path in ("/leads", f"/leads/{world.ids['lead']}", "/api/v1/leads", f"/attachments/{world.ids['attachment']}",
                 f"/attachments/{world.ids['attachment']}/view", f"/attachments/{world.ids['image_attachment']}/thumbnail"):
        assert office.head(path).status_code == office.get(path).status_code == 200, path
