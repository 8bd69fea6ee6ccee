"""Which channels a message goes to when the caller does not say.

Personal channels (in-app, e-mail, webhook, WeCom) carry everything. SMS costs
money per message and interrupts, so by default only the messages that must not
be missed go there: an escalation up the ladder and accountability. Group robots
post into a shared chat and are only used when a caller names them.
"""
from .models import CHANNELS, GROUP_CHANNELS, SMS

SMS_KINDS = frozenset({"escalation.raised", "accountability.opened"})


def default_channels(kind: str, enabled: frozenset[str]) -> list[str]:
    return [c for c in CHANNELS
            if c in enabled and c not in GROUP_CHANNELS and (c != SMS or kind in SMS_KINDS)]
