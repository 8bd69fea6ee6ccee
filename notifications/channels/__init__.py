"""Delivery channels: in-app inbox, e-mail, webhook, WeCom, DingTalk, SMS."""
from ..clock import Clock
from ..config import NotificationConfig
from .base import Channel, DeliveryError, DeliveryJob
from .email import EmailChannel
from .inapp import InAppChannel
from .webhook import WebhookChannel
from .aliyun_sms import AliyunSmsProvider
from .dingtalk import DingTalkRobotChannel
from .sms import SmsChannel, SmsProvider
from .wecom import WeComAppChannel, WeComRobotChannel


def build_channels(config: NotificationConfig, now: Clock) -> dict[str, Channel]:
    """The channels that `config` enables, keyed by channel name."""
    channels: dict[str, Channel] = {"inapp": InAppChannel(now)}
    if config.smtp is not None:
        channels["email"] = EmailChannel(config.smtp, now=now, base_url=config.base_url)
    if config.webhook is not None:
        channels["webhook"] = WebhookChannel(config.webhook, now=now, base_url=config.base_url)
    if config.wecom is not None:
        channels["wecom"] = WeComAppChannel(config.wecom, now=now, base_url=config.base_url)
    if config.wecom_robot is not None:
        channels["wecom_robot"] = WeComRobotChannel(config.wecom_robot, now=now, base_url=config.base_url)
    if config.dingtalk is not None:
        channels["dingtalk"] = DingTalkRobotChannel(config.dingtalk, now=now, base_url=config.base_url)
    if config.sms is not None:
        channels["sms"] = SmsChannel(AliyunSmsProvider(config.sms, now=now), config.sms.template_code,
                                     base_url=config.base_url)
    return channels


__all__ = ["AliyunSmsProvider", "Channel", "DeliveryError", "DeliveryJob", "DingTalkRobotChannel",
           "EmailChannel", "InAppChannel", "SmsChannel", "SmsProvider", "WeComAppChannel",
           "WeComRobotChannel", "WebhookChannel", "build_channels"]
