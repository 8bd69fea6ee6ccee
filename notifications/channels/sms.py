"""SMS channel: a provider interface and the channel that drives it."""
from typing import Protocol

from sqlalchemy.orm import Session

from ..models import SMS
from .base import DeliveryError, DeliveryJob, absolute_link

# Carriers count 70 Chinese characters per segment; a template variable longer
# than this is refused by the provider, so the title is cut rather than bounced.
SMS_VARIABLE_LIMIT = 35


class SmsProvider(Protocol):
    name: str

    def send(self, phone: str, template_code: str, params: dict[str, str]) -> str:
        """Send one templated SMS; return the provider's message id or raise DeliveryError."""


class SmsChannel:
    """SMS texts are pre-approved templates: the message travels as template variables
    ${title} (case number and what is due, clipped) and ${link}."""

    name = SMS
    transactional = False

    def __init__(self, provider: SmsProvider, template_code: str, *, base_url: str = ""):
        self._provider = provider
        self._template_code = template_code
        self._base_url = base_url

    def params(self, job: DeliveryJob) -> dict[str, str]:
        title = job.title
        if len(title) > SMS_VARIABLE_LIMIT:
            title = title[:SMS_VARIABLE_LIMIT - 1] + "…"
        return {"title": title, "link": absolute_link(job.link, self._base_url) or ""}

    def send(self, job: DeliveryJob, session: Session | None = None) -> None:
        if not job.address:
            raise DeliveryError("recipient has no mobile number", permanent=True)
        self._provider.send(job.address, self._template_code, self.params(job))
