"""`flask --app web api-token create|list|revoke`: API tokens for other systems."""
from datetime import timedelta

import click
from flask.cli import with_appcontext

from domain.api_tokens import SCOPES, create_token, list_tokens, revoke_token
from engine import clock
from engine.errors import DubanError
from web.extensions import db

CLI_ACTOR = "cli"


@click.group("api-token")
def api_token():
    """Create, list and revoke API tokens (stored hashed; a secret is shown once)."""


@api_token.command("create")
@click.option("--user", "username", required=True, help="the user the token acts as (decides what it may see)")
@click.option("--scopes", required=True, help="comma-separated, from: " + ", ".join(SCOPES))
@click.option("--name", default="", help="what the token is for, e.g. '12345 hotline'")
@click.option("--expires-days", type=click.IntRange(1, 3650), default=None, help="default: never")
@with_appcontext
def create(username, scopes, name, expires_days):
    """Create a token and print its secret (only now)."""
    expires_at = clock.now() + timedelta(days=expires_days) if expires_days else None
    try:
        token, secret = create_token(db.session, username, scopes, CLI_ACTOR, name=name, expires_at=expires_at)
    except DubanError as err:
        raise click.ClickException(str(err)) from None
    db.session.commit()
    click.echo(f"API token {token.id} ({token.prefix}…) for {username}, scopes {token.scopes}"
               + (f", expires {token.expires_at:%Y-%m-%d}" if token.expires_at else ""))
    click.echo("The secret is shown only this once; only its hash is stored:", err=True)
    click.echo(secret)


@api_token.command("list")
@click.option("--user", "username", default=None)
@with_appcontext
def list_command(username):
    """List tokens (id, prefix, user, scopes, state); never their secrets."""
    now = clock.now()
    for token in list_tokens(db.session, username):
        state = ("revoked" if token.revoked_at else
                 "expired" if token.expires_at and token.expires_at <= now else "active")
        used = f"last used {token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never used"
        click.echo(f"{token.id}\t{token.prefix}…\t{token.user.username}\t{token.scopes}\t{state}\t{used}"
                   f"\t{token.name}")


@api_token.command("revoke")
@click.argument("token")
@with_appcontext
def revoke(token):
    """Revoke a token, given its id or its prefix (dbn_xxxxxxxx)."""
    try:
        row = revoke_token(db.session, token, CLI_ACTOR)
    except DubanError as err:
        raise click.ClickException(str(err)) from None
    db.session.commit()
    click.echo(f"API token {row.id} ({row.prefix}…) revoked")
