"""Each user's choice of channels per kind of message, over the defaults of `channel_defaults`.

Only departures from the default are stored: a row (user, kind, channel, enabled) turns a
channel on or off for that kind. In-app is always on, so nothing is ever lost entirely.
"""
from typing import Iterable, Mapping

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .channel_defaults import default_channels
from .models import CHANNELS, GROUP_CHANNELS, INAPP, ChannelPreference

# Channels a person can choose: group robots belong to the office, not to one user.
PERSONAL_CHANNELS = tuple(c for c in CHANNELS if c not in GROUP_CHANNELS)


def load_choices(session: Session, usernames: Iterable[str], kind: str) -> dict[str, dict[str, bool]]:
    """username -> {channel: enabled} for `kind`, only where the user departed from the default."""
    rows = session.scalars(select(ChannelPreference).where(
        ChannelPreference.username.in_(list(usernames)), ChannelPreference.kind == kind)).all()
    choices: dict[str, dict[str, bool]] = {}
    for row in rows:
        choices.setdefault(row.username, {})[row.channel] = row.enabled
    return choices


def channels_for(kind: str, enabled: frozenset[str], choices: Mapping[str, bool] | None) -> list[str]:
    """The default channels for `kind`, adjusted by one user's choices, among those configured."""
    chosen = set(default_channels(kind, enabled))
    for channel, on in (choices or {}).items():
        if channel == INAPP or channel not in enabled or channel not in PERSONAL_CHANNELS:
            continue
        (chosen.add if on else chosen.discard)(channel)
    return [c for c in CHANNELS if c in chosen]


def save_choices(session: Session, username: str, kind: str, wanted: Iterable[str],
                 enabled: frozenset[str]) -> None:
    """Store `wanted` (the channels the user ticked for `kind`) as departures from the default."""
    wanted = set(wanted) | {INAPP}
    defaults = set(default_channels(kind, enabled))
    session.execute(delete(ChannelPreference).where(ChannelPreference.username == username,
                                                    ChannelPreference.kind == kind))
    for channel in PERSONAL_CHANNELS:
        if channel == INAPP or channel not in enabled:
            continue
        on = channel in wanted
        if on != (channel in defaults):
            session.add(ChannelPreference(username=username, kind=kind, channel=channel, enabled=on))
