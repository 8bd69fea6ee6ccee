"""Operations as Flask CLI commands: `flask --app web <command>`."""
from pathlib import Path

import click
from flask import current_app

from engine.errors import BpmnValidationError
from engine.identity import SYSTEM
from web.extensions import db

PROCESSES_DIR = Path(__file__).resolve().parents[1] / "processes"


def register(app):
    app.cli.add_command(deploy_processes)
    app.cli.add_command(demo)


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
@click.option("--directory", type=click.Path(exists=True, file_okay=False, path_type=Path), default=PROCESSES_DIR)
def deploy_processes(directory):
    """Deploy every .bpmn file in processes/ (identical files are left as they are)."""
    for line in _deploy_all(directory):
        click.echo(line)


@click.command("demo")
def demo():
    """Upgrade the schema, deploy the processes and load demo users and data (once)."""
    from flask_migrate import upgrade
    upgrade()
    for line in _deploy_all(PROCESSES_DIR):
        click.echo(line)
    try:
        from domain.demo_setup import load_demo_into
    except ImportError:
        click.echo("no demo data module yet")
        return
    click.echo(load_demo_into(current_app, db))
