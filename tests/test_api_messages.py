"""Messages and signals through Duban's own API (/api/v1/messages, /api/v1/signals)."""
from engine.store.models import HumanTask, ProcessInstance
from tests import bpmn_builder as b
from tests.test_api import api  # noqa: F401 (fixture)
from web import engine_of
from web.extensions import db

DECLARATIONS = b'<bpmn:message id="m" name="police_acceptance"/><bpmn:signal id="s" name="campaign_phase"/>'


def deploy_waiting(app):
    xml = b.process("await_receipt", b.start(), '<bpmn:receiveTask id="wait" name="等待回执" messageRef="m"/>',
                    b.user_task("record", "登记回执"), b.end(), *b.chain("start", "wait", "record", "end"))
    signal = b.process("await_phase", b.start(), '<bpmn:intermediateCatchEvent id="phase">'
                       '<bpmn:signalEventDefinition signalRef="s"/></bpmn:intermediateCatchEvent>', b.end(),
                       *b.chain("start", "phase", "end"))
    with app.app_context():
        engine = engine_of(app)
        for xml_bytes in (xml, signal):
            engine.deploy(xml_bytes.replace(b"<bpmn:process", DECLARATIONS + b"<bpmn:process", 1))
        return (engine.start("await_receipt", business_key="XS-API-1"),
                engine.start("await_receipt", business_key="XS-API-2"), engine.start("await_phase"))


def test_a_message_reaches_the_case_with_its_business_key(api, demo):
    first, second, _ = deploy_waiting(demo)
    answer = api.post("/api/v1/messages", user="office.officer",
                      json={"name": "police_acceptance", "business_key": "XS-API-2", "variables": {"receipt_no": "GA-1"}})
    assert answer.status_code == 200, answer.json
    assert answer.json == [{"instance_id": second, "started": False}]
    with demo.app_context():
        assert db.session.query(HumanTask).filter_by(instance_id=second, element_id="record").count() == 1
        assert db.session.query(HumanTask).filter_by(instance_id=first, element_id="record").count() == 0
    again = api.post("/api/v1/messages", json={"name": "police_acceptance", "business_key": "XS-API-2"})
    assert again.status_code == 422 and "police_acceptance" in again.json["message"]
    with demo.app_context():
        third = engine_of(demo).start("await_receipt", business_key="XS-API-3")
    ambiguous = api.post("/api/v1/messages", json={"name": "police_acceptance"})
    assert ambiguous.status_code == 422 and "2" in ambiguous.json["message"]
    both = api.post("/api/v1/messages", json={"name": "police_acceptance", "all": True})
    assert sorted(r["instance_id"] for r in both.json) == sorted([first, third])


def test_a_signal_reaches_every_waiting_instance(api, demo):
    _, _, waiting = deploy_waiting(demo)
    answer = api.post("/api/v1/signals", json={"name": "campaign_phase"})
    assert answer.status_code == 200 and answer.json == {"delivered": 1}
    with demo.app_context():
        assert db.session.get(ProcessInstance, waiting).status == "completed"


def test_a_unit_officer_may_not_deliver_messages(api, demo):
    deploy_waiting(demo)
    answer = api.post("/api/v1/messages", user="market.officer", json={"name": "police_acceptance", "all": True})
    assert answer.status_code == 403
