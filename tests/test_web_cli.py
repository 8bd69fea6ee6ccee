"""Operations through the Flask CLI on the test database."""
from sqlalchemy import func, select

from domain.models import Lead, User
from engine.store.models import HumanTask, ProcessDefinition, ProcessInstance


def test_demo_deploys_processes_loads_data_and_plays_its_history_once(app, session_factory):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "lead_handling v1 (new version)" in result.output
    assert "20 leads (7 closed), 4 rectification items, 2 supervision cases," in result.output
    # with the assessment an inspection's risk started and the two February returns not yet submitted
    assert "22 open tasks, 4 overdue" in result.output
    assert "14 inspections (4 found risks)" in result.output
    assert "1 completion report waiting for the report worker" in result.output
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(User)) == 32  # with two grid workers and the procuratorate
        assert s.scalar(select(func.count()).select_from(ProcessDefinition)) == 6  # with the monthly returns
        leads = s.scalars(select(Lead).where(Lead.instance_id.is_not(None)).order_by(Lead.id)).all()
        assert len(leads) == 20  # every lead went through lead_handling
        instance = s.get(ProcessInstance, leads[0].instance_id)
        assert instance.business_key == leads[0].number and instance.status == "completed"
        assert s.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.status == "open")) == 22
    again = runner.invoke(args=["demo"])
    assert "already loaded" in again.output and "unchanged" in again.output


def test_a_broken_process_file_is_a_clear_cli_message(app, tmp_path):
    (tmp_path / "broken.bpmn").write_bytes(b"<definitions")
    result = app.test_cli_runner().invoke(args=["deploy-processes", "--directory", str(tmp_path)])
    assert result.exit_code != 0
    assert "broken.bpmn was not deployed" in result.output and "Traceback" not in result.output
