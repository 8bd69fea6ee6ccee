"""Write delivery_log rows in the caller's transaction."""
import logging
from typing import Iterable, Mapping

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .clock import Clock, read_clock
from .config import NotificationConfig
from .preferences import channels_for, load_choices
from .models import (CHANNELS, DINGTALK, EMAIL, INAPP, PENDING, SMS, WEBHOOK, WECOM,
                     WECOM_ROBOT, Delivery)
from .recipients import Recipient
from .templates import DEFAULT_REGISTRY, TemplateRegistry, normalize_locale

log = logging.getLogger(__name__)

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
_UNIQUE_KEY = ["event_key", "recipient", "channel"]
_MAX_EVENT_KEY = Delivery.__table__.c.event_key.type.length
_MAX_LINK = Delivery.__table__.c.link.type.length


def _address(recipient: Recipient, channel: str) -> str | None:
    if channel == EMAIL:
        return recipient.email
    if channel == WEBHOOK:
        return recipient.webhook_url
    if channel == WECOM:
        return recipient.wecom_userid
    if channel == SMS:
        return recipient.mobile
    if channel in (WECOM_ROBOT, DINGTALK):
        # The robot is configured once for the office's group; the label keeps the log readable.
        return f"{channel}:group"
    return None


def _clip(value: str | None, column: str) -> str | None:
    length = Delivery.__table__.c[column].type.length
    return value[:length] if value is not None and length else value


def _insert_ignoring_duplicate(session: Session, values: dict) -> int | None:
    """INSERT ... ON CONFLICT DO NOTHING: race-free duplicate suppression that,
    unlike catching IntegrityError, never aborts the caller's transaction."""
    dialect = session.get_bind(mapper=Delivery).dialect.name
    try:
        insert = _INSERTS[dialect]
    except KeyError:
        raise NotImplementedError(f"notifications support SQLite and PostgreSQL, not {dialect}") from None
    statement = (insert(Delivery).values(**values)
                 .on_conflict_do_nothing(index_elements=_UNIQUE_KEY)
                 .returning(Delivery.id))
    return session.execute(statement).scalar_one_or_none()


def enqueue(
    session: Session,
    event_key: str,
    kind: str,
    recipients: Iterable[Recipient],
    context: Mapping[str, object],
    channels: Iterable[str] | None = None,
    locale: str | None = None,
    *,
    link: str | None = None,
    now: Clock,
    config: NotificationConfig,
    registry: TemplateRegistry = DEFAULT_REGISTRY,
) -> list[int]:
    """Queue `kind` for each recipient on each channel; return the ids of new rows.

    Runs inside the caller's transaction and does not commit, so the rows exist
    exactly when the caller's state change does. A (event_key, recipient,
    channel) that is already queued is skipped silently. `channels=None` means
    the configured channels `channel_defaults` picks for `kind`, adjusted by each
    recipient's own choices (notifications.preferences); a configured channel the recipient has no address
    for is skipped. Locale: the recipient's own, else `locale`, else the default.
    """
    if not event_key or len(event_key) > _MAX_EVENT_KEY:
        raise ValueError(f"event_key must be 1..{_MAX_EVENT_KEY} characters")
    if link is not None and len(link) > _MAX_LINK:
        raise ValueError(f"link longer than {_MAX_LINK} characters")
    enabled = config.enabled_channels()
    # Named channels apply to everyone; otherwise each recipient's choices adjust the defaults.
    named = list(dict.fromkeys(channels)) if channels is not None else None
    wanted = named if named is not None else [c for c in CHANNELS if c in enabled]
    unknown = [c for c in wanted if c not in CHANNELS]
    if unknown:
        raise ValueError(f"unknown channels {unknown}; known: {CHANNELS}")
    for channel in wanted:
        if channel not in enabled:
            log.warning("channel %s is not configured; %s not sent there", channel, event_key)
    wanted = [c for c in wanted if c in enabled]

    timestamp = read_clock(now)
    unique = {r.username: r for r in recipients}  # last entry wins for a repeated user
    choices = load_choices(session, unique, kind) if named is None else {}
    created: list[int] = []
    for recipient in unique.values():
        recipient_channels = (wanted if named is not None
                              else channels_for(kind, enabled, choices.get(recipient.username)))
        chosen_locale = normalize_locale(recipient.locale or locale, config.default_locale)
        message = registry.render(kind, chosen_locale, {**context, "recipient_name": recipient.name},
                                  config.display_tz)
        for channel in recipient_channels:
            address = _address(recipient, channel)
            if channel != INAPP and not address:
                continue
            new_id = _insert_ignoring_duplicate(session, {
                "event_key": event_key,
                "recipient": recipient.username,
                "channel": channel,
                "kind": kind,
                "locale": chosen_locale,
                "address": address,
                "recipient_name": _clip(recipient.name, "recipient_name"),
                "title": _clip(message.title, "title"),
                "body": message.body,
                "link": link,
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": timestamp,
                "created_at": timestamp,
                "updated_at": timestamp,
            })
            if new_id is not None:
                created.append(new_id)
    return created
