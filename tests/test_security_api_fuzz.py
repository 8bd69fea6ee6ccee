"""The API fuzzed beyond tests/test_api_schemathesis.py (an administrator's token, every operation
but token revocation, valid and invalid requests):

- the OpenAPI document describes every API route of the app, each with its security and its
  401/403 answers, so the fuzzers (which read the document) reach everything;
- an officer's token with few scopes: refusals (401/403/404) are documented answers, never a 500;
- the pages' session cookie with the CSRF header, the API's second way in;
- token revocation, aimed at other tokens than the fuzzer's own.
"""
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from sqlalchemy import func, select

from domain.api_tokens import SCOPES, ApiToken
from tests.conftest import csrf_token, login
from tests.test_api import make_token
from tests.test_api_schemathesis import CHECKS, existing_ids

EXAMPLES = 6
DOCUMENTATION = {"api.index", "api.docs", "api-docs.openapi_json"}


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?(\w+)>", r"{\1}", rule)


def test_the_document_describes_every_api_route(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    documented = {(path, method.upper()) for path, methods in spec["paths"].items() for method in methods
                  if method != "parameters"}
    routes = {(_openapi_path(rule.rule), method) for rule in client.application.url_map.iter_rules()
              if rule.endpoint.startswith("api") and rule.endpoint not in DOCUMENTATION
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == documented
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            if method == "parameters":
                continue
            assert operation.get("security"), (method, path)
            assert {"401", "403"} <= set(operation["responses"]), (method, path)
            assert operation.get("x-scope") in SCOPES, (method, path)


def _fuzz(app, operations, mode, fixed_ids, **call):
    failures = {}
    for operation in operations:
        names = re.findall(r"{(\w+)}", operation.path)
        for fixed in ([None, {name: fixed_ids[name] for name in names}] if names else [None]):

            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
            @given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed))
            def run(case):
                case.call_and_validate(checks=CHECKS, **call)

            try:
                run()
            except Exception as exc:  # noqa: BLE001 - collect every operation's failure, then report all
                failures[f"{operation.label} {fixed or ''}"] = exc
    return failures


def _operations(app, skip=()):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [op for op in (result.ok() for result in schema.get_all_operations())
            if (op.method.upper(), op.path) not in skip]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_an_officer_with_few_scopes_gets_documented_refusals_never_a_server_error(demo, session_factory, mode):
    token = make_token(demo, "police.officer", "leads:read,tasks:read,units:read")
    fixed = existing_ids(session_factory)  # the special office's records: not police's to see
    failures = _fuzz(demo, _operations(demo, skip={("DELETE", "/api/v1/tokens/{token_id}")}), mode, fixed,
                     headers={"Authorization": f"Bearer {token}"})
    assert not failures, "\n\n".join(f"{label}:\n{exc}" for label, exc in failures.items())


def test_the_session_cookie_with_the_csrf_header(demo, session_factory):
    browser = demo.test_client()
    login(browser, "office.officer")
    call = {"headers": {"X-CSRFToken": csrf_token(browser)},
            "cookies": {"session": browser.get_cookie("session").value}}
    fixed = existing_ids(session_factory)
    failures = _fuzz(demo, _operations(demo, skip={("DELETE", "/api/v1/tokens/{token_id}")}),
                     GenerationMode.POSITIVE, fixed, **call)
    assert not failures, "\n\n".join(f"{label}:\n{exc}" for label, exc in failures.items())


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_revoking_tokens(demo, session_factory, mode):
    """Aimed at other users' tokens (the fuzzer's own is made last): never a server error."""
    for _ in range(3):
        make_token(demo, "market.officer", "leads:read")
    admin = make_token(demo, "admin", "tokens:admin")
    with session_factory() as s:
        first_victim = s.scalar(select(func.min(ApiToken.id)))
    [revoke] = [op for op in _operations(demo)
                if (op.method.upper(), op.path) == ("DELETE", "/api/v1/tokens/{token_id}")]
    failures = _fuzz(demo, [revoke], mode, {"token_id": first_victim}, headers={"Authorization": f"Bearer {admin}"})
    assert not failures, "\n\n".join(f"{label}:\n{exc}" for label, exc in failures.items())
