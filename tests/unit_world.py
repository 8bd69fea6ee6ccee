"""A small world for page tests that do not need the demo's five weeks of cases: the demo's
units and people (an officer and a supervisor per unit; the office's leader and administrator,
password DEMO_PASSWORD) and open tasks of a one-step process for the market regulation unit."""
from dataclasses import dataclass

from sqlalchemy import select

from domain.demo import create_units, create_users
from engine.store.models import HumanTask
from tests import bpmn_builder as b
from tests.conftest import DEMO_PASSWORD, _fast_hash

MARKET_CHECK = b.process("market_check", b.start(), b.user_task("verify", "核实线索", groups="market"), b.end(),
                         *b.chain("start", "verify", "end"), name="线索核查")


@dataclass
class World:
    app: object
    engine: object
    tasks: list  # ids of the market unit's open tasks, one per case


def build(app, session_factory, cases: int = 2) -> World:
    from web.extensions import db
    with app.app_context():
        create_units(db.session)
        create_users(db.session, _fast_hash, DEMO_PASSWORD)
        db.session.commit()
    engine = app.extensions["duban"].engine
    engine.deploy(MARKET_CHECK)
    instance_ids = [engine.start("market_check") for _ in range(cases)]
    with session_factory() as session:
        tasks = [session.scalar(select(HumanTask.id).where(HumanTask.instance_id == i)) for i in instance_ids]
    return World(app, engine, tasks)
