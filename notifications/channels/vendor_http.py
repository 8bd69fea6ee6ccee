"""HTTP plumbing shared by the messenger channels (WeCom, DingTalk, Aliyun SMS).

These vendors answer HTTP 200 with an error code in the JSON body, so a
transport failure, a 5xx and a non-zero code all become DeliveryError here.
"""
import json
import re

import requests

from .base import DeliveryError

_RETRYABLE_4XX = {408, 425, 429}
# Query strings carry the robot key, access token or signature: keep them out of delivery_log.last_error.
_QUERY = re.compile(r"\?[^\s'\")]*")


def redact(text: str) -> str:
    return _QUERY.sub("?…", text)


def http_session(trust_env: bool) -> requests.Session:
    session = requests.Session()
    # Government networks often reach the outside through a proxy set in the environment.
    session.trust_env = trust_env
    return session


def call_json(http: requests.Session, method: str, url: str, *, vendor: str, timeout: float,
              params=None, body: dict | None = None) -> dict:
    """One request; the decoded JSON answer, or DeliveryError."""
    data = None
    headers = {"User-Agent": "Duban-Notifier/1"}
    if body is not None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers["Content-Type"] = "application/json; charset=utf-8"
    try:
        response = http.request(method, url, params=params, data=data, headers=headers,
                                timeout=timeout, allow_redirects=False)
    except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema) as exc:
        raise DeliveryError(redact(f"{vendor}: invalid URL {url!r}: {exc}"), permanent=True) from exc
    except requests.RequestException as exc:
        raise DeliveryError(redact(f"{vendor} {type(exc).__name__}: {exc}")) from exc
    status = response.status_code
    if not 200 <= status < 300:
        permanent = 400 <= status < 500 and status not in _RETRYABLE_4XX
        raise DeliveryError(f"{vendor} answered HTTP {status}: {response.text[:200]}", permanent=permanent)
    try:
        return response.json()
    except ValueError as exc:
        raise DeliveryError(f"{vendor} answered non-JSON: {response.text[:200]}") from exc


def short_text(job_title: str, job_body: str, link: str | None) -> str:
    """Plain text for chat messages: title, body, link."""
    parts = [job_title, job_body]
    if link:
        parts.append(link)
    return "\n".join(parts)
