"""Webhook channel: HTTP POST of a signed JSON body (requests)."""
import json

import requests
from sqlalchemy.orm import Session

from ..clock import Clock, read_clock
from ..config import WebhookConfig
from ..models import WEBHOOK
from ..signing import sign
from .base import DeliveryError, DeliveryJob, absolute_link

# 4xx answers that mean "later" rather than "never".
_RETRYABLE_4XX = {408, 425, 429}


class WebhookChannel:
    name = WEBHOOK
    transactional = False

    def __init__(self, config: WebhookConfig, *, now: Clock, base_url: str = "",
                 http: requests.Session | None = None):
        self._config = config
        self._now = now
        self._base_url = base_url
        self._http = http or requests.Session()
        self._http.trust_env = config.trust_env

    def payload(self, job: DeliveryJob) -> bytes:
        document = {
            "delivery_id": job.id,
            "event_key": job.event_key,
            "kind": job.kind,
            "recipient": job.recipient,
            "locale": job.locale,
            "title": job.title,
            "body": job.body,
            "link": absolute_link(job.link, self._base_url),
            # Covered by the signature, so receivers can reject stale replays.
            "timestamp": read_clock(self._now).isoformat(),
        }
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def send(self, job: DeliveryJob, session: Session | None = None) -> None:
        if not job.address:
            raise DeliveryError("recipient has no webhook URL", permanent=True)
        body = self.payload(job)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            self._config.signature_header: sign(self._config.secret, body),
            "X-Duban-Delivery": str(job.id),
            "X-Duban-Event": job.kind,
            "User-Agent": "Duban-Notifier/1",
        }
        try:
            # No redirects: requests would turn a 302 into a GET and drop the body.
            response = self._http.post(job.address, data=body, headers=headers,
                                       timeout=self._config.timeout, allow_redirects=False)
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                requests.exceptions.InvalidSchema) as exc:
            raise DeliveryError(f"invalid webhook URL {job.address!r}: {exc}", permanent=True) from exc
        except requests.RequestException as exc:
            raise DeliveryError(f"webhook {type(exc).__name__}: {exc}") from exc
        status = response.status_code
        if 200 <= status < 300:
            return
        permanent = status < 500 and status not in _RETRYABLE_4XX
        raise DeliveryError(f"webhook answered HTTP {status}: {response.text[:200]}", permanent=permanent)
