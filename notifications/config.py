"""Configuration objects for the notification channels and the retry policy."""
from dataclasses import dataclass, field
from datetime import timedelta, timezone, tzinfo

# China has used UTC+8 without daylight saving since 1991; a fixed offset avoids
# depending on the tz database being installed on the server.
CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    sender: str
    port: int = 25
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    use_ssl: bool = False
    timeout: float = 10.0
    # Name sent in EHLO; None lets smtplib use the machine's FQDN.
    local_hostname: str | None = None


@dataclass(frozen=True)
class WebhookConfig:
    secret: str
    timeout: float = 10.0
    signature_header: str = "X-Duban-Signature"
    # Government networks often reach the outside through a proxy set in the
    # environment; tests talking to 127.0.0.1 may turn this off.
    trust_env: bool = True

    def __post_init__(self):
        if not self.secret:
            raise ValueError("webhook secret must not be empty")


@dataclass(frozen=True)
class WeComConfig:
    """企业微信 self-built application: sends to one officer by WeCom userid."""

    corp_id: str
    agent_id: int
    secret: str
    api_base: str = "https://qyapi.weixin.qq.com"
    timeout: float = 10.0
    trust_env: bool = True

    def __post_init__(self):
        if not (self.corp_id and self.secret):
            raise ValueError("WeCom needs a corp id and an application secret")


@dataclass(frozen=True)
class WeComRobotConfig:
    """企业微信 group robot: one office group, addressed by the robot's webhook key."""

    key: str
    api_base: str = "https://qyapi.weixin.qq.com"
    timeout: float = 10.0
    trust_env: bool = True

    def __post_init__(self):
        if not self.key:
            raise ValueError("WeCom group robot needs its webhook key")


@dataclass(frozen=True)
class DingTalkConfig:
    """钉钉 custom robot with the 加签 (signed timestamp) security setting."""

    access_token: str
    secret: str
    api_base: str = "https://oapi.dingtalk.com"
    timeout: float = 10.0
    trust_env: bool = True

    def __post_init__(self):
        if not (self.access_token and self.secret):
            raise ValueError("DingTalk robot needs its access token and signing secret")


@dataclass(frozen=True)
class AliyunSmsConfig:
    """Alibaba Cloud SMS (Dysmsapi SendSms). The template must be approved in the
    console with the variables ${title} and ${link} (see README)."""

    access_key_id: str
    access_key_secret: str
    sign_name: str
    template_code: str
    endpoint: str = "https://dysmsapi.aliyuncs.com"
    region_id: str = "cn-hangzhou"
    timeout: float = 10.0
    trust_env: bool = True

    def __post_init__(self):
        if not (self.access_key_id and self.access_key_secret and self.sign_name and self.template_code):
            raise ValueError("Aliyun SMS needs access key id/secret, sign name and template code")


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: delay(n) = min(cap, base * factor ** (n - 1))."""

    base: timedelta = timedelta(minutes=1)
    factor: float = 2.0
    cap: timedelta = timedelta(hours=6)
    max_attempts: int = 8

    def __post_init__(self):
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base <= timedelta(0) or self.cap < self.base or self.factor < 1:
            raise ValueError("need base > 0, cap >= base and factor >= 1")

    def delay(self, attempts: int) -> timedelta:
        """Wait before the next try, after `attempts` failed tries (>= 1)."""
        exponent = max(attempts - 1, 0)
        # Compare in seconds before multiplying so huge exponents cannot overflow timedelta.
        seconds = self.base.total_seconds() * (self.factor ** min(exponent, 64))
        return min(self.cap, timedelta(seconds=min(seconds, self.cap.total_seconds())))

    def exhausted(self, attempts: int) -> bool:
        return attempts >= self.max_attempts


@dataclass(frozen=True)
class NotificationConfig:
    smtp: SmtpConfig | None = None
    webhook: WebhookConfig | None = None
    wecom: WeComConfig | None = None
    wecom_robot: WeComRobotConfig | None = None
    dingtalk: DingTalkConfig | None = None
    sms: AliyunSmsConfig | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    default_locale: str = "zh_CN"
    # Absolute links in e-mails and webhooks are built from this; in-app links stay relative.
    base_url: str = ""
    display_tz: tzinfo = CHINA_STANDARD_TIME
    # How long a claimed delivery is reserved for one worker before another may take it.
    lease: timedelta = timedelta(minutes=5)

    def enabled_channels(self) -> frozenset[str]:
        enabled = {"inapp"}
        if self.smtp is not None:
            enabled.add("email")
        if self.webhook is not None:
            enabled.add("webhook")
        for name, setting in (("wecom", self.wecom), ("wecom_robot", self.wecom_robot),
                              ("dingtalk", self.dingtalk), ("sms", self.sms)):
            if setting is not None:
                enabled.add(name)
        return frozenset(enabled)
