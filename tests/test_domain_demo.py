"""Demo data loads once, validly, without starting processes."""

import pytest
from sqlalchemy import func, select, text

from domain import creditcode
from domain.demo import load_demo
from domain.errors import DubanError
from domain.labels import CHANNELS, SECTORS
from domain.models import Lead, RectificationItem, Subject, Unit, User


@pytest.fixture
def db(domain_db, field_key, clock):
    with domain_db() as session:
        yield session


def test_load_demo(db):
    hashed = []
    ids = load_demo(db, hash_password=lambda password: hashed.append(password) or f"hash:{password}")
    db.commit()
    assert len(ids["units"]) == 13 and len(ids["subjects"]) == 10 and len(ids["leads"]) == 20
    assert len(ids["risk_assessments"]) >= 3 and len(ids["disposals"]) >= 3 and len(ids["rectification_items"]) >= 3
    assert set(ids["leads_to_start"]) < set(ids["leads"])
    assert hashed == ["duban-demo-2026"]  # hashed once, shared by the demo users

    kinds = {unit.kind for unit in db.scalars(select(Unit))}
    assert kinds == {"office", "member_unit", "community"}
    users = {user.username: user for user in db.scalars(select(User))}
    for unit_code in ids["units"]:
        assert {"officer"} <= users[f"{unit_code}.officer"].roles
        assert {"supervisor"} <= users[f"{unit_code}.supervisor"].roles
    assert users["office.leader"].roles == {"office_leader", "supervisor"}
    assert users["admin"].roles == {"administrator"}
    assert "community" in users["community_tangshi.officer"].groups
    assert len(users["office.supervisor"].supervised_units) == 12
    assert users["market.officer"].to_actor().groups == {"market", "officer"}
    assert all(user.password_hash == "hash:duban-demo-2026" for user in users.values())

    leads = db.scalars(select(Lead)).all()
    assert {lead.channel for lead in leads} == set(CHANNELS)
    assert {lead.sector for lead in leads} == set(SECTORS)
    assert sum(lead.duplicate_of_id is not None for lead in leads) >= 2
    assert all(lead.instance_id is None for lead in leads)  # no process started here
    assert all(creditcode.is_valid(subject.credit_code) for subject in db.scalars(select(Subject)))
    raw = db.execute(text("SELECT name FROM reporter WHERE name IS NOT NULL")).scalars().all()
    assert raw and not any("王秀英" in value for value in raw)
    assert db.scalar(select(func.count()).select_from(RectificationItem)) == len(ids["rectification_items"])


def test_demo_loads_once(db):
    load_demo(db)
    with pytest.raises(DubanError):
        load_demo(db)
