"""A demo world for the security tests (tests/test_security_*.py), built once per module.

`flask demo` data on the test database (SQLite or PostgreSQL), with CSRF on, plus what
the demo lacks so every route has a real record of the market regulation unit to aim at:

- the market unit's open rectification task (提交整改材料) and its process instance;
- the lead behind it, triaged to market (responsible_unit), with a reporter on record;
- the lead's subject; an evidence file uploaded to the task by market.officer;
- escalations of the market tasks (the clock moved past their deadline) and a yellow card;
- a notification of market.officer; an API token of market.officer with some scopes.

One signed-in Flask test client per role. The police station's officer and supervisor are
"another unit": they must not even learn that the market unit's records exist (404).

The module-scoped world does not use the function-scoped `session_factory`, `app`, `demo`,
`clock` or `field_key` fixtures (their teardown would empty the tables under it); it
empties the tables itself when the module is done.
"""
import io
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from engine import clock as clock_module
from tests.conftest import START, _fast_hash, login

BEIJING = timezone(timedelta(hours=8))
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def _png_photo() -> bytes:
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(out, "PNG")
    return out.getvalue()
TOKEN_SCOPES = "leads:read,tasks:read,tasks:write,instances:read,units:read"
PROBE_DECISION = "security_probe"  # a decision table of the world's: amount (number) -> level

# role -> username (None: nobody signed in). "token" sends market.officer's API token and no cookie.
USERS = {
    "anonymous": None,
    "market_officer": "market.officer",          # the unit's officer
    "police_officer": "police.officer",          # another unit's officer
    "market_supervisor": "market.supervisor",    # supervises market only
    "police_supervisor": "police.supervisor",    # another unit's supervisor
    "office_officer": "office.officer",          # the special office: sees every case, supervises nothing
    "office_leader": "office.leader",            # sees and supervises everything
    "admin": "admin",                            # administrator
    "token": None,                               # API token holder (market.officer, TOKEN_SCOPES)
}
ROLES = tuple(USERS)


@dataclass
class World:
    app: object
    clock: object
    clients: dict
    ids: dict
    token: str
    csrf: dict = field(default_factory=dict)

    def client(self, role):
        return self.clients[role]


def form_token(page_text):
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page_text) or \
        re.search(r'<meta name="csrf-token" content="([^"]+)"', page_text)
    return found.group(1)


def clean_tables(db_engine):
    from engine.store.base import Base
    with db_engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@contextmanager
def demo_world(database_url, db_engine, upload_dir, **overrides):
    """The world described above; yields a World, empties the tables afterwards."""
    from domain.crypto import configure_field_keys, generate_field_key
    from web import create_app
    from web.extensions import db

    clean_tables(db_engine)  # whatever an earlier module left behind
    configure_field_keys(generate_field_key())
    manual = clock_module.ManualClock(START)
    clock_module.install(manual)
    config = {"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "SECRET_KEY": "security-test-secret",
              "DUBAN_HASH_PASSWORD": _fast_hash, "DUBAN_UPLOAD_DIR": str(upload_dir), "RATELIMIT_ENABLED": False}
    config.update(overrides)
    app = create_app(config)
    assert app.config.get("WTF_CSRF_ENABLED", True) is not False, "the security tests run with CSRF on"
    try:
        result = app.test_cli_runner().invoke(args=["demo"])
        assert result.exit_code == 0, result.output
        world = World(app=app, clock=manual, clients={}, ids={}, token="")
        _prepare(world)
        yield world
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        clean_tables(db_engine)
        configure_field_keys()
        clock_module.install(clock_module.SystemClock())


@pytest.fixture(scope="module")
def world(database_url, db_engine, tmp_path_factory):
    """The demo world, once per test module (import it: `from tests.security_support import world`)."""
    with demo_world(database_url, db_engine, tmp_path_factory.mktemp("uploads")) as built:
        yield built


def _prepare(world):
    from domain.api_tokens import create_token
    from domain.models import Lead, RectificationItem, User
    from engine.store.models import Attachment, HumanTask
    from engine.store.supervision_models import Escalation, SupervisionMark
    from notifications.models import InboxNotification
    from web.extensions import db

    app = world.app
    runtime = app.extensions["duban"]
    with app.app_context():
        # market's rectification of the 夕阳红 low-price tours (提交整改材料); its lead's reporter is 张阿婆
        item = db.session.scalars(select(RectificationItem).where(
            RectificationItem.responsible_unit == "market", RectificationItem.problem.contains("低价游"))).one()
        task = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == item.instance_id,
                                                          HumanTask.status == "open")).one()
        lead = db.session.get(Lead, item.lead_id)
        assert lead.reporter is not None and not lead.reporter.anonymous
        lead.responsible_unit = "market"  # triaged to market, as 研判分流 would have done
        other_task = db.session.scalars(select(HumanTask).where(
            HumanTask.status == "open", HumanTask.candidate_groups == "market", HumanTask.id != task.id)).first()
        market_supervisor = db.session.scalars(select(User).where(User.username == "market.supervisor")).one()
        _, world.token = create_token(db.session, "market.officer", TOKEN_SCOPES, "security-test")
        db.session.commit()
        from domain.models import Inspection
        # market's inspection of 长青健康 that found a risk, its graded disposal not started (机构排查)
        inspection = db.session.scalars(select(Inspection).where(
            Inspection.unit == "market", Inspection.finding == "risk_found")).one()
        assert inspection.instance_id is None
        ids = {"task": task.id, "instance": task.instance_id, "lead": lead.id, "subject": lead.subject_id,
               "item": item.id, "inspection": inspection.id,
               "other_task": other_task.id, "reporter_name": lead.reporter.name,
               "reporter_phone": lead.reporter.phone}
        supervisor_actor = market_supervisor.to_actor()

    # Two weeks later the market tasks are overdue: the sweep raises escalations; a yellow card.
    world.clock.set(datetime(2026, 3, 17, 10, 0, tzinfo=BEIJING).astimezone(timezone.utc))
    runtime.escalator.run_due()
    runtime.escalator.supervise(ids["other_task"], supervisor_actor, "yellow", "逾期未办")
    while runtime.notifier.deliver_due().claimed:  # the in-app notifications of all that
        pass

    for role, username in USERS.items():
        client = app.test_client()
        if username:
            login(client, username)
            world.csrf[role] = form_token(client.get("/inbox/").text)
        else:
            world.csrf[role] = form_token(client.get("/login").text)
        if role == "token":
            client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {world.token}"
        world.clients[role] = client

    # A photo first (its thumbnail route is in the matrices), then the PDF: ids["attachment"] is the newest.
    for content, name in ((_png_photo(), "现场照片.png"), (PDF, "整改材料.pdf")):
        upload = world.clients["market_officer"].post(
            f"/tasks/{ids['task']}/attachments", content_type="multipart/form-data",
            data={"csrf_token": world.csrf["market_officer"], "file": (io.BytesIO(content), name)})
        assert upload.status_code == 302, upload.text

    # A publicity activity of the market unit held today (so its unit may still change it), with a photo.
    today = clock_module.now().astimezone(BEIJING).date().isoformat()
    recorded = world.clients["market_officer"].post(
        "/publicity/new", content_type="multipart/form-data",
        data={"csrf_token": world.csrf["market_officer"], "held_on": today, "form": "lecture",
              "community": "community_tangshi", "title": "安全测试：防骗讲座", "audience": "40",
              "photos": (io.BytesIO(_png_photo()), "讲座.png")})
    assert recorded.status_code == 302, recorded.text

    issued = world.clients["office_officer"].post(
        f"/leads/{ids['lead']}/documents",
        data={"csrf_token": world.csrf["office_officer"], "kind": "rectification_notice",
              "target": f"item-{ids['item']}"})
    assert issued.status_code == 302, issued.text

    decision_id = _probe_decision(runtime.engine)
    with app.app_context():
        from domain.documents.models import IssuedDocument
        ids["document"] = db.session.scalar(select(func.max(IssuedDocument.id)))
        ids["attachment"] = db.session.scalar(select(func.max(Attachment.id)).where(
            Attachment.instance_id == ids["instance"]))
        ids["image_attachment"] = db.session.scalar(select(func.max(Attachment.id)).where(
            Attachment.instance_id == ids["instance"], Attachment.content_type == "image/png"))
        ids["escalation"] = db.session.scalar(select(func.min(Escalation.id)).where(
            Escalation.task_id == ids["task"], Escalation.status == "open", Escalation.unit == "market",
            Escalation.audience == "supervisors"))
        ids["mark"] = db.session.scalar(select(func.min(SupervisionMark.id)).where(
            SupervisionMark.task_id == ids["other_task"]))
        ids["notification"] = db.session.scalar(select(func.min(InboxNotification.id)).where(
            InboxNotification.recipient == "market.officer"))
        from domain.api_tokens import ApiToken
        from engine.store.models import ProcessDefinition
        ids["token"] = db.session.scalar(select(func.max(ApiToken.id)))
        ids["definition"] = db.session.scalar(select(func.min(ProcessDefinition.id)))  # ids go on across modules
        ids["decision"] = decision_id
        from domain.models import Campaign, CampaignPhase, WorkingGroup
        ids["campaign"] = db.session.scalar(select(func.min(Campaign.id)))
        ids["phase"] = db.session.scalar(select(func.min(CampaignPhase.id)).where(
            CampaignPhase.campaign_id == ids["campaign"]))
        strike = db.session.scalars(select(WorkingGroup).where(WorkingGroup.code == "group_strike")).one()
        ids["group"], ids["member"] = strike.id, strike.members[0].id
        # a demo criminal case (依法打击): the police's, on a lead of the market unit
        from domain.models import StrikeCase
        ids["strike_case"] = db.session.scalar(select(func.min(StrikeCase.id)))
        from domain.models import PublicityActivity, PublicityPhoto
        ids["publicity"] = db.session.scalar(select(func.max(PublicityActivity.id)).where(
            PublicityActivity.unit == "market"))
        ids["publicity_photo"] = db.session.scalar(select(func.max(PublicityPhoto.id)).where(
            PublicityPhoto.activity_id == ids["publicity"]))
        assert all(value is not None for value in ids.values()), ids
        db.session.rollback()
    world.ids = ids


def _probe_decision(engine) -> int:
    """A decision table of the probe's own (its key is PROBE_DECISION): its id."""
    from tests import dmn_builder
    [result] = engine.deploy_decisions(dmn_builder.table(key=PROBE_DECISION), "security_probe.dmn")
    return result.definition.id


def _campaign_rows(rows) -> dict:
    from domain.models import Campaign, CampaignPhase, WorkingGroup, working_group_member
    return {"campaigns": rows(Campaign.id, Campaign.name_zh, Campaign.level, Campaign.first_day, Campaign.last_day),
            "phases": rows(CampaignPhase.id, CampaignPhase.kind, CampaignPhase.first_day, CampaignPhase.last_day),
            "groups": rows(WorkingGroup.id, WorkingGroup.code, WorkingGroup.name_zh),
            "members": rows(working_group_member.c.group_id, working_group_member.c.user_id)}


def fingerprint(world) -> dict:
    """What a refused request must leave as it was: every row a state-changing route could touch."""
    from domain.api_tokens import ApiToken
    from domain.models import Inspection, Lead, PublicityActivity, PublicityPhoto, Reporter, Subject, User
    from engine.store.decision_models import DecisionDefinition
    from engine.store.models import (Attachment, AuditEvent, HumanTask, ProcessDefinition, ProcessInstance,
                                     TaskCopy, TaskCosigner)
    from engine.store.supervision_models import Escalation, SupervisionMark
    from notifications.models import InboxNotification
    from web.extensions import db

    def rows(*columns):
        return [tuple(row) for row in db.session.execute(select(*columns).order_by(columns[0]))]

    def count(model):
        return db.session.scalar(select(func.count()).select_from(model))

    with world.app.app_context():
        state = {
            "audit": count(AuditEvent), "attachments": count(Attachment), "copies": count(TaskCopy),
            "cosigners": count(TaskCosigner), "definitions": count(ProcessDefinition), "reporters": count(Reporter),
            "decisions": count(DecisionDefinition),
            "campaign": _campaign_rows(rows),
            "tasks": rows(HumanTask.id, HumanTask.status, HumanTask.assignee, HumanTask.due_at,
                          HumanTask.candidate_groups, HumanTask.delegation_state, HumanTask.draft_by),
            "instances": rows(ProcessInstance.id, ProcessInstance.status, ProcessInstance.definition_id,
                              ProcessInstance.updated_at),
            "leads": rows(Lead.id, Lead.status, Lead.responsible_unit),
            "escalations": rows(Escalation.id, Escalation.status),
            "marks": rows(SupervisionMark.id, SupervisionMark.cancelled_at),
            "notifications": rows(InboxNotification.id, InboxNotification.read_at),
            "tokens": rows(ApiToken.id, ApiToken.revoked_at),
            "users": rows(User.id, User.active),
            "publicity": rows(PublicityActivity.id, PublicityActivity.audience, PublicityActivity.title,
                              PublicityActivity.held_on, PublicityActivity.updated_at),
            "publicity_photos": count(PublicityPhoto),
            "inspections": rows(Inspection.id, Inspection.instance_id),
            "subjects": count(Subject),
        }
        db.session.rollback()
    return state
