"""API tokens for other systems (12345 hotline, 12337 platform, grid-worker apps …).

An administrator creates a token for a user (`flask --app web api-token create`);
the token then acts as that user, limited to its scopes. Only a SHA-256 hash of
the secret is stored: the secret is shown once, at creation. Revoking sets
`revoked_at`; a revoked or expired token, or one whose user is inactive, no
longer authenticates.
"""
import hashlib
import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.audit import actor_name, audit
from domain.errors import NotFound, ValidationFailed
from domain.models import User, Username
from engine import clock
from engine.store.base import Base
from engine.store.models import BigId

TOKEN_PREFIX = "dbn_"
PREFIX_LENGTH = 12  # "dbn_" and 8 characters: enough to tell tokens apart in listings

# Scope -> what it allows (shown in the API documentation).
SCOPES = {
    "leads:read": "read leads (线索) the token's user may see",
    "leads:write": "register leads (pushes from a channel)",
    "tasks:read": "list and read the user's tasks (待办)",
    "tasks:write": "claim, release and complete tasks",
    "instances:read": "read process instances with their tasks and events",
    "instances:write": "start process instances (supervisors)",
    "definitions:read": "list deployed process definitions and decisions; evaluate decisions (nothing is stored)",
    "definitions:write": "deploy BPMN process definitions and DMN decisions (administrators)",
    "units:read": "list units",
    "stats:read": "read statistics",
    "tokens:admin": "create, list and revoke API tokens (administrators)",
    "external-tasks": "work on external tasks as a Camunda 7 worker under /engine-rest (fetch and lock, "
                      "complete, fail; users who oversee every unit)",
    "messages": "correlate messages and broadcast signals under /engine-rest (users who oversee every unit)",
}


class ApiToken(Base):
    __tablename__ = "api_token"
    __table_args__ = (Index("ix_api_token_user", "user_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    # sha256 hex of the whole secret; the secret itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(20))
    scopes: Mapped[str] = mapped_column(Text)  # comma-separated
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(Username)
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(Username)

    user: Mapped[User] = relationship(lazy="joined")

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(s for s in self.scopes.split(",") if s)

    def usable(self, now: datetime) -> bool:
        return (self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
                and self.user is not None and self.user.active)

    def __repr__(self) -> str:
        return f"<ApiToken {self.prefix} of {self.user_id}>"


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def parse_scopes(value) -> list[str]:
    """Scopes from "a,b" or a list; ValidationFailed naming unknown ones."""
    items = value.split(",") if isinstance(value, str) else list(value or [])
    scopes = sorted({str(item).strip() for item in items if str(item).strip()})
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise ValidationFailed({"scopes": [f"unknown scope(s): {', '.join(unknown)}; "
                                           f"known: {', '.join(SCOPES)}"]})
    if not scopes:
        raise ValidationFailed({"scopes": ["at least one scope is required"]})
    return scopes


def create_token(session, username: str, scopes, actor=None, name: str = "",
                 expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """Add a token for `username`; returns (row, secret). The secret is not kept anywhere."""
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise ValidationFailed({"user": [f"no user {username!r}"]})
    if not user.active:
        raise ValidationFailed({"user": [f"user {username!r} is inactive"]})
    scope_list = parse_scopes(scopes)
    now = clock.now()
    if expires_at is not None and expires_at <= now:
        raise ValidationFailed({"expires_at": ["must be in the future"]})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=(name or "").strip()[:200], user=user, token_hash=hash_token(secret),
                     prefix=secret[:PREFIX_LENGTH], scopes=",".join(scope_list), created_at=now,
                     created_by=actor_name(actor), expires_at=expires_at)
    session.add(token)
    session.flush()
    audit(session, actor, "api_token.created", token_id=token.id, prefix=token.prefix, user=username,
          scopes=scope_list)
    return token, secret


def find_token(session, key) -> ApiToken:
    """A token by id or by its prefix (as listings show it)."""
    key = str(key).strip()
    if key.isdigit() and len(key) < 19:
        token = session.get(ApiToken, int(key))
    else:
        token = session.scalars(select(ApiToken).where(ApiToken.prefix == key)).first()
    if token is None:
        raise NotFound(f"no API token {key}")
    return token


def revoke_token(session, key, actor=None) -> ApiToken:
    """Revoke (idempotent: revoking twice keeps the first time)."""
    token = find_token(session, key)
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.revoked_by = actor_name(actor)
        audit(session, actor, "api_token.revoked", token_id=token.id, prefix=token.prefix)
    return token


def authenticate(session, secret: str) -> ApiToken | None:
    """The usable token with this secret, or None."""
    if not secret or not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = session.scalars(select(ApiToken).where(ApiToken.token_hash == hash_token(secret))).first()
    if token is None or not token.usable(clock.now()):
        return None
    return token


def list_tokens(session, username: str | None = None) -> list[ApiToken]:
    query = select(ApiToken).order_by(ApiToken.id)
    if username:
        query = query.join(User, User.id == ApiToken.user_id).where(User.username == username)
    return list(session.scalars(query))
