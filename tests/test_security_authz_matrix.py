"""The authorization matrix: every route of the app × every role, against the expected status.

The routes are read from `app.url_map`; a route (or a method of one) without a row in
EXPECTED fails `test_every_route_has_a_row`, so a new page cannot ship without deciding
who may open it. Path parameters name real records of the market regulation unit
(tests/security_support.py), so the police station's officer and supervisor are "another
unit": its cases answer them 404, as if they did not exist.

Cells:
    200, 302, 400, 401, 403, 404   the status code
    LOGIN                          302 to the sign-in page (pages, for nobody signed in)
    OK                             allowed; a state-changing request is not sent (it would change
                                   the shared demo data). Every refused one IS sent, with a valid
                                   CSRF token and a complete form, and must leave the data as it was.
    302 on a POST                  refused by the engine with a flashed message (e.g. not a candidate),
                                   the data unchanged

Roles (tests/security_support.py USERS): anonymous; market_officer (the unit's officer);
police_officer (another unit's officer); market_supervisor; police_supervisor; office_officer
(the special office: sees every case, supervises nothing); office_leader; admin; token
(market.officer's API token with leads:read, tasks:read, tasks:write, instances:read, units:read,
and no cookie: pages treat it as nobody).
"""
import io

import pytest

from tests import dmn_builder
from tests.security_support import PDF, PROBE_DECISION, ROLES, fingerprint, form_token, world  # noqa: F401 (fixture)

LOGIN, OK = "login", "ok"
ALL_ROLES = ROLES


def cells(default, **overrides):
    row = {role: default for role in ALL_ROLES}
    row.update(overrides)
    return row


# -- rules per kind of route --------------------------------------------------------------------

PUBLIC = cells(200)
REDIRECT = cells(302)
SIGNED_IN = cells(200, anonymous=LOGIN, token=LOGIN)
# A page about the market unit's case (task, lead, subject, instance, evidence file).
MARKET_CASE = {**SIGNED_IN, "police_officer": 404, "police_supervisor": 404}
SPECIAL_OFFICE = {**SIGNED_IN, "market_officer": 403, "police_officer": 403, "market_supervisor": 403,
                  "police_supervisor": 403}
SUPERVISORS = {**SIGNED_IN, "market_officer": 403, "police_officer": 403, "office_officer": 403}
SUPERVISING_MARKET_TASK = {**SUPERVISORS, "police_supervisor": 404}
SUPERVISING_MARKET_UNIT = {**SUPERVISORS, "police_supervisor": 403}
GRID_WORKERS_ONLY = cells(403, anonymous=LOGIN, token=LOGIN)
ADMIN_PAGE = cells(403, anonymous=LOGIN, token=LOGIN, admin=200)
ADMIN_JSON = cells(403, anonymous=401, token=401, admin=200)

# 依法打击 (web/strike.py): the law-enforcement units (the police here) and the special office.
STRIKE = {**SIGNED_IN, "market_officer": 403, "market_supervisor": 403}
STRIKE_POST = ("police_officer", "police_supervisor", "office_officer", "office_leader", "admin")

# The JSON API: 401 without credentials; the session has every scope; the token only its own.
API_READ = cells(200, anonymous=401)
API_READ_NO_TOKEN_SCOPE = {**API_READ, "token": 403}
API_MARKET_RECORD = {**API_READ, "police_officer": 404, "police_supervisor": 404}
# Camunda 7's REST API for workers (web/engine_rest): API tokens only, so every session is 401 (no
# cookie counts there); market.officer's token lacks its scopes (tests/test_security_api_matrix.py).
ENGINE_REST = cells(401, token=403)


def post(allowed, refused, **special):
    """A state-changing page route: nobody signed in -> LOGIN; `allowed` roles are not sent;
    every other role gets `refused` unless `special` says otherwise."""
    row = cells(refused, anonymous=LOGIN, token=LOGIN)
    row.update({role: OK for role in allowed})
    row.update(special)
    return row


def post_market_task(allowed, refused):
    """A page action on the market unit's task: another unit gets 404 (the task does not exist for them)."""
    return post(allowed, refused, police_officer=404, police_supervisor=404)


def api_write(allowed, refused, **special):
    row = cells(refused, anonymous=401)
    row.update({role: OK for role in allowed})
    row.update(special)
    return row


SUPERVISING = ("market_supervisor", "office_leader", "admin")
SIGNED_IN_ROLES = tuple(role for role in ALL_ROLES if role not in ("anonymous", "token"))
SUPERVISOR_POST = post(SUPERVISING, 403, police_supervisor=404)
CAMPAIGN_EDITORS = ("office_leader", "admin")
# Publicity: officers (and grid workers) record; supervisors and the office see every unit's records.
PUBLICITY_RECORDERS = {**SIGNED_IN, "market_supervisor": 403, "police_supervisor": 403, "office_leader": 403,
                       "admin": 403}
MARKET_PUBLICITY = {**SIGNED_IN, "police_officer": 404}
PUBLICITY_CHANGE = post(("market_officer", "market_supervisor", "office_officer", "office_leader", "admin"), 403,
                        police_officer=404)

G, P, D, U = "GET", "POST", "DELETE", "PUT"
# (endpoint, method) -> (path, expected by role). Paths use the world's ids: {task}, {lead} ...
EXPECTED = {
    # -- public, or only redirects -------------------------------------------------------------
    ("main.home", G): ("/", REDIRECT),
    ("main.about", G): ("/about", SIGNED_IN),
    ("main.health", G): ("/healthz", PUBLIC),
    ("auth.login", G): ("/login", PUBLIC),
    ("auth.login", P): ("/login", cells(OK)),  # for everyone; rate limits and CSRF: test_security_auth.py
    ("auth.logout", P): ("/logout", post(SIGNED_IN_ROLES, LOGIN)),
    ("auth.switch_language", G): ("/lang/zh", REDIRECT),
    ("assets.vendor", G): ("/vendor/bootstrap/css/bootstrap.min.css", PUBLIC),
    ("static", G): ("/static/duban.css", PUBLIC),
    ("favicon", G): ("/favicon.ico", PUBLIC),
    # -- inbox and notifications: everyone signed in, each their own ------------------------------
    ("inbox.index", G): ("/inbox/", SIGNED_IN),
    ("inbox.done", G): ("/inbox/done", SIGNED_IN),
    ("inbox.copied", G): ("/inbox/cc", SIGNED_IN),
    ("inbox.claim", P): ("/inbox/{task}/claim", post_market_task(("market_officer", "market_supervisor"), 302)),
    ("inbox.unclaim", P): ("/inbox/{task}/unclaim",
                           post_market_task(("market_officer",) + SUPERVISING, 302)),
    ("notifications.index", G): ("/notifications/", SIGNED_IN),
    # market.officer's notification: anyone else's attempt changes nothing.
    ("notifications.read", P): ("/notifications/{notification}/read", post(("market_officer",), 302)),
    ("notifications.read_all", P): ("/notifications/read-all", post(SIGNED_IN_ROLES, 302)),
    ("notifications.channels", G): ("/notifications/channels", SIGNED_IN),
    ("notifications.save_channels", P): ("/notifications/channels", post(SIGNED_IN_ROLES, 302)),
    # -- the task page and its operations ---------------------------------------------------------
    ("tasks.show", G): ("/tasks/{task}", MARKET_CASE),
    ("tasks.attachment", G): ("/attachments/{attachment}", MARKET_CASE),
    ("tasks.attachment_inline", G): ("/attachments/{attachment}/view", MARKET_CASE),
    ("tasks.attachment_thumbnail", G): ("/attachments/{image_attachment}/thumbnail", MARKET_CASE),
    ("tasks.complete", P): ("/tasks/{task}/complete", post_market_task(("market_officer", "market_supervisor"), 403)),
    ("tasks.draft", P): ("/tasks/{task}/draft", post_market_task(("market_officer", "market_supervisor"), 403)),
    # the value by rule while filling in the form: whoever may complete the task (it changes nothing)
    ("tasks.decisions", P): ("/tasks/{task}/decisions",
                             post_market_task(("market_officer", "market_supervisor"), 403)),
    ("tasks.upload", P): ("/tasks/{task}/attachments", post_market_task(("market_officer",) + SUPERVISING, 403)),
    ("tasks.comment", P): ("/tasks/{task}/comments",
                           post_market_task(("market_officer", "office_officer") + SUPERVISING, 302)),
    ("tasks.send_back", P): ("/tasks/{task}/send-back", post_market_task(("market_officer",) + SUPERVISING, 302)),
    ("tasks.transfer", P): ("/tasks/{task}/transfer", post_market_task(SUPERVISING, 302)),
    ("tasks.delegate", P): ("/tasks/{task}/delegate", post_market_task(("market_officer", "market_supervisor"), 302)),
    ("tasks.add_cosigner", P): ("/tasks/{task}/cosigners", post_market_task(("market_officer",) + SUPERVISING, 302)),
    ("tasks.sign", P): ("/tasks/{task}/sign", post_market_task((), 302)),  # nobody was asked to co-sign
    ("tasks.copy", P): ("/tasks/{task}/cc", post_market_task(("market_officer",) + SUPERVISING, 302)),
    ("tasks.remind", P): ("/tasks/{task}/remind", post_market_task(SUPERVISING, 302)),
    ("tasks.take_back", P): ("/tasks/{task}/take-back", post_market_task((), 302)),  # nobody completed it
    # 撤销: the registering office (and administrators) withdraw a whole case.
    ("tasks.withdraw", P): ("/tasks/{task}/withdraw",
                            post_market_task(("office_officer", "office_leader", "admin"), 302)),
    # -- case pages -------------------------------------------------------------------------------
    ("cases.leads", G): ("/leads", SIGNED_IN),
    ("cases.lead", G): ("/leads/{lead}", MARKET_CASE),
    ("cases.subject", G): ("/subjects/{subject}", MARKET_CASE),
    ("cases.diagram_xml", G): ("/instances/{instance}/diagram.xml", MARKET_CASE),
    ("cases.diagram_markers_json", G): ("/instances/{instance}/markers.json", MARKET_CASE),
    # Grid workers' pages (tests/test_grid_reports.py signs in as one): nobody else's.
    ("grid.index", G): ("/grid/", GRID_WORKERS_ONLY),
    ("grid.report", G): ("/grid/report", GRID_WORKERS_ONLY),
    ("grid.report", P): ("/grid/report", post((), 403)),
    ("grid.show", G): ("/grid/reports/1", GRID_WORKERS_ONLY),
    ("cases.register", G): ("/leads/new", SPECIAL_OFFICE),
    ("cases.register", P): ("/leads/new", post(("office_officer", "office_leader", "admin"), 403)),
    # The reporter's identity: supervisors and office leaders (not officers, not administrators).
    ("cases.reveal_reporter", P): ("/leads/{lead}/reporter",
                                   post_market_task(("market_supervisor", "office_leader"), 403)),
    # -- inspections (机构排查): staff of the office and of member units record their unit's; the unit, its
    # supervisors and the office see them; disposal is started by the inspecting unit's staff or the office
    ("inspections.index", G): ("/inspections", SIGNED_IN),
    ("inspections.new", G): ("/inspections/new", {**SIGNED_IN, "admin": 403}),
    ("inspections.new", P): ("/inspections/new", post(
        ("market_officer", "police_officer", "market_supervisor", "police_supervisor", "office_officer",
         "office_leader"), 403)),
    ("inspections.show", G): ("/inspections/{inspection}", MARKET_CASE),
    ("inspections.start_disposal", P): ("/inspections/{inspection}/disposal", post(
        ("market_officer", "market_supervisor", "office_officer", "office_leader"), 403,
        police_officer=404, police_supervisor=404)),
    # -- official documents: issued by the special office, supervisors and administrators ------------
    ("documents.issue_document", P): ("/leads/{lead}/documents", post_market_task(
        ("office_officer", "office_leader", "admin", "market_supervisor"), 403)),
    ("documents.print_view", G): ("/documents/{document}", MARKET_CASE),
    ("documents.download_docx", G): ("/documents/{document}/docx", MARKET_CASE),
    # -- criminal cases (依法打击): law-enforcement units and the special office; others 403 --------
    ("strike.index", G): ("/strike-cases", STRIKE),
    ("strike.export", G): ("/strike-cases.xlsx", STRIKE),
    ("strike.new", G): ("/strike-cases/new", STRIKE),
    ("strike.new", P): ("/strike-cases/new", post(STRIKE_POST, 403)),
    ("strike.show", G): ("/strike-cases/{strike_case}", STRIKE),
    ("strike.edit", G): ("/strike-cases/{strike_case}/edit", STRIKE),
    ("strike.edit", P): ("/strike-cases/{strike_case}/edit", post(STRIKE_POST, 403)),
    ("strike.move_stage", P): ("/strike-cases/{strike_case}/stage", post(STRIKE_POST, 403)),
    # -- supervisors --------------------------------------------------------------------------------
    ("supervise.index", G): ("/supervise/", SUPERVISORS),
    ("supervise.escalations", G): ("/supervise/escalations", SUPERVISORS),
    ("supervise.board", G): ("/supervise/board", SUPERVISORS),
    ("supervise.unit", G): ("/supervise/units/market", SUPERVISING_MARKET_UNIT),
    ("supervise.task", G): ("/supervise/tasks/{task}", SUPERVISING_MARKET_TASK),
    ("supervise.acknowledge", P): ("/supervise/escalations/{escalation}/acknowledge", SUPERVISOR_POST),
    ("supervise.extend", P): ("/supervise/tasks/{task}/extend", SUPERVISOR_POST),
    ("supervise.reassign", P): ("/supervise/tasks/{task}/reassign", SUPERVISOR_POST),
    ("supervise.transfer", P): ("/supervise/tasks/{task}/transfer", SUPERVISOR_POST),
    ("supervise.remind", P): ("/supervise/tasks/{task}/remind", SUPERVISOR_POST),
    ("supervise.supervise", P): ("/supervise/tasks/{task}/supervise", SUPERVISOR_POST),
    ("supervise.cancel_mark", P): ("/supervise/marks/{mark}/cancel", SUPERVISOR_POST),
    # -- dashboards, narrowed to the market unit ------------------------------------------------
    ("dashboard.index", G): ("/dashboard/?unit=market", SUPERVISING_MARKET_UNIT),
    ("dashboard.drill", G): ("/dashboard/list?figure=received_unit&key=market&unit=market",
                             SUPERVISING_MARKET_UNIT),
    ("dashboard.report", G): ("/dashboard/reports?unit=market", SUPERVISING_MARKET_UNIT),
    ("dashboard.report_xlsx", G): ("/dashboard/reports.xlsx?unit=market", SUPERVISING_MARKET_UNIT),
    ("dashboard.ledger_xlsx", G): ("/dashboard/ledger.xlsx?unit=market", SUPERVISING_MARKET_UNIT),
    # -- publicity activities (宣传发动): the market unit's lecture of today, with a photo -------------
    # Everyone signed in has a list (of what they may see); officers record; supervisors and the office
    # see every unit's activities; the recording unit (its officer and head) and the office change them.
    ("publicity.index", G): ("/publicity/?unit=market", {**SIGNED_IN, "police_officer": 403}),
    ("publicity.export", G): ("/publicity/export.xlsx?unit=market", {**SIGNED_IN, "police_officer": 403}),
    ("publicity.new", G): ("/publicity/new", PUBLICITY_RECORDERS),
    ("publicity.new", P): ("/publicity/new", post(("market_officer", "police_officer", "office_officer"), 403)),
    ("publicity.new_visit", G): ("/publicity/visits/new", PUBLICITY_RECORDERS),
    ("publicity.new_visit", P): ("/publicity/visits/new",
                                 post(("market_officer", "police_officer", "office_officer"), 403)),
    ("publicity.mine", G): ("/publicity/mine", PUBLICITY_RECORDERS),
    ("publicity.show", G): ("/publicity/{publicity}", MARKET_PUBLICITY),
    ("publicity.photo", G): ("/publicity/photos/{publicity_photo}", MARKET_PUBLICITY),
    ("publicity.photo_thumbnail", G): ("/publicity/photos/{publicity_photo}/thumbnail", MARKET_PUBLICITY),
    ("publicity.edit", G): ("/publicity/{publicity}/edit", {**MARKET_PUBLICITY, "police_supervisor": 403}),
    ("publicity.edit", P): ("/publicity/{publicity}/edit", PUBLICITY_CHANGE),
    ("publicity.delete", P): ("/publicity/{publicity}/delete", PUBLICITY_CHANGE),
    # -- monthly returns (月报表): the unit edits its own; whoever sees the unit reads; the office sums --
    ("returns.index", G): ("/returns/", SIGNED_IN),
    ("returns.show", G): ("/returns/market/2026-02", {**SIGNED_IN, "police_officer": 403, "police_supervisor": 403}),
    ("returns.save", P): ("/returns/market/2026-03", post(("market_officer", "market_supervisor"), 403)),
    ("returns.send_back", P): ("/returns/market/2026-02/send-back",
                               post(("office_officer", "office_leader", "admin"), 403)),
    ("returns.summary", G): ("/returns/summary/2026-02", SPECIAL_OFFICE),
    ("returns.summary_xlsx", G): ("/returns/summary/2026-02.xlsx", SPECIAL_OFFICE),
    ("returns.summary_print", G): ("/returns/summary/2026-02/print", SPECIAL_OFFICE),
    ("returns.summary_docx_file", G): ("/returns/summary/2026-02.docx", SPECIAL_OFFICE),
    # -- administration -----------------------------------------------------------------------------
    ("admin.index", G): ("/admin/", ADMIN_PAGE),
    ("admin.processes", G): ("/admin/processes", ADMIN_PAGE),
    ("admin.versions", G): ("/admin/processes/lead_handling/versions", ADMIN_PAGE),
    ("admin.version_xml", G): ("/admin/processes/lead_handling/versions/1.bpmn", ADMIN_PAGE),
    ("admin.diff", G): ("/admin/processes/lead_handling/diff", ADMIN_PAGE),
    ("admin.rollback", P): ("/admin/processes/lead_handling/rollback/1", post(("admin",), 403)),
    ("admin.migrate", G): ("/admin/processes/lead_handling/migrate", ADMIN_PAGE),
    ("admin.migrate", P): ("/admin/processes/lead_handling/migrate", post(("admin",), 403)),
    ("admin.modeler", G): ("/admin/modeler", ADMIN_PAGE),
    ("admin.process_modeler", G): ("/admin/processes/lead_handling/modeler", ADMIN_PAGE),
    ("admin.instances", G): ("/admin/instances", ADMIN_PAGE),
    ("admin.instance", G): ("/admin/instances/{instance}", ADMIN_PAGE),
    ("admin.instance_action", P): ("/admin/instances/{instance}/suspend", post(("admin",), 403)),
    ("admin.set_variable", P): ("/admin/instances/{instance}/variables", post(("admin",), 403)),
    ("admin.incidents", G): ("/admin/incidents", ADMIN_PAGE),
    ("admin.api_known_groups", G): ("/admin/api/known-groups", ADMIN_JSON),
    ("admin.api_known_decisions", G): ("/admin/api/known-decisions", ADMIN_JSON),
    ("admin.api_template", G): ("/admin/api/template", ADMIN_JSON),
    ("admin.api_validate", P): ("/admin/api/validate", api_write(("admin",), 403, token=401)),
    ("admin.api_deploy", P): ("/admin/api/deploy", api_write(("admin",), 403, token=401)),
    ("admin_calendar.page", G): ("/admin/calendar/2027", ADMIN_PAGE),
    ("admin_calendar.save", P): ("/admin/calendar/2027", post(("admin",), 403)),
    # the campaign, its phases and working groups (web/campaign.py): everyone reads; leaders and admins edit
    ("campaign.page", G): ("/admin/campaign/", SIGNED_IN),
    ("campaign.create", P): ("/admin/campaign/", post(CAMPAIGN_EDITORS, 403)),
    ("campaign.save", P): ("/admin/campaign/{campaign}", post(CAMPAIGN_EDITORS, 403)),
    ("campaign.add_phase", P): ("/admin/campaign/{campaign}/phases", post(CAMPAIGN_EDITORS, 403)),
    ("campaign.save_phase", P): ("/admin/campaign/{campaign}/phases/{phase}", post(CAMPAIGN_EDITORS, 403)),
    ("campaign.delete_phase", P): ("/admin/campaign/{campaign}/phases/{phase}/delete",
                                   post(CAMPAIGN_EDITORS, 403)),
    ("campaign.add_group", P): ("/admin/campaign/groups", post(CAMPAIGN_EDITORS, 403)),
    ("campaign.add_member", P): ("/admin/campaign/groups/{group}/members", post(CAMPAIGN_EDITORS, 403)),
    ("campaign.remove_member", P): ("/admin/campaign/groups/{group}/members/{member}/delete",
                                    post(CAMPAIGN_EDITORS, 403)),
    # decision tables (web/admin_decisions.py): the world's probe table
    ("admin_decisions.decisions", G): ("/admin/decisions", ADMIN_PAGE),
    ("admin_decisions.versions", G): (f"/admin/decisions/{PROBE_DECISION}/versions", ADMIN_PAGE),
    ("admin_decisions.version_xml", G): (f"/admin/decisions/{PROBE_DECISION}/versions/1.dmn", ADMIN_PAGE),
    ("admin_decisions.diff", G): (f"/admin/decisions/{PROBE_DECISION}/diff", ADMIN_PAGE),
    ("admin_decisions.rollback", P): (f"/admin/decisions/{PROBE_DECISION}/rollback/1", post(("admin",), 403)),
    ("admin_decisions.editor", G): ("/admin/decisions/editor", ADMIN_PAGE),
    ("admin_decisions.decision_editor", G): (f"/admin/decisions/{PROBE_DECISION}/editor", ADMIN_PAGE),
    ("admin_decisions.api_template", G): ("/admin/api/decisions/template", ADMIN_JSON),
    ("admin_decisions.api_validate", P): ("/admin/api/decisions/validate", api_write(("admin",), 403, token=401)),
    ("admin_decisions.api_evaluate", P): ("/admin/api/decisions/evaluate", api_write(("admin",), 403, token=401)),
    ("admin_decisions.api_deploy", P): ("/admin/api/decisions/deploy", api_write(("admin",), 403, token=401)),
    # -- the JSON API -------------------------------------------------------------------------------
    ("api.index", G): ("/api/v1/", PUBLIC),
    ("api.docs", G): ("/api/v1/docs", PUBLIC),
    ("api-docs.openapi_json", G): ("/api/v1/openapi.json", PUBLIC),
    ("api-definitions.list_definitions", G): ("/api/v1/definitions", API_READ_NO_TOKEN_SCOPE),
    ("api-definitions.get_definition", G): ("/api/v1/definitions/{definition}", API_READ_NO_TOKEN_SCOPE),
    ("api-definitions.deploy_definition", P): ("/api/v1/definitions", api_write(("admin",), 403)),
    ("api-decisions.list_decisions", G): ("/api/v1/decisions", API_READ_NO_TOKEN_SCOPE),
    ("api-decisions.get_decision", G): ("/api/v1/decisions/{decision}", API_READ_NO_TOKEN_SCOPE),
    ("api-decisions.get_decision_xml", G): ("/api/v1/decisions/{decision}/xml", API_READ_NO_TOKEN_SCOPE),
    ("api-decisions.deploy_decision", P): ("/api/v1/decisions", api_write(("admin",), 403)),
    # evaluating stores nothing: every signed-in user may (a decision table is policy, no unit's records)
    ("api-decisions.evaluate_decision", P): (f"/api/v1/decisions/key/{PROBE_DECISION}/evaluate",
                                             API_READ_NO_TOKEN_SCOPE),
    ("api-instances.get_instance", G): ("/api/v1/instances/{instance}", API_MARKET_RECORD),
    ("api-instances.start_instance", P): ("/api/v1/instances", api_write(("office_leader", "admin"), 403)),
    ("api-leads.list_leads", G): ("/api/v1/leads", API_READ),
    ("api-leads.get_lead", G): ("/api/v1/leads/{lead}", API_MARKET_RECORD),
    ("api-leads.lead_steps", G): ("/api/v1/leads/{lead}/steps", API_MARKET_RECORD),
    ("api-leads.lead_documents", G): ("/api/v1/leads/{lead}/documents", API_MARKET_RECORD),
    # As /leads/new (tests/test_security_api_matrix.py has every API row in detail).
    ("api-leads.create_lead", P): ("/api/v1/leads", api_write(("office_officer", "office_leader", "admin"), 403)),
    ("api-tasks.list_tasks", G): ("/api/v1/tasks", API_READ),
    ("api-tasks.get_task", G): ("/api/v1/tasks/{task}", API_MARKET_RECORD),
    ("api-tasks.claim_task", P): ("/api/v1/tasks/{task}/claim", api_write(
        ("market_officer", "market_supervisor", "token"), 403, police_officer=404, police_supervisor=404)),
    ("api-tasks.unclaim_task", P): ("/api/v1/tasks/{task}/unclaim", api_write(
        ("market_officer", "token") + SUPERVISING, 403, police_officer=404, police_supervisor=404)),
    ("api-tasks.complete_task", P): ("/api/v1/tasks/{task}/complete", api_write(
        ("market_officer", "market_supervisor", "token"), 403, police_officer=404, police_supervisor=404)),
    ("api-tokens.list_api_tokens", G): ("/api/v1/tokens", cells(403, anonymous=401, admin=200)),
    ("api-tokens.create_api_token", P): ("/api/v1/tokens", api_write(("admin",), 403)),
    ("api-tokens.revoke_api_token", D): ("/api/v1/tokens/{token}", api_write(("admin",), 403)),
    ("api-units.list_units", G): ("/api/v1/units", API_READ),
    ("api-statistics.statistics", G): ("/api/v1/statistics", {**SUPERVISORS, "anonymous": 401, "token": 403}),
    # -- messages and signals (Duban's API): users who oversee every unit; a probe message matches nothing --
    ("api-messages.correlate_message", P): ("/api/v1/messages", api_write(
        (), 403, office_officer=422, office_leader=422, admin=422)),
    ("api-messages.broadcast_signal", P): ("/api/v1/signals", api_write(("office_officer", "office_leader", "admin"), 403)),
    # -- Camunda 7's REST API (/engine-rest) ---------------------------------------------------------
    ("engine-rest.fetch_and_lock", P): ("/engine-rest/external-task/fetchAndLock", ENGINE_REST),
    ("engine-rest.list_tasks", G): ("/engine-rest/external-task", ENGINE_REST),
    ("engine-rest.count_tasks", G): ("/engine-rest/external-task/count", ENGINE_REST),
    ("engine-rest.get_task", G): ("/engine-rest/external-task/{task}", ENGINE_REST),
    ("engine-rest.complete", P): ("/engine-rest/external-task/{task}/complete", ENGINE_REST),
    ("engine-rest.failure", P): ("/engine-rest/external-task/{task}/failure", ENGINE_REST),
    ("engine-rest.bpmn_error", P): ("/engine-rest/external-task/{task}/bpmnError", ENGINE_REST),
    ("engine-rest.extend_lock", P): ("/engine-rest/external-task/{task}/extendLock", ENGINE_REST),
    ("engine-rest.unlock", P): ("/engine-rest/external-task/{task}/unlock", ENGINE_REST),
    ("engine-rest.set_retries", U): ("/engine-rest/external-task/{task}/retries", ENGINE_REST),
    ("engine-rest.get_process_instance", G): ("/engine-rest/process-instance/{instance}", ENGINE_REST),
    ("engine-rest.start_by_key", P): ("/engine-rest/process-definition/key/lead_handling/start", ENGINE_REST),
    ("engine-rest.correlate", P): ("/engine-rest/message", ENGINE_REST),
    ("engine-rest.signal", P): ("/engine-rest/signal", ENGINE_REST),
    ("engine-rest.list_decision_definitions", G): ("/engine-rest/decision-definition", ENGINE_REST),
    ("engine-rest.count_decision_definitions", G): ("/engine-rest/decision-definition/count", ENGINE_REST),
    ("engine-rest.get_decision_definition", G): ("/engine-rest/decision-definition/{decision}", ENGINE_REST),
    ("engine-rest.get_decision_definition_by_key", G): (f"/engine-rest/decision-definition/key/{PROBE_DECISION}",
                                                        ENGINE_REST),
    ("engine-rest.get_decision_xml", G): ("/engine-rest/decision-definition/{decision}/xml", ENGINE_REST),
    ("engine-rest.get_decision_xml_by_key", G): (f"/engine-rest/decision-definition/key/{PROBE_DECISION}/xml",
                                                 ENGINE_REST),
    ("engine-rest.evaluate_decision", P): ("/engine-rest/decision-definition/{decision}/evaluate", ENGINE_REST),
    ("engine-rest.evaluate_decision_by_key", P): (
        f"/engine-rest/decision-definition/key/{PROBE_DECISION}/evaluate", ENGINE_REST),
}

# A complete form for every page action, so that only the role can be why it is refused.
FORM = {
    "reason": "安全测试", "opinion": "同意", "text": "安全测试评论", "note": "安全测试",
    "to_user": "police.officer", "to_unit": "police", "username": "police.officer", "recipients": "police.officer",
    "to": "previous", "level": "yellow", "due_date": "2026-04-30", "due_time": "18:00",
    "assignee": "market.officer", "unit": "police", "name": "security_probe", "value": "1",
    "from": "1", "selection": "all", "next": "/inbox/",
    "channel": "hotline_12345", "received_at": "2026-03-17T09:00", "summary": "安全测试：不应被登记的线索。",
    "subject_mode": "new", "subject_name": "安全测试主体", "sector": "illegal_fundraising",
    "reporter_name": "测试举报人", "reporter_phone": "13900001111",
    "case_number": "安全测试案件", "charge": "fraud", "filed_on": "2026-03-01", "stage": "prosecuted", "on": "2026-03-01",
    "inspected_on": "2026-03-16", "officers": "market.officer", "finding": "no_problem",
}
API_BODIES = {
    "/api/v1/leads": {"channel": "hotline_12345", "summary": "安全测试：不应被登记的线索。",
                      "received_at": "2026-03-17T09:00:00+08:00", "sector": "illegal_fundraising"},
    "/api/v1/instances": {"process_id": "lead_handling", "data": {}},
    "/api/v1/messages": {"name": "security_probe"},
    "/api/v1/signals": {"name": "security_probe"},
    "/api/v1/tokens": {"user": "police.officer", "scopes": ["leads:read"]},
    "/admin/api/validate": {"xml": "<bpmn:definitions/>"},
    "/admin/api/deploy": {"xml": "<bpmn:definitions/>"},
    "/admin/api/decisions/validate": {"xml": "<definitions/>"},
    "/admin/api/decisions/evaluate": {"xml": "<definitions/>", "variables": {}},
    "/admin/api/decisions/deploy": {"xml": "<definitions/>"},
    "/engine-rest/external-task/fetchAndLock": {"workerId": "security-probe", "maxTasks": 1,
                                                "topics": [{"topicName": "probe", "lockDuration": 1000}]},
    "/engine-rest/process-definition/key/lead_handling/start": {"variables": {}},
    "/engine-rest/message": {"messageName": "probe", "all": True},
    "/engine-rest/signal": {"name": "probe"},
    f"/api/v1/decisions/key/{PROBE_DECISION}/evaluate": {"variables": {"amount": 5}},
}
JSON_PREFIXES = ("/api/", "/admin/api/", "/engine-rest/")


def _methods(rule):
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def test_every_route_has_a_row(world):
    routes = {(rule.endpoint, method) for rule in world.app.url_map.iter_rules() for method in _methods(rule)}
    assert sorted(routes - set(EXPECTED)) == [], "routes without a row in the authorization matrix"
    assert sorted(set(EXPECTED) - routes) == [], "rows for routes that no longer exist"
    for (endpoint, method), (path, expected) in EXPECTED.items():
        assert set(expected) == set(ALL_ROLES), (endpoint, method)
        if method == G:
            assert OK not in expected.values(), f"{endpoint}: a GET row gives a status for every role"


def _request(world, role, method, path):
    client = world.client(role)
    if method == G:
        return client.get(path)
    if role in ("anonymous", "token"):  # a sign-out (auth.logout) clears the session and its CSRF token
        world.csrf[role] = form_token(client.get("/login").text)
    is_json_api = path.startswith(JSON_PREFIXES)
    if not is_json_api:
        data = {**FORM, "csrf_token": world.csrf[role]}
        if path.endswith("/attachments"):
            data["file"] = (io.BytesIO(PDF), "probe.pdf")
        return client.open(path, method=method, data=data, content_type="multipart/form-data")
    headers = {"X-CSRFToken": world.csrf[role]}  # the API ignores it for tokens; admin JSON needs it
    if path == "/api/v1/definitions":
        return client.open(path, method=method, headers=headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(b"<bpmn:definitions/>"), "probe.bpmn")})
    if path == "/api/v1/decisions":
        return client.open(path, method=method, headers=headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(dmn_builder.table(key="refused_probe")), "probe.dmn")})
    body = API_BODIES.get(path, {"data": {}} if path.endswith("/complete") else None)
    return client.open(path, method=method, headers=headers, json=body)


def _outcome(response):
    location = response.headers.get("Location", "")
    if response.status_code == 302 and location.split("?")[0].endswith("/login"):
        return LOGIN
    return response.status_code


@pytest.mark.parametrize("endpoint, method", sorted(EXPECTED))
def test_route_answers_each_role_as_expected(world, endpoint, method):
    template, expected = EXPECTED[(endpoint, method)]
    path = template.format(**world.ids)
    before = fingerprint(world) if method != G else None
    wrong = {}
    for role in ALL_ROLES:
        want = expected[role]
        if want == OK and method != G:
            continue  # allowed: not sent (the CSRF test sends it without a token)
        got = _outcome(_request(world, role, method, path))
        if got != want:
            wrong[role] = f"expected {want}, got {got}"
    assert wrong == {}, f"{method} {path}"
    if before is not None:
        assert fingerprint(world) == before, f"a refused {method} {path} changed the data"


def test_a_wrong_method_is_405_everywhere(world):
    """Routing refuses other methods before any view runs (JSON under /api/ and /engine-rest/)."""
    client = world.client("admin")
    wrong = {}
    for (endpoint, method), (template, _expected) in EXPECTED.items():
        if method != G:
            continue
        path = template.format(**world.ids)
        response = client.open(path.split("?")[0], method="PUT")
        if response.status_code != 405 or (path.startswith(("/api/", "/engine-rest/")) and not response.is_json):
            wrong[path] = response.status_code
    readable = {rule.rule for rule in world.app.url_map.iter_rules() if "GET" in rule.methods}
    for rule in world.app.url_map.iter_rules():
        if rule.rule not in readable:  # POST/DELETE-only routes refuse GET
            path = next(t for (e, _m), (t, _x) in EXPECTED.items() if e == rule.endpoint).format(**world.ids)
            response = client.get(path)
            if response.status_code != 405:
                wrong[f"GET {path}"] = response.status_code
    assert wrong == {}


def test_an_api_token_opens_no_page(world):
    """A bearer token is for the JSON API only: pages treat its holder as nobody."""
    client = world.client("token")
    assert _outcome(client.get("/inbox/")) == LOGIN
    assert client.get("/api/v1/tasks").status_code == 200
