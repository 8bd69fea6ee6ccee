"""Notifications: in-app inbox, e-mail and webhook delivery with a delivery log.

Typical use:

    notifier = Notifier(SessionLocal, now=clock, config=NotificationConfig(smtp=..., webhook=...))
    with SessionLocal.begin() as session:          # the engine's own transaction
        ...change workflow state...
        notifier.enqueue(session, f"task:{task.id}:assigned", "task.assigned",
                         [Recipient("wang.li", "王力", email="wangli@example.gov.cn")],
                         {"task_name": ..., "process_name": ..., "due_at": ...},
                         link=f"/tasks/{task.id}")
    notifier.deliver_due()                          # from a scheduler, every minute
"""
from .channels import DeliveryError, DeliveryJob, build_channels
from .clock import Clock, ManualClock, system_clock
from .config import NotificationConfig, RetryPolicy, SmtpConfig, WebhookConfig
from .dispatcher import DeliveryReport, claim_due, deliver_due, deliver_job
from .outbox import enqueue
from .inbox import list_inbox, mark_all_read, mark_read, unread_count
from .config import AliyunSmsConfig, DingTalkConfig, WeComConfig, WeComRobotConfig
from .models import (CHANNELS, DEAD, DINGTALK, EMAIL, FAILED, INAPP, PENDING, SENT, SMS, STATUSES,
                     WEBHOOK, WECOM, WECOM_ROBOT, Delivery, InboxNotification, notification_tables)
from .notifier import Notifier
from .recipients import Recipient
from .recovery import requeue, requeue_dead
from .signing import sign, verify
from .templates import (DEFAULT_REGISTRY, EN, ZH_CN, RenderedMessage, TemplateError,
                        TemplateRegistry, default_registry)

__all__ = [
    "AliyunSmsConfig", "DINGTALK", "DingTalkConfig", "SMS", "WECOM", "WECOM_ROBOT", "WeComConfig",
    "WeComRobotConfig",
    "CHANNELS", "Clock", "DEAD", "DEFAULT_REGISTRY", "Delivery", "DeliveryError", "DeliveryJob",
    "DeliveryReport", "EMAIL", "EN", "FAILED", "INAPP", "InboxNotification", "ManualClock",
    "NotificationConfig", "Notifier", "PENDING", "Recipient", "RenderedMessage", "RetryPolicy",
    "SENT", "STATUSES", "SmtpConfig", "TemplateError", "TemplateRegistry", "WEBHOOK",
    "WebhookConfig", "ZH_CN", "build_channels", "claim_due", "default_registry", "deliver_due",
    "deliver_job", "enqueue", "list_inbox", "mark_all_read", "mark_read", "notification_tables",
    "requeue", "requeue_dead", "sign", "system_clock", "unread_count", "verify",
]
