"""Reporter protection: encrypted at rest, masked by default, audited full views."""
import pytest
from sqlalchemy import select, text

from domain import crypto
from domain.leads import register_lead
from domain.models import Reporter
from domain.privacy import mask_contact, mask_name, mask_phone
from domain.reporters import can_view_reporter, reporter_for, view_reporter
from engine.errors import PermissionDenied
from engine.identity import Actor
from engine.store.models import AuditEvent

OFFICER = Actor("market.officer", groups=frozenset({"market", "officer"}), roles=frozenset({"officer"}))
SUPERVISOR = Actor("office.supervisor", groups=frozenset({"office"}), roles=frozenset({"supervisor"}))
LEADER = Actor("office.leader", groups=frozenset({"office"}), roles=frozenset({"office_leader"}))


def _lead(session, reporter):
    return register_lead(session, {
        "channel": "hotline_12345", "received_at": "2026-03-01T10:00", "sector": "food_health_products",
        "summary": "来电反映某公司以免费体检为名向老人推销保健品。", "reporter": reporter}, "office.officer")


@pytest.mark.parametrize("name, masked", [
    ("张", "*"), ("张三", "张*"), ("张小明", "张*明"), ("欧阳小明", "欧**明"), ("", ""), (None, ""),
])
def test_names_are_masked(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize("phone, masked", [
    ("13812341234", "138****1234"), ("0595-85551234", "059******1234"), ("5551234", "555**34"),
    ("110", "***"), (None, ""),
])
def test_phones_are_masked(phone, masked):
    assert mask_phone(phone) == masked


def test_contacts_are_masked():
    assert mask_contact("zhang@example.com") == "z***@example.com"
    assert mask_contact("晋江市新塘街道塘市路88号") == "晋江*********8号"


def test_identity_is_encrypted_at_rest(session):
    lead = _lead(session, {"name": "王秀英", "phone": "13905951234", "contact": "新塘街道塘市路1号"})
    session.commit()
    raw = session.execute(text("SELECT name, phone, contact FROM reporter WHERE lead_id = :id"),
                          {"id": lead.id}).one()
    for value, plain in zip(raw, ("王秀英", "13905951234", "新塘街道塘市路1号")):
        assert plain not in value
        assert value.startswith("gAAAAA")  # a Fernet token
    session.expire_all()
    reporter = session.scalars(select(Reporter).where(Reporter.lead_id == lead.id)).one()
    assert (reporter.name, reporter.phone) == ("王秀英", "13905951234")


def test_another_key_cannot_read_and_rotation_keeps_old_rows_readable(session, field_key):
    lead = _lead(session, {"name": "王秀英", "phone": "13905951234"})
    session.commit()
    crypto.configure_field_keys(crypto.generate_field_key())
    session.expire_all()
    with pytest.raises(crypto.FieldKeyMissing):
        session.get(Reporter, lead.reporter.id).name  # noqa: B018
    session.rollback()
    crypto.configure_field_keys(crypto.generate_field_key(), field_key)  # new key first, old one still decrypts
    session.expire_all()
    assert session.get(Reporter, lead.reporter.id).name == "王秀英"


def test_key_comes_from_the_environment(monkeypatch):
    crypto.configure_field_keys()
    monkeypatch.delenv(crypto.FIELD_KEY_ENV, raising=False)
    monkeypatch.delenv(crypto.SECRET_KEY_ENV, raising=False)
    with pytest.raises(crypto.FieldKeyMissing):
        crypto.encrypt("王秀英")
    monkeypatch.setenv(crypto.SECRET_KEY_ENV, "app-secret")
    token = crypto.encrypt("王秀英")
    assert crypto.decrypt(token) == "王秀英"
    monkeypatch.setenv(crypto.FIELD_KEY_ENV, crypto.derive_field_key("app-secret").decode())
    assert crypto.decrypt(token) == "王秀英"  # DUBAN_FIELD_KEY wins, and is the same derived key here


def _views(session):
    return session.scalars(select(AuditEvent).where(AuditEvent.action == "reporter.viewed")).all()


def test_officers_see_the_masked_reporter_without_an_audit_row(session):
    lead = _lead(session, {"name": "王秀英", "phone": "13905951234"})
    assert not can_view_reporter(OFFICER)
    shown = reporter_for(session, lead.id, OFFICER, reveal=True)
    assert shown == {"anonymous": False, "name": "王*英", "phone": "139****1234", "contact": "", "masked": True}
    with pytest.raises(PermissionDenied):
        view_reporter(session, lead.id, OFFICER)
    session.flush()
    assert _views(session) == []


@pytest.mark.parametrize("actor", [SUPERVISOR, LEADER])
def test_a_full_view_writes_an_audit_row(session, actor):
    lead = _lead(session, {"name": "王秀英", "phone": "13905951234"})
    assert reporter_for(session, lead.id, actor)["masked"] is True  # masked unless asked
    shown = view_reporter(session, lead.id, actor, reason="核实线索需联系举报人")
    assert (shown["name"], shown["phone"], shown["masked"]) == ("王秀英", "13905951234", False)
    session.commit()
    [event] = _views(session)
    assert event.actor == actor.username
    assert event.reason == "核实线索需联系举报人"
    assert event.data["lead_id"] == lead.id and event.data["number"] == lead.number


def test_anonymous_reports_keep_no_identity(session):
    lead = _lead(session, {"anonymous": True})
    assert reporter_for(session, lead.id, OFFICER)["anonymous"] is True
    assert view_reporter(session, lead.id, SUPERVISOR)["name"] is None
