"""Lead registration: numbers, duplicates, subjects, idempotent pushes, all-or-nothing."""
import threading
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from domain.errors import AlreadyRegistered, ValidationFailed
from domain.leads import find_duplicate, register_lead
from domain.models import Lead, NumberCounter, Reporter, Subject
from domain.records import create_subject
from engine.store.models import AuditEvent



def _code(first17):
    from domain.creditcode import check_character
    return first17 + check_character(first17)


def _data(**overrides):
    data = {"channel": "platform_12337", "received_at": "2026-03-01T10:00", "sector": "illegal_fundraising",
            "summary": "某养老服务公司以“预订床位”名义向老人收取会员费，承诺年返利8%。",
            "reporter": {"name": "王秀英", "phone": "13905951234"}}
    data.update(overrides)
    return data


@pytest.fixture
def subject(session):
    return create_subject(session, {"name": "晋江市福寿康养老服务有限公司", "credit_code": _code("91350582MA31RK6T1"),
                                    "sector": "illegal_fundraising"}, "office.officer")


def _count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_registration_numbers_the_lead_and_keeps_the_reporter(session, subject):
    lead = register_lead(session, _data(subject_id=subject.id, major=True, responsible_unit="enterprise_service"),
                         "office.officer")
    session.commit()
    assert lead.number == "XS-2026-000001"
    assert (lead.status, lead.major, lead.responsible_unit) == ("registered", True, "enterprise_service")
    assert lead.subject is subject and lead.subject_name == subject.name
    assert lead.received_at == datetime(2026, 3, 1, 2, 0, tzinfo=timezone.utc)  # 10:00 Beijing
    assert lead.reporter.name == "王秀英"
    assert lead.created_by == "office.officer"
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "lead.registered")).one()
    assert event.data["number"] == lead.number


def test_numbers_are_sequential_per_year(session, clock):
    numbers = [register_lead(session, _data(), "office.officer").number for _ in range(3)]
    assert numbers == ["XS-2026-000001", "XS-2026-000002", "XS-2026-000003"]
    clock.set(datetime(2026, 12, 31, 16, 30, tzinfo=timezone.utc))  # 1 January 2027, 00:30 in Beijing
    assert register_lead(session, _data(), "office.officer").number == "XS-2027-000001"


def test_lead_numbers_are_unique_in_the_database(session):
    lead = register_lead(session, _data(), "office.officer")
    session.commit()
    copy = Lead(number=lead.number, channel="mass_report", received_at=lead.received_at, summary="x",
                sector="tourism_art", status="registered", created_at=lead.created_at, updated_at=lead.updated_at)
    session.add(copy)
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_concurrent_registrations_get_distinct_numbers(domain_db, session):
    errors, numbers = [], []

    def register(n):
        try:
            for _ in range(n):
                with domain_db() as own:
                    numbers.append(register_lead(own, _data(), "api").number)
                    own.commit()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=register, args=(5,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(numbers) == [f"XS-2026-{i:06d}" for i in range(1, 21)]


def test_a_likely_duplicate_is_flagged_not_merged(session, subject):
    first = register_lead(session, _data(subject_id=subject.id), "office.officer")
    second = register_lead(session, _data(subject_id=subject.id, channel="hotline_12345"), "office.officer")
    third = register_lead(session, _data(subject_id=subject.id), "office.officer")
    other_sector = register_lead(session, _data(subject_id=subject.id, sector="unlicensed_medical"), "office.officer")
    assert first.duplicate_of is None
    assert second.duplicate_of is first and third.duplicate_of is first  # the original, not a duplicate
    assert other_sector.duplicate_of is None
    assert _count(session, Lead) == 4


def test_closed_leads_are_not_duplicates(session, subject):
    first = register_lead(session, _data(subject_id=subject.id), "office.officer")
    first.status = "closed"
    session.flush()
    assert register_lead(session, _data(subject_id=subject.id), "office.officer").duplicate_of is None


def test_duplicates_are_found_by_name_without_a_subject_record(session):
    first = register_lead(session, _data(subject_name="塘市社区“健康驿站”体验店"), "office.officer")
    again = register_lead(session, _data(subject_name=" 塘市社区“健康驿站”体验店 "), "office.officer")
    assert again.duplicate_of is first
    assert find_duplicate(session, "illegal_fundraising") is None  # no subject at all: nothing to compare


def test_a_name_that_matches_a_subject_links_it(session, subject):
    lead = register_lead(session, _data(subject_name="晋江市福寿康养老服务有限公司"), "office.officer")
    assert lead.subject_id == subject.id


def test_an_unknown_credit_code_with_a_name_registers_the_subject(session):
    code = _code("91350582MA8TK2E5R")
    lead = register_lead(session, _data(subject_name="晋江市福瑞祥文化艺术有限公司", subject_credit_code=code.lower()),
                         "office.officer")
    assert lead.subject.credit_code == code and lead.subject.name == "晋江市福瑞祥文化艺术有限公司"
    again = register_lead(session, _data(subject_credit_code=code), "office.officer")
    assert again.subject_id == lead.subject_id and again.duplicate_of is lead


def test_an_unknown_credit_code_without_a_name_is_rejected(session):
    with pytest.raises(ValidationFailed) as failed:
        register_lead(session, _data(subject_credit_code=_code("91350582MA8TK2E5R")), "office.officer")
    assert "subject_name" in failed.value.messages


def test_pushing_the_same_external_reference_twice_is_idempotent(session):
    lead = register_lead(session, _data(external_ref="12337-2026-0042"), "api")
    with pytest.raises(AlreadyRegistered) as again:
        register_lead(session, _data(external_ref="12337-2026-0042"), "api")
    assert again.value.lead is lead
    other_channel = register_lead(session, _data(external_ref="12337-2026-0042", channel="hotline_12345"), "api")
    assert other_channel.id != lead.id


@pytest.mark.parametrize("bad, field", [
    ({"reporter": {"name": "王秀英", "phone": "12345"}}, "reporter"),
    ({"subject_id": 999}, "subject_id"),
    ({"responsible_unit": "no_such_unit"}, "responsible_unit"),
    ({"summary": ""}, "summary"),
])
def test_rejected_registrations_leave_nothing_behind(session, bad, field):
    with pytest.raises(ValidationFailed) as failed:
        register_lead(session, _data(**bad), "office.officer")
    assert field in failed.value.messages
    session.commit()
    for model in (Lead, Reporter, NumberCounter, Subject, AuditEvent):
        assert _count(session, model) == 0, model
