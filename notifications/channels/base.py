"""What a channel receives and how it reports failure."""
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session


class DeliveryError(Exception):
    """A send failed. Transient failures are retried with backoff;
    permanent ones (rejected address, 4xx from a webhook) go straight to `dead`."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class DeliveryJob:
    """A claimed delivery_log row, detached from any session."""

    id: int
    event_key: str
    recipient: str
    recipient_name: str
    channel: str
    kind: str
    locale: str
    address: str | None
    title: str
    body: str
    link: str | None
    attempts: int
    claim_token: str


class Channel(Protocol):
    name: str
    # True: send() writes into the session that records the result, so the
    # message and its log entry commit together (the in-app inbox).
    # False: send() talks to the network outside any transaction.
    transactional: bool

    def send(self, job: DeliveryJob, session: Session | None) -> None:
        """Deliver or raise DeliveryError."""


def absolute_link(link: str | None, base_url: str) -> str | None:
    """In-app links are site-relative; e-mail and webhook readers need a full URL."""
    if not link or "://" in link or not base_url:
        return link
    return base_url.rstrip("/") + "/" + link.lstrip("/")
