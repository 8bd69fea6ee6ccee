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
    """Upgrade the schema, deploy the processes and load the demo: users, and leads handled
    through the processes since the campaign began, up to now (once)."""
    from flask_migrate import upgrade
    upgrade()
    for line in _deploy_all(PROCESSES_DIR):
        click.echo(line)
    from sqlalchemy import func, select
    from werkzeug.security import generate_password_hash

    from domain.demo import DEFAULT_PASSWORD
    from domain.demo_story import build_demo
    from domain.models import Lead, RectificationItem, SupervisionCase, User
    from engine.store.models import HumanTask
    from web import runtime_of
    if db.session.scalar(select(func.count()).select_from(User)):
        click.echo("demo data already loaded")
        return
    db.session.rollback()  # end the read before the story writes (SQLite has one writer)
    runtime = runtime_of(current_app)
    ids = build_demo(runtime.engine, runtime.escalator,
                     current_app.config.get("DUBAN_HASH_PASSWORD", generate_password_hash))

    def count(model, *where):
        return db.session.scalar(select(func.count()).select_from(model).where(*where))
    click.echo(f"{len(ids['units'])} units, {len(ids['users'])} users (password {DEFAULT_PASSWORD}), "
               f"{len(ids['subjects'])} subjects, {len(ids['leads'])} leads "
               f"({count(Lead, Lead.status == 'closed')} closed), "
               f"{count(RectificationItem)} rectification items, {count(SupervisionCase)} supervision cases")
    click.echo(f"{count(HumanTask, HumanTask.status == 'open')} open tasks, "
               f"{count(HumanTask, HumanTask.status == 'open', HumanTask.overdue_since.is_not(None))} overdue")
    click.echo("sign in as office.officer, market.officer, market.supervisor, office.leader or admin "
               "(every demo user: README.md, Demo users)")
