"""Operations as Flask CLI commands: `flask --app web <command>`."""
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from engine.errors import BpmnValidationError
from engine.identity import SYSTEM
from web.extensions import db

PROCESSES_DIR = Path(__file__).resolve().parents[1] / "processes"
# The comment on versions deployed from the repository at set-up (shown to administrators, in Chinese).
DEPLOYED_FROM_FILES = "随系统安装部署"


def register(app):
    app.cli.add_command(deploy_processes)
    app.cli.add_command(demo)
    app.cli.add_command(worker)
    app.cli.add_command(report_worker)
    app.cli.add_command(check_checklists)


@click.command("worker")
@with_appcontext
@click.option("--until-idle", is_flag=True, help="exit once nothing is due")
def worker(until_idle):
    """Run the scheduler (timers, escalations, notifications) in the foreground."""
    from engine.worker import run
    from web import runtime_of
    raise SystemExit(run(runtime_of(current_app).scheduler, until_idle=until_idle))


@click.command("report-worker")
@with_appcontext
@click.option("--once", is_flag=True, help="handle the reports waiting now, then exit (tests, cron)")
@click.option("--worker-id", default=None, help="the name the worker locks tasks under [report-worker@host:pid]")
@click.option("--poll-seconds", type=click.FloatRange(min=0.1), default=10.0, show_default=True,
              help="pause between looks when nothing was waiting")
def report_worker(once, worker_id, poll_seconds):
    """报送办结情况: post closed leads' completion reports to the superior platform
    (DUBAN_SUPERIOR_PLATFORM_URL, signed with DUBAN_WEBHOOK_SECRET); unset, record them unsent."""
    import logging
    import signal
    import threading

    from domain.report_worker import PlatformSender, ReportWorker
    from notifications.config import WebhookConfig
    from web import runtime_of
    if not logging.getLogger().handlers:  # (DUBAN_JSON_LOGS configures its own) the worker's lines, not the engine's
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        worker_log = logging.getLogger("duban.report_worker")
        worker_log.addHandler(handler)
        worker_log.setLevel(current_app.config.get("DUBAN_LOG_LEVEL", "INFO"))
        worker_log.propagate = False
    runtime = runtime_of(current_app)
    url = current_app.config.get("DUBAN_SUPERIOR_PLATFORM_URL")
    sender = None
    if url:
        secret = current_app.config.get("DUBAN_WEBHOOK_SECRET")
        if not secret:
            raise click.ClickException("DUBAN_SUPERIOR_PLATFORM_URL is set but DUBAN_WEBHOOK_SECRET is not: "
                                       "reports are signed with it, so that the platform can check who sent them")
        sender = PlatformSender(url, WebhookConfig(secret=secret), now=runtime.engine.now,
                                base_url=current_app.config.get("DUBAN_BASE_URL", ""))
    worker = ReportWorker(runtime.engine, sender, worker_id)
    destination = f"posting to {url}" if url else "DUBAN_SUPERIOR_PLATFORM_URL is not set: recording reports unsent"
    click.echo(f"report worker {worker.worker_id}: {destination}")
    if once:
        click.echo(f"completion reports: {worker.run_once()}")
        return
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    worker.run(stop, poll_seconds)
    click.echo("report worker stopped")


def _deploy_all(directory: Path) -> list[str]:
    """The decision tables of `directory`/decisions first (business rule tasks and forms graded by
    rule find them deployed), then the processes."""
    from web import engine_of
    engine = engine_of(current_app)
    lines = []
    for path in sorted((directory / "decisions").glob("*.dmn")):
        try:
            results = engine.deploy_decisions(path.read_bytes(), path.name, SYSTEM, comment=DEPLOYED_FROM_FILES)
        except BpmnValidationError as err:
            raise click.ClickException(f"{path.name} was not deployed: {err}") from None
        for result in results:
            state = "new version" if result.created else "unchanged"
            lines.append(f"decision {result.definition.decision_key} v{result.definition.version} ({state})")
    for path in sorted(directory.glob("*.bpmn")):
        try:
            result = engine.deploy(path.read_bytes(), path.name, SYSTEM, comment=DEPLOYED_FROM_FILES)
        except BpmnValidationError as err:
            raise click.ClickException(f"{path.name} was not deployed: {err}") from None
        state = "new version" if result.created else "unchanged"
        lines.append(f"{result.definition.process_id} v{result.definition.version} ({state})")
    return lines


@click.command("deploy-processes")
@with_appcontext
@click.option("--directory", type=click.Path(exists=True, file_okay=False, path_type=Path), default=PROCESSES_DIR)
def deploy_processes(directory):
    """Deploy every .dmn file in processes/decisions/, then every .bpmn file in processes/ (identical
    files are left as they are)."""
    for line in _deploy_all(directory):
        click.echo(line)


@click.command("check-checklists")
@click.option("--directory", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=PROCESSES_DIR / "checklists")
def check_checklists(directory):
    """Check the sectors' inspection checklists (processes/checklists/): one valid file per sector.
    Each fault is printed with its file; the exit status is 1 when there is one."""
    from domain.checklists import check_all
    from domain.labels import SECTORS
    problems = check_all(directory)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise SystemExit(1)
    click.echo(f"{len(SECTORS)} checklists are valid")


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
    from domain.models import Inspection, Lead, RectificationItem, SupervisionCase, User
    from domain.report_worker import TOPIC as REPORT_TOPIC
    from engine.store.models import HumanTask
    from engine.store.wait_models import ExternalTask
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
               f"{count(RectificationItem)} rectification items, {count(SupervisionCase)} supervision cases, "
               f"{count(Inspection)} inspections ({count(Inspection, Inspection.finding == 'risk_found')} found risks)")
    click.echo(f"{count(HumanTask, HumanTask.status == 'open')} open tasks, "
               f"{count(HumanTask, HumanTask.status == 'open', HumanTask.overdue_since.is_not(None))} overdue")
    waiting = count(ExternalTask, ExternalTask.status == "open", ExternalTask.topic == REPORT_TOPIC)
    click.echo(f"{waiting} completion report{'' if waiting == 1 else 's'} waiting for the report worker "
               "(flask --app web report-worker)")
    click.echo("sign in as office.officer, market.officer, market.supervisor, office.leader or admin "
               "(every demo user: README.md, Demo users)")
