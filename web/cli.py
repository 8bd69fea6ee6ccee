"""Operations as Flask CLI commands: `flask --app web <command>`."""
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from engine.errors import BpmnValidationError
from engine.identity import SYSTEM
from web.extensions import db

PROCESSES_DIR = Path(__file__).resolve().parents[1] / "processes"


def register(app):
    app.cli.add_command(deploy_processes)
    app.cli.add_command(demo)
    app.cli.add_command(worker)


@click.command("worker")
@with_appcontext
@click.option("--until-idle", is_flag=True, help="exit once nothing is due")
def worker(until_idle):
    """Run the scheduler (timers, escalations, notifications) in the foreground."""
    from engine.worker import run
    from web import runtime_of
    raise SystemExit(run(runtime_of(current_app).scheduler, until_idle=until_idle))


def _deploy_all(directory: Path) -> list[str]:
    from web import engine_of
    engine = engine_of(current_app)
    lines = []
    for path in sorted(directory.glob("*.bpmn")):
        try:
            result = engine.deploy(path.read_bytes(), path.name, SYSTEM, comment="deployed from processes/")
        except BpmnValidationError as err:
            raise click.ClickException(f"{path.name} was not deployed: {err}") from None
        state = "new version" if result.created else "unchanged"
        lines.append(f"{result.definition.process_id} v{result.definition.version} ({state})")
    return lines


@click.command("deploy-processes")
@with_appcontext
@click.option("--directory", type=click.Path(exists=True, file_okay=False, path_type=Path), default=PROCESSES_DIR)
def deploy_processes(directory):
    """Deploy every .bpmn file in processes/ (identical files are left as they are)."""
    for line in _deploy_all(directory):
        click.echo(line)


@click.command("demo")
@with_appcontext
def demo():
    """Upgrade the schema, deploy the processes and load demo users and data (once)."""
    from flask_migrate import upgrade
    upgrade()
    for line in _deploy_all(PROCESSES_DIR):
        click.echo(line)
    from sqlalchemy import func, select
    from werkzeug.security import generate_password_hash

    from domain.demo import DEFAULT_PASSWORD, load_demo
    from domain.models import User
    if db.session.scalar(select(func.count()).select_from(User)):
        click.echo("demo data already loaded")
        return
    ids = load_demo(db.session, current_app.config.get("DUBAN_HASH_PASSWORD", generate_password_hash))
    db.session.commit()
    click.echo(f"{len(ids['units'])} units, {len(ids['users'])} users (password {DEFAULT_PASSWORD}), "
               f"{len(ids['subjects'])} subjects, {len(ids['leads'])} leads, "
               f"{len(ids['rectification_items'])} rectification items")
    click.echo(f"{_start_demo_processes(ids)} process instances started")


def _start_demo_processes(ids) -> int:
    """Each demo lead enters lead handling; each rectification item its rectification process."""
    from domain.models import Lead, RectificationItem
    from web import engine_of
    engine, started = engine_of(current_app), 0

    def link(model, record_id):
        def started_hook(session, instance):
            session.get(model, record_id).instance_id = instance.id
        return started_hook

    for lead_id in ids["leads_to_start"]:
        number = db.session.get(Lead, lead_id).number
        engine.start("lead_handling", {"lead_id": lead_id}, SYSTEM, business_key=number,
                     started=link(Lead, lead_id))
        started += 1
    for item_id in ids["rectification_items"]:
        item = db.session.get(RectificationItem, item_id)
        data = {"item_id": item.id, "subject_id": item.subject_id, "lead_id": item.lead_id,
                "responsible_unit": item.responsible_unit, "deadline": item.deadline.isoformat()}
        db.session.rollback()  # end the read before the engine writes (SQLite has one writer)
        engine.start("rectification", data, SYSTEM, business_key=item.number, started=link(RectificationItem, item_id))
        started += 1
    return started
