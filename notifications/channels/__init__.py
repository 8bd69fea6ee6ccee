"""Delivery channels: in-app inbox, e-mail, webhook."""
from ..clock import Clock
from ..config import NotificationConfig
from .base import Channel, DeliveryError, DeliveryJob
from .email import EmailChannel
from .inapp import InAppChannel
from .webhook import WebhookChannel


def build_channels(config: NotificationConfig, now: Clock) -> dict[str, Channel]:
    """The channels that `config` enables, keyed by channel name."""
    channels: dict[str, Channel] = {"inapp": InAppChannel(now)}
    if config.smtp is not None:
        channels["email"] = EmailChannel(config.smtp, now=now, base_url=config.base_url)
    if config.webhook is not None:
        channels["webhook"] = WebhookChannel(config.webhook, now=now, base_url=config.base_url)
    return channels


__all__ = ["Channel", "DeliveryError", "DeliveryJob", "EmailChannel", "InAppChannel",
           "WebhookChannel", "build_channels"]
