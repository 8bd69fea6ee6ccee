"""One object holding the clock, config and channels, for the engine and the web app."""
from typing import Iterable, Mapping

from sqlalchemy.orm import Session, sessionmaker

from .channels import Channel, build_channels
from .clock import Clock, system_clock
from .config import NotificationConfig
from .dispatcher import DeliveryReport, deliver_due
from .outbox import enqueue
from .recipients import Recipient
from .recovery import requeue, requeue_dead
from .templates import DEFAULT_REGISTRY, TemplateRegistry


class Notifier:
    def __init__(self, session_factory: sessionmaker, *, now: Clock = system_clock,
                 config: NotificationConfig | None = None,
                 registry: TemplateRegistry = DEFAULT_REGISTRY,
                 channels: dict[str, Channel] | None = None):
        self.session_factory = session_factory
        self.now = now
        self.config = config or NotificationConfig()
        self.registry = registry
        self.channels = channels if channels is not None else build_channels(self.config, now)

    def enqueue(self, session: Session, event_key: str, kind: str, recipients: Iterable[Recipient],
                context: Mapping[str, object], channels: Iterable[str] | None = None,
                locale: str | None = None, *, link: str | None = None) -> list[int]:
        """Queue in the caller's transaction; see notifications.outbox.enqueue."""
        return enqueue(session, event_key, kind, recipients, context, channels, locale,
                       link=link, now=self.now, config=self.config, registry=self.registry)

    def deliver_due(self, limit: int = 100) -> DeliveryReport:
        """Send what is due now; call it from a scheduler job."""
        return deliver_due(self.session_factory, self.now, limit,
                           config=self.config, channels=self.channels)

    def requeue(self, session: Session, delivery_ids: Iterable[int]) -> int:
        return requeue(session, delivery_ids, self.now)

    def requeue_dead(self, session: Session, *, event_key: str | None = None,
                     channel: str | None = None) -> int:
        return requeue_dead(session, self.now, event_key=event_key, channel=channel)
