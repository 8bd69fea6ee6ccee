"""Messenger channel settings from environment variables. A channel whose
variables are not all set is simply not configured (and so not offered)."""
from typing import Mapping

from .config import AliyunSmsConfig, DingTalkConfig, WeComConfig, WeComRobotConfig


def _get(env: Mapping[str, str], name: str) -> str:
    return (env.get(name) or "").strip()


def _with_base(env: Mapping[str, str], name: str, **settings) -> dict:
    # Only override the vendor's default base URL when one is given (tests, intranet gateways).
    base = _get(env, name)
    return {**settings, **({"api_base": base} if base else {})}


def wecom_from_env(env: Mapping[str, str]) -> WeComConfig | None:
    corp, agent, secret = (_get(env, n) for n in ("DUBAN_WECOM_CORP_ID", "DUBAN_WECOM_AGENT_ID",
                                                   "DUBAN_WECOM_SECRET"))
    if not (corp and agent and secret):
        return None
    return WeComConfig(**_with_base(env, "DUBAN_WECOM_API_BASE", corp_id=corp, agent_id=int(agent), secret=secret))


def wecom_robot_from_env(env: Mapping[str, str]) -> WeComRobotConfig | None:
    key = _get(env, "DUBAN_WECOM_ROBOT_KEY")
    return WeComRobotConfig(**_with_base(env, "DUBAN_WECOM_API_BASE", key=key)) if key else None


def dingtalk_from_env(env: Mapping[str, str]) -> DingTalkConfig | None:
    token, secret = _get(env, "DUBAN_DINGTALK_ACCESS_TOKEN"), _get(env, "DUBAN_DINGTALK_SECRET")
    if not (token and secret):
        return None
    return DingTalkConfig(**_with_base(env, "DUBAN_DINGTALK_API_BASE", access_token=token, secret=secret))


def sms_from_env(env: Mapping[str, str]) -> AliyunSmsConfig | None:
    provider = _get(env, "DUBAN_SMS_PROVIDER").lower()
    if not provider:
        return None
    if provider != "aliyun":
        raise ValueError(f"DUBAN_SMS_PROVIDER={provider!r}: only 'aliyun' is supported")
    settings = dict(access_key_id=_get(env, "DUBAN_ALIYUN_ACCESS_KEY_ID"),
                    access_key_secret=_get(env, "DUBAN_ALIYUN_ACCESS_KEY_SECRET"),
                    sign_name=_get(env, "DUBAN_SMS_SIGN_NAME"),
                    template_code=_get(env, "DUBAN_SMS_TEMPLATE_CODE"))
    endpoint = _get(env, "DUBAN_ALIYUN_SMS_ENDPOINT")
    if endpoint:
        settings["endpoint"] = endpoint
    # Incomplete settings are a deployment mistake: fail at start-up, not on the first red card.
    return AliyunSmsConfig(**settings)


def messenger_settings(env: Mapping[str, str]) -> dict:
    """Keyword arguments for NotificationConfig."""
    return {"wecom": wecom_from_env(env), "wecom_robot": wecom_robot_from_env(env),
            "dingtalk": dingtalk_from_env(env), "sms": sms_from_env(env)}
