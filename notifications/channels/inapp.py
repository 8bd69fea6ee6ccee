"""In-app channel: a row in the recipient's web inbox."""
from sqlalchemy.orm import Session

from ..clock import Clock, read_clock
from ..models import INAPP, InboxNotification
from .base import DeliveryJob


class InAppChannel:
    name = INAPP
    transactional = True

    def __init__(self, now: Clock):
        self._now = now

    def send(self, job: DeliveryJob, session: Session | None) -> None:
        if session is None:
            raise ValueError("the in-app channel writes in the recording transaction")
        session.add(InboxNotification(
            recipient=job.recipient,
            kind=job.kind,
            event_key=job.event_key,
            title=job.title,
            body=job.body,
            link=job.link,
            created_at=read_clock(self._now),
            delivery_id=job.id,
        ))
