"""企业微信 channels: the application message API (one officer, by WeCom userid)
and the group robot webhook (the office's group chat)."""
import threading
from datetime import datetime, timedelta

import requests
from sqlalchemy.orm import Session

from ..clock import Clock, read_clock
from ..config import WeComConfig, WeComRobotConfig
from ..models import WECOM, WECOM_ROBOT
from .base import DeliveryError, DeliveryJob, absolute_link
from .vendor_http import call_json, http_session, short_text

# errcodes meaning "your access_token is no longer good": fetch a new one and try again once.
TOKEN_EXPIRED_CODES = {40001, 40014, 42001}
# A token is refreshed this long before WeCom says it expires, so a send never races the expiry.
_TOKEN_MARGIN = timedelta(minutes=5)
# The markdown/textcard description limits documented by WeCom (bytes, UTF-8).
_TEXTCARD_DESCRIPTION_BYTES = 512
_ROBOT_MARKDOWN_BYTES = 4096


def _clip_bytes(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit - 3].decode("utf-8", errors="ignore") + "…"


class AccessTokenCache:
    """gettoken answers are valid for expires_in seconds (7200) and rate-limited,
    so one token is shared by every send until it is about to expire."""

    def __init__(self, config: WeComConfig, http: requests.Session, now: Clock):
        self._config = config
        self._http = http
        self._now = now
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at: datetime | None = None

    def get(self) -> str:
        with self._lock:
            moment = read_clock(self._now)
            if self._token is None or self._expires_at is None or moment >= self._expires_at:
                self._token, self._expires_at = self._fetch(moment)
            return self._token

    def invalidate(self, token: str) -> None:
        with self._lock:
            if self._token == token:
                self._token = None

    def _fetch(self, moment: datetime) -> tuple[str, datetime]:
        answer = call_json(self._http, "GET", self._config.api_base.rstrip("/") + "/cgi-bin/gettoken",
                           vendor="WeCom gettoken", timeout=self._config.timeout,
                           params={"corpid": self._config.corp_id, "corpsecret": self._config.secret})
        if answer.get("errcode", 0) != 0 or not answer.get("access_token"):
            raise DeliveryError(f"WeCom gettoken errcode {answer.get('errcode')}: {answer.get('errmsg')}")
        lifetime = timedelta(seconds=int(answer.get("expires_in", 7200)))
        return answer["access_token"], moment + max(lifetime - _TOKEN_MARGIN, timedelta(0))


class WeComAppChannel:
    """POST /cgi-bin/message/send?access_token=… as the configured application (agentid)."""

    name = WECOM
    transactional = False

    def __init__(self, config: WeComConfig, *, now: Clock, base_url: str = "",
                 http: requests.Session | None = None):
        self._config = config
        self._base_url = base_url
        self._http = http or http_session(config.trust_env)
        self.tokens = AccessTokenCache(config, self._http, now)

    def payload(self, job: DeliveryJob) -> dict:
        link = absolute_link(job.link, self._base_url)
        message: dict = {"touser": job.address, "agentid": self._config.agent_id}
        if link:
            # textcard: title, short description and a 详情 button opening the task.
            message["msgtype"] = "textcard"
            message["textcard"] = {
                "title": _clip_bytes(job.title, 128),
                "description": _clip_bytes(job.body, _TEXTCARD_DESCRIPTION_BYTES),
                "url": link,
                "btntxt": "详情" if job.locale.startswith("zh") else "Open",
            }
        else:
            message["msgtype"] = "text"
            message["text"] = {"content": short_text(job.title, job.body, None)}
        return message

    def send(self, job: DeliveryJob, session: Session | None = None) -> None:
        if not job.address:
            raise DeliveryError("recipient has no WeCom userid", permanent=True)
        body = self.payload(job)
        url = self._config.api_base.rstrip("/") + "/cgi-bin/message/send"
        for attempt in (1, 2):
            token = self.tokens.get()
            answer = call_json(self._http, "POST", url, vendor="WeCom message/send",
                               timeout=self._config.timeout, params={"access_token": token}, body=body)
            code = answer.get("errcode", -1)
            if code in TOKEN_EXPIRED_CODES and attempt == 1:
                self.tokens.invalidate(token)
                continue
            break
        if code != 0:
            raise DeliveryError(f"WeCom message/send errcode {code}: {answer.get('errmsg')}")
        # errcode 0 with the user listed in invaliduser: the userid does not exist in the corp.
        invalid = (answer.get("invaliduser") or "").split("|")
        if job.address in invalid:
            raise DeliveryError(f"WeCom does not know userid {job.address!r}", permanent=True)


class WeComRobotChannel:
    """POST /cgi-bin/webhook/send?key=KEY with a markdown message."""

    name = WECOM_ROBOT
    transactional = False

    def __init__(self, config: WeComRobotConfig, *, now: Clock, base_url: str = "",
                 http: requests.Session | None = None):
        self._config = config
        self._base_url = base_url
        self._http = http or http_session(config.trust_env)

    def payload(self, job: DeliveryJob) -> dict:
        link = absolute_link(job.link, self._base_url)
        lines = [f"**{job.title}**", f"> {job.body}"]
        if link:
            lines.append(f"[{'查看任务' if job.locale.startswith('zh') else 'Open task'}]({link})")
        return {"msgtype": "markdown",
                "markdown": {"content": _clip_bytes("\n".join(lines), _ROBOT_MARKDOWN_BYTES)}}

    def send(self, job: DeliveryJob, session: Session | None = None) -> None:
        answer = call_json(self._http, "POST", self._config.api_base.rstrip("/") + "/cgi-bin/webhook/send",
                           vendor="WeCom robot", timeout=self._config.timeout,
                           params={"key": self._config.key}, body=self.payload(job))
        code = answer.get("errcode", -1)
        if code != 0:
            raise DeliveryError(f"WeCom robot errcode {code}: {answer.get('errmsg')}")
