"""E-mail channel over SMTP (smtplib)."""
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from sqlalchemy.orm import Session

from ..clock import Clock, read_clock
from ..config import SmtpConfig
from ..models import EMAIL
from ..templates import EMAIL_FOOTER, EMAIL_LINK_LABEL, normalize_locale
from .base import DeliveryError, DeliveryJob, absolute_link


def _is_permanent(code: int) -> bool:
    # SMTP 5yz replies are permanent negative completions; 4yz ask us to retry.
    return 500 <= code < 600


class EmailChannel:
    name = EMAIL
    transactional = False

    def __init__(self, config: SmtpConfig, *, now: Clock, base_url: str = ""):
        self._config = config
        self._now = now
        self._base_url = base_url
        domain = parseaddr(config.sender)[1].rpartition("@")[2]
        self._msgid_domain = domain or "duban.invalid"

    def build_message(self, job: DeliveryJob) -> EmailMessage:
        if not job.address:
            raise DeliveryError("recipient has no e-mail address", permanent=True)
        locale = normalize_locale(job.locale)
        message = EmailMessage()
        message["Subject"] = job.title
        message["From"] = self._config.sender
        try:
            message["To"] = Address(display_name=job.recipient_name, addr_spec=job.address)
        except (ValueError, IndexError) as exc:
            raise DeliveryError(f"invalid e-mail address {job.address!r}: {exc}", permanent=True) from exc
        message["Date"] = format_datetime(read_clock(self._now))
        # Stable across retries, so mail clients can fold a duplicate send.
        message["Message-ID"] = f"<duban.delivery.{job.id}@{self._msgid_domain}>"
        message["X-Duban-Event"] = job.kind
        parts = [job.body]
        link = absolute_link(job.link, self._base_url)
        if link:
            parts.append(EMAIL_LINK_LABEL[locale] + link)
        parts.append(EMAIL_FOOTER[locale])
        # base64 keeps Chinese text intact through relays that do not speak 8BITMIME.
        message.set_content("\n\n".join(parts) + "\n", cte="base64")
        return message

    def _connect(self) -> smtplib.SMTP:
        cfg = self._config
        if cfg.use_ssl:
            return smtplib.SMTP_SSL(cfg.host, cfg.port, local_hostname=cfg.local_hostname,
                                    timeout=cfg.timeout, context=ssl.create_default_context())
        return smtplib.SMTP(cfg.host, cfg.port, local_hostname=cfg.local_hostname, timeout=cfg.timeout)

    def send(self, job: DeliveryJob, session: Session | None = None) -> None:
        message = self.build_message(job)
        cfg = self._config
        try:
            with self._connect() as smtp:
                if cfg.starttls and not cfg.use_ssl:
                    smtp.starttls(context=ssl.create_default_context())
                if cfg.username:
                    smtp.login(cfg.username, cfg.password or "")
                smtp.send_message(message, from_addr=parseaddr(cfg.sender)[1], to_addrs=[job.address])
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(f"SMTP refused recipient: {exc.recipients}",
                                permanent=all(_is_permanent(c) for c in codes)) from exc
        except smtplib.SMTPResponseException as exc:
            detail = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
            raise DeliveryError(f"SMTP {exc.smtp_code} {detail}",
                                permanent=_is_permanent(exc.smtp_code)) from exc
        except (smtplib.SMTPException, OSError) as exc:
            # Connection refused, timeouts, dropped connections: try again later.
            raise DeliveryError(f"SMTP {type(exc).__name__}: {exc}") from exc
