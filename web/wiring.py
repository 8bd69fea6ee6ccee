"""The composition root: engine, escalation ladder, notifications and scheduler,
wired to the campaign's records. Nothing else constructs these."""
import os
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from domain import crypto
from domain.directory import CampaignDirectory
from domain.models import User
from domain.services import make_service_functions
from engine.escalation import Escalator
from engine.runtime import Engine
from engine.scheduler import DubanScheduler
from notifications import Notifier, Recipient
from notifications.config import NotificationConfig, SmtpConfig, WebhookConfig
from notifications.messenger_env import messenger_settings


@dataclass
class Runtime:
    engine: Engine
    escalator: Escalator
    notifier: Notifier
    scheduler: DubanScheduler
    sessions: sessionmaker


def _notification_config(config) -> NotificationConfig:
    smtp = (SmtpConfig(host=config["DUBAN_SMTP_HOST"], port=config["DUBAN_SMTP_PORT"],
                       sender=config["DUBAN_MAIL_SENDER"]) if config.get("DUBAN_SMTP_HOST") else None)
    webhook = WebhookConfig(secret=config["DUBAN_WEBHOOK_SECRET"]) if config.get("DUBAN_WEBHOOK_SECRET") else None
    return NotificationConfig(smtp=smtp, webhook=webhook, base_url=config.get("DUBAN_BASE_URL", ""),
                              **messenger_settings(os.environ))


def _notify_users(notifier: Notifier):
    """Adapter: the escalator names usernames; notifications wants recipients."""

    def notify(session, event_key, kind, usernames, context, link=None):
        users = session.scalars(select(User).where(User.username.in_(list(usernames)))).all()
        recipients = [Recipient(u.username, u.display_name, email=u.email, locale=u.locale, mobile=u.phone,
                                wecom_userid=u.wecom_userid)
                      for u in users]
        if recipients:
            notifier.enqueue(session, event_key, kind, recipients, context, link=link)

    return notify


def build_runtime(db_engine, config) -> Runtime:
    if not os.environ.get(crypto.FIELD_KEY_ENV) and not os.environ.get(crypto.SECRET_KEY_ENV):
        crypto.configure_field_keys(crypto.derive_field_key(config["SECRET_KEY"]))
    sessions = sessionmaker(bind=db_engine, expire_on_commit=False)
    engine = Engine(sessions, services=make_service_functions)
    notifier = Notifier(sessions, config=_notification_config(config))
    escalator = Escalator(engine, CampaignDirectory(), _notify_users(notifier),
                          deductions=config.get("DUBAN_CARD_DEDUCTIONS"))

    def next_delivery():
        from sqlalchemy import func

        from notifications.models import Delivery
        with sessions() as session:
            return session.scalar(select(func.min(Delivery.next_attempt_at)).where(
                Delivery.status.in_(["pending", "failed"])))

    scheduler = DubanScheduler(engine, escalator, deliver=lambda: notifier.deliver_due().sent,
                               next_delivery=next_delivery)
    return Runtime(engine, escalator, notifier, scheduler, sessions)
