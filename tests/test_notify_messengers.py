"""WeCom, DingTalk and Aliyun SMS channels against local fake vendor servers that
check the documented request format and recompute the signatures."""
import base64
import hashlib
import hmac
import json
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest

from notifications import (DEAD, DINGTALK, FAILED, INAPP, SENT, SMS, WECOM, WECOM_ROBOT, AliyunSmsConfig,
                           Delivery, DingTalkConfig, ManualClock, NotificationConfig, Notifier, Recipient,
                           RetryPolicy, WeComConfig, WeComRobotConfig)
from notifications.channels.aliyun_sms import percent_encode
from notifications.messenger_env import messenger_settings

START = datetime(2024, 5, 20, 1, 0, tzinfo=timezone.utc)
DUE = START + timedelta(days=3)
RETRY = RetryPolicy(base=timedelta(seconds=30), factor=2, cap=timedelta(minutes=2), max_attempts=3)
CONTEXT = {"case": "XS-2024-000042 某养老机构", "task_name": "核实线索", "office_name": "区专项办",
           "reason": "涉嫌非法集资", "due_at": DUE}
KIND = "supervision.started"
ACC = {**CONTEXT, "unit_name": "市民政局", "process_name": "线索核查"}
TITLE = "【督办】XS-2024-000042 某养老机构：核实线索"
LINK = "https://duban.example.gov.cn/supervision/9"
OFFICER = Recipient("wang.li", "王力", wecom_userid="WangLi", mobile="13800138000")

CORP_ID, CORP_SECRET, AGENT_ID = "ww0123456789", "corp-app-secret", 1000002
ROBOT_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
DING_TOKEN, DING_SECRET = "ding-access-token", "SEC0123456789abcdef"
AK_ID, AK_SECRET = "LTAI-test-id", "aliyun-test-secret"


# ---------------------------------------------------------------- fake vendor server

@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    raw_query: str
    body: bytes

    def json(self):
        return json.loads(self.body.decode("utf-8"))


@dataclass
class FakeVendor:
    """Records requests; `answer(request) -> dict` decides the JSON reply (HTTP 200, like the vendors)."""

    answer: object = None
    requests: list[Received] = field(default_factory=list)
    url: str = ""

    def on(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]


@contextmanager
def fake_vendor():
    vendor = FakeVendor()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self):
            parts = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
            request = Received(self.command, parts.path, dict(parse_qsl(parts.query, keep_blank_values=True)),
                               parts.query, body)
            with lock:
                vendor.requests.append(request)
                reply = json.dumps(vendor.answer(request), ensure_ascii=False).encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        do_GET = do_POST = _handle

        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    vendor.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield vendor
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def clock():
    return ManualClock(START)


@pytest.fixture
def vendor():
    with fake_vendor() as fake:
        yield fake


def _notifier(session_factory, clock, **channels):
    config = NotificationConfig(retry=RETRY, base_url="https://duban.example.gov.cn/", **channels)
    return Notifier(session_factory, now=clock, config=config)


def _enqueue(factory, notifier, channel, recipient=OFFICER, event_key="sup:9:started"):
    with factory.begin() as session:
        [delivery_id] = notifier.enqueue(session, event_key, KIND, [recipient], CONTEXT, [channel],
                                         link="/supervision/9")
    return delivery_id


def _row(factory, delivery_id) -> Delivery:
    with factory() as session:
        return session.get(Delivery, delivery_id)


def _retry_after_failure(factory, notifier, clock, delivery_id):
    """First attempt fails (FAILED, scheduled), the retry after the backoff is sent."""
    assert notifier.deliver_due().failed == 1
    row = _row(factory, delivery_id)
    assert (row.status, row.attempts) == (FAILED, 1) and row.last_error
    assert notifier.deliver_due().claimed == 0  # not before its time
    clock.advance(RETRY.delay(1))
    assert notifier.deliver_due().sent == 1
    row = _row(factory, delivery_id)
    assert (row.status, row.attempts) == (SENT, 2)


def _dead_after_budget(factory, notifier, clock, delivery_id):
    for _ in range(RETRY.max_attempts):
        notifier.deliver_due()
        clock.advance(RETRY.cap)
    row = _row(factory, delivery_id)
    assert (row.status, row.attempts) == (DEAD, RETRY.max_attempts)
    return row


# ---------------------------------------------------------------- 企业微信 application messages

class WeComServer:
    """gettoken and message/send as WeCom documents them; tokens can be expired on demand."""

    def __init__(self):
        self.issued = 0
        self.valid_tokens: set[str] = set()
        self.send_results: list[dict] = []  # queued answers for message/send, then OK

    def __call__(self, request: Received) -> dict:
        if request.path == "/cgi-bin/gettoken":
            assert request.method == "GET"
            if request.query != {"corpid": CORP_ID, "corpsecret": CORP_SECRET}:
                return {"errcode": 40013, "errmsg": "invalid corpid"}
            self.issued += 1
            token = f"token-{self.issued}"
            self.valid_tokens.add(token)
            return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}
        assert request.path == "/cgi-bin/message/send" and request.method == "POST"
        if request.query.get("access_token") not in self.valid_tokens:
            return {"errcode": 42001, "errmsg": "access_token expired"}
        if self.send_results:
            return self.send_results.pop(0)
        return {"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": "m-1"}


@pytest.fixture
def wecom(vendor):
    server = WeComServer()
    vendor.answer = server
    return server


def _wecom_config(vendor):
    return WeComConfig(corp_id=CORP_ID, agent_id=AGENT_ID, secret=CORP_SECRET, api_base=vendor.url,
                       timeout=5, trust_env=False)


def test_wecom_sends_textcard_with_cached_token(session_factory, clock, vendor, wecom):
    notifier = _notifier(session_factory, clock, wecom=_wecom_config(vendor))
    first = _enqueue(session_factory, notifier, WECOM)
    second = _enqueue(session_factory, notifier, WECOM, event_key="sup:10:started")
    assert notifier.deliver_due().sent == 2

    assert len(vendor.on("/cgi-bin/gettoken")) == 1  # one token for both messages
    sends = vendor.on("/cgi-bin/message/send")
    assert [s.query["access_token"] for s in sends] == ["token-1", "token-1"]
    payload = sends[0].json()
    assert payload["touser"] == "WangLi" and payload["agentid"] == AGENT_ID
    assert payload["msgtype"] == "textcard"
    card = payload["textcard"]
    assert card["title"] == TITLE
    assert card["url"] == LINK and card["btntxt"] == "详情"
    assert "XS-2024-000042" in card["description"] and "2024-05-23 09:00" in card["description"]
    assert {_row(session_factory, i).status for i in (first, second)} == {SENT}


def test_wecom_refreshes_token_after_expiry(session_factory, clock, vendor, wecom):
    notifier = _notifier(session_factory, clock, wecom=_wecom_config(vendor))
    _enqueue(session_factory, notifier, WECOM)
    assert notifier.deliver_due().sent == 1
    # WeCom revokes the token early (another server fetched one): errcode 42001, refetch, resend.
    wecom.valid_tokens.clear()
    delivery_id = _enqueue(session_factory, notifier, WECOM, event_key="sup:10:started")
    assert notifier.deliver_due().sent == 1
    assert [s.query["access_token"] for s in vendor.on("/cgi-bin/message/send")] == ["token-1", "token-1", "token-2"]
    assert _row(session_factory, delivery_id).status == SENT
    # And the cache expires by the clock before WeCom's 7200 s are up.
    clock.advance(hours=2)
    _enqueue(session_factory, notifier, WECOM, event_key="sup:11:started")
    assert notifier.deliver_due().sent == 1
    assert len(vendor.on("/cgi-bin/gettoken")) == 3


def test_wecom_failure_then_retry(session_factory, clock, vendor, wecom):
    notifier = _notifier(session_factory, clock, wecom=_wecom_config(vendor))
    wecom.send_results.append({"errcode": -1, "errmsg": "system busy"})
    delivery_id = _enqueue(session_factory, notifier, WECOM)
    _retry_after_failure(session_factory, notifier, clock, delivery_id)
    assert len(vendor.on("/cgi-bin/message/send")) == 2


def test_wecom_dead_after_retry_budget_and_unknown_user_is_dead_at_once(session_factory, clock, vendor, wecom):
    notifier = _notifier(session_factory, clock, wecom=_wecom_config(vendor))
    wecom.send_results.extend({"errcode": 45009, "errmsg": "api freq out of limit"} for _ in range(10))
    row = _dead_after_budget(session_factory, notifier, clock, _enqueue(session_factory, notifier, WECOM))
    assert "45009" in row.last_error

    wecom.send_results.clear()
    wecom.send_results.append({"errcode": 0, "errmsg": "ok", "invaliduser": "Nobody"})
    ghost = Recipient("ghost", "无此人", wecom_userid="Nobody")
    delivery_id = _enqueue(session_factory, notifier, WECOM, recipient=ghost, event_key="sup:12:started")
    assert notifier.deliver_due().dead == 1
    assert _row(session_factory, delivery_id).attempts == 1


def test_wecom_text_message_without_link(session_factory, clock, vendor, wecom):
    notifier = _notifier(session_factory, clock, wecom=_wecom_config(vendor))
    with session_factory.begin() as session:
        notifier.enqueue(session, "sup:13:started", KIND, [OFFICER], CONTEXT, [WECOM])
    assert notifier.deliver_due().sent == 1
    payload = vendor.on("/cgi-bin/message/send")[0].json()
    assert payload["msgtype"] == "text" and payload["text"]["content"].startswith(TITLE)


# ---------------------------------------------------------------- 企业微信 group robot

def test_wecom_robot_markdown_failure_then_retry(session_factory, clock, vendor):
    answers = [{"errcode": 45009, "errmsg": "api freq out of limit"}]

    def robot(request):
        assert (request.method, request.path) == ("POST", "/cgi-bin/webhook/send")
        if request.query != {"key": ROBOT_KEY}:
            return {"errcode": 93000, "errmsg": "invalid webhook url"}
        return answers.pop(0) if answers else {"errcode": 0, "errmsg": "ok"}

    vendor.answer = robot
    config = WeComRobotConfig(key=ROBOT_KEY, api_base=vendor.url, timeout=5, trust_env=False)
    notifier = _notifier(session_factory, clock, wecom_robot=config)
    delivery_id = _enqueue(session_factory, notifier, WECOM_ROBOT)
    _retry_after_failure(session_factory, notifier, clock, delivery_id)
    payload = vendor.requests[-1].json()
    assert payload["msgtype"] == "markdown"
    content = payload["markdown"]["content"]
    assert content.startswith(f"**{TITLE}**") and f"[查看任务]({LINK})" in content
    assert _row(session_factory, delivery_id).address == "wecom_robot:group"


# ---------------------------------------------------------------- 钉钉 robot

def _dingtalk_verifies(request) -> bool:
    """Recompute the sign from the received timestamp, as DingTalk's server does."""
    timestamp = request.query["timestamp"]
    expected = base64.b64encode(hmac.new(DING_SECRET.encode(), f"{timestamp}\n{DING_SECRET}".encode(),
                                         hashlib.sha256).digest()).decode()
    # The sign arrives URL-encoded once in the raw query; parse_qsl has already decoded it.
    return request.query["sign"] == expected and request.query["access_token"] == DING_TOKEN


def test_dingtalk_signed_markdown_failure_then_retry(session_factory, clock, vendor):
    answers = [{"errcode": -1, "errmsg": "系统繁忙"}]

    def robot(request):
        assert (request.method, request.path) == ("POST", "/robot/send")
        if not _dingtalk_verifies(request):
            return {"errcode": 310000, "errmsg": "sign not match"}
        return answers.pop(0) if answers else {"errcode": 0, "errmsg": "ok"}

    vendor.answer = robot
    config = DingTalkConfig(access_token=DING_TOKEN, secret=DING_SECRET, api_base=vendor.url,
                            timeout=5, trust_env=False)
    notifier = _notifier(session_factory, clock, dingtalk=config)
    delivery_id = _enqueue(session_factory, notifier, DINGTALK)
    _retry_after_failure(session_factory, notifier, clock, delivery_id)

    first, second = vendor.requests
    assert int(first.query["timestamp"]) == int(START.timestamp() * 1000)
    assert int(second.query["timestamp"]) == int((START + RETRY.delay(1)).timestamp() * 1000)
    payload = second.json()
    assert payload["msgtype"] == "markdown"
    assert payload["markdown"]["title"] == TITLE
    assert f"[查看任务]({LINK})" in payload["markdown"]["text"] and "XS-2024-000042" in payload["markdown"]["text"]


def test_dingtalk_wrong_secret_ends_dead(session_factory, clock, vendor):
    vendor.answer = lambda r: ({"errcode": 0, "errmsg": "ok"} if _dingtalk_verifies(r)
                               else {"errcode": 310000, "errmsg": "sign not match"})
    config = DingTalkConfig(access_token=DING_TOKEN, secret="not-the-secret", api_base=vendor.url,
                            timeout=5, trust_env=False)
    notifier = _notifier(session_factory, clock, dingtalk=config)
    row = _dead_after_budget(session_factory, notifier, clock, _enqueue(session_factory, notifier, DINGTALK))
    assert "310000" in row.last_error and len(vendor.requests) == RETRY.max_attempts


# ---------------------------------------------------------------- Alibaba Cloud SMS

def _aliyun_verifies(request) -> bool:
    """Rebuild StringToSign from the received query (minus Signature) and compare."""
    params = dict(request.query)
    signature = params.pop("Signature")
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    string_to_sign = "GET&%2F&" + percent_encode(canonical)
    expected = base64.b64encode(hmac.new(f"{AK_SECRET}&".encode(), string_to_sign.encode(),
                                         hashlib.sha1).digest()).decode()
    return signature == expected


def _sms_server(answers):
    def sms(request):
        assert (request.method, request.path) == ("GET", "/")
        if not _aliyun_verifies(request):
            return {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched"}
        return answers.pop(0) if answers else {"Code": "OK", "Message": "OK", "BizId": "9006197469364984"}
    return sms


def _sms_config(vendor, secret=AK_SECRET):
    return AliyunSmsConfig(access_key_id=AK_ID, access_key_secret=secret, sign_name="区专项办",
                           template_code="SMS_154950909", endpoint=vendor.url, timeout=5, trust_env=False)


def test_aliyun_signature_matches_the_vendors_worked_example():
    # The SendSms example in Alibaba Cloud's signature documentation (secret "testSecret").
    from notifications.channels.aliyun_sms import rpc_signature
    params = {"AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123",
              "PhoneNumbers": "15300000001", "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用",
              "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
              "SignatureVersion": "1.0", "TemplateCode": "SMS_71390007", "TemplateParam": '{"customer":"test"}',
              "Timestamp": "2017-07-12T02:42:19Z", "Version": "2017-05-25"}
    assert rpc_signature("testSecret", params) == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_dingtalk_sign_is_url_encoded_base64():
    from notifications.channels.dingtalk import dingtalk_sign
    sign = dingtalk_sign(DING_SECRET, 1716166800000)
    raw = base64.b64encode(hmac.new(DING_SECRET.encode(), f"1716166800000\n{DING_SECRET}".encode(),
                                    hashlib.sha256).digest()).decode()
    assert sign == raw.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")


def test_aliyun_sms_signed_request_failure_then_retry(session_factory, clock, vendor):
    vendor.answer = _sms_server([{"Code": "isp.SYSTEM_ERROR", "Message": "系统错误"}])
    notifier = _notifier(session_factory, clock, sms=_sms_config(vendor))
    delivery_id = _enqueue(session_factory, notifier, SMS)
    _retry_after_failure(session_factory, notifier, clock, delivery_id)

    first, second = vendor.requests
    query = second.query
    assert {k: query[k] for k in ("Action", "Version", "Format", "SignatureMethod", "SignatureVersion",
                                  "AccessKeyId", "PhoneNumbers", "SignName", "TemplateCode")} == {
        "Action": "SendSms", "Version": "2017-05-25", "Format": "JSON", "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0", "AccessKeyId": AK_ID, "PhoneNumbers": "13800138000",
        "SignName": "区专项办", "TemplateCode": "SMS_154950909"}
    assert query["Timestamp"] == (START + RETRY.delay(1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert first.query["SignatureNonce"] != query["SignatureNonce"]
    assert json.loads(query["TemplateParam"]) == {"title": TITLE, "link": LINK}
    # RFC 3986 encoding on the wire: spaces as %20, never '+'.
    assert "+" not in second.raw_query and "%20" in second.raw_query


def test_aliyun_sms_wrong_secret_is_retried_then_dead(session_factory, clock, vendor):
    vendor.answer = _sms_server([])
    notifier = _notifier(session_factory, clock, sms=_sms_config(vendor, secret="wrong"))
    row = _dead_after_budget(session_factory, notifier, clock, _enqueue(session_factory, notifier, SMS))
    assert "SignatureDoesNotMatch" in row.last_error


def test_aliyun_sms_illegal_number_is_dead_at_once(session_factory, clock, vendor):
    vendor.answer = _sms_server([{"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}])
    notifier = _notifier(session_factory, clock, sms=_sms_config(vendor))
    delivery_id = _enqueue(session_factory, notifier, SMS)
    assert notifier.deliver_due().dead == 1
    assert _row(session_factory, delivery_id).attempts == 1


# ---------------------------------------------------------------- enqueue and configuration

def test_enqueue_offers_configured_personal_channels_and_dedupes(session_factory, clock, vendor):
    notifier = _notifier(
        session_factory, clock, wecom=_wecom_config(vendor), sms=_sms_config(vendor),
        dingtalk=DingTalkConfig(access_token=DING_TOKEN, secret=DING_SECRET, api_base=vendor.url))
    no_phone = Recipient("li.na", "李娜", wecom_userid="LiNa")
    with session_factory.begin() as session:
        created = notifier.enqueue(session, "acc:1", "accountability.opened", [OFFICER, no_phone], ACC, link="/x")
        again = notifier.enqueue(session, "acc:1", "accountability.opened", [OFFICER, no_phone], ACC, link="/x")
        routine = notifier.enqueue(session, "task:7:assigned", "task.assigned", [OFFICER], ACC, link="/x")
    assert again == []
    with session_factory() as session:
        rows = {(d.recipient, d.channel): d.address for d in session.query(Delivery).filter(Delivery.id.in_(created))}
        routine_channels = {d.channel for d in session.query(Delivery).filter(Delivery.id.in_(routine))}
    # Group robots only when named; SMS only for someone with a mobile number.
    assert rows == {("wang.li", INAPP): None, ("wang.li", WECOM): "WangLi", ("wang.li", SMS): "13800138000",
                    ("li.na", INAPP): None, ("li.na", WECOM): "LiNa"}
    # SMS by default only for escalations and accountability, not for a routine new task.
    assert routine_channels == {INAPP, WECOM}


def test_settings_from_environment():
    assert messenger_settings({}) == {"wecom": None, "wecom_robot": None, "dingtalk": None, "sms": None}
    env = {"DUBAN_WECOM_CORP_ID": CORP_ID, "DUBAN_WECOM_AGENT_ID": str(AGENT_ID), "DUBAN_WECOM_SECRET": "s",
           "DUBAN_WECOM_ROBOT_KEY": ROBOT_KEY, "DUBAN_DINGTALK_ACCESS_TOKEN": DING_TOKEN,
           "DUBAN_DINGTALK_SECRET": DING_SECRET, "DUBAN_SMS_PROVIDER": "aliyun",
           "DUBAN_ALIYUN_ACCESS_KEY_ID": AK_ID, "DUBAN_ALIYUN_ACCESS_KEY_SECRET": AK_SECRET,
           "DUBAN_SMS_SIGN_NAME": "区专项办", "DUBAN_SMS_TEMPLATE_CODE": "SMS_1"}
    settings = messenger_settings(env)
    assert settings["wecom"].agent_id == AGENT_ID and settings["wecom"].api_base == "https://qyapi.weixin.qq.com"
    assert settings["wecom_robot"].key == ROBOT_KEY
    assert settings["dingtalk"].api_base == "https://oapi.dingtalk.com"
    assert settings["sms"].endpoint == "https://dysmsapi.aliyuncs.com"
    assert NotificationConfig(**settings).enabled_channels() == {INAPP, WECOM, WECOM_ROBOT, DINGTALK, SMS}
    with pytest.raises(ValueError):
        messenger_settings({"DUBAN_SMS_PROVIDER": "aliyun"})  # incomplete: refuse to start


def test_app_wiring_addresses_users_by_phone_and_wecom_userid(session_factory, clock, vendor):
    from domain.models import User
    from web.wiring import _notify_users

    notifier = _notifier(session_factory, clock, wecom=_wecom_config(vendor), sms=_sms_config(vendor))
    with session_factory.begin() as session:
        session.add(User(username="zhao.min", display_name="赵敏", phone="13900139000", wecom_userid="ZhaoMin"))
    with session_factory.begin() as session:
        _notify_users(notifier)(session, "acc:2", "accountability.opened", ["zhao.min"], ACC, link="/x")
    with session_factory() as session:
        rows = {d.channel: d.address for d in session.query(Delivery).filter(Delivery.event_key == "acc:2")}
    assert rows == {INAPP: None, WECOM: "ZhaoMin", SMS: "13900139000"}


def test_unreachable_robot_is_retried_without_logging_its_key(session_factory, clock):
    from notifications.testing import free_port
    config = WeComRobotConfig(key=ROBOT_KEY, api_base=f"http://127.0.0.1:{free_port()}", timeout=2,
                              trust_env=False)
    notifier = _notifier(session_factory, clock, wecom_robot=config)
    delivery_id = _enqueue(session_factory, notifier, WECOM_ROBOT)
    assert notifier.deliver_due().failed == 1
    error = _row(session_factory, delivery_id).last_error
    assert "ConnectionError" in error and ROBOT_KEY not in error


# ---------------------------------------------------------------- each user's choice of channels

def test_user_choices_adjust_the_default_channels(session_factory, clock, vendor):
    from notifications.preferences import channels_for, save_choices

    notifier = _notifier(session_factory, clock, wecom=_wecom_config(vendor), sms=_sms_config(vendor))
    enabled = notifier.config.enabled_channels()
    assert channels_for("task.assigned", enabled, None) == [INAPP, WECOM]
    assert channels_for("accountability.opened", enabled, None) == [INAPP, WECOM, SMS]
    li_na = Recipient("li.na", "李娜", wecom_userid="LiNa", mobile="13700137000")
    with session_factory.begin() as session:
        # 王力 wants new tasks by SMS too; 李娜 wants no WeCom for accountability (SMS is enough),
        # and cannot turn the in-app inbox off.
        save_choices(session, "wang.li", "task.assigned", [INAPP, WECOM, SMS], enabled)
        save_choices(session, "li.na", "accountability.opened", [SMS], enabled)
    with session_factory.begin() as session:
        assigned = notifier.enqueue(session, "task:8:assigned", "task.assigned", [OFFICER, li_na], ACC, link="/x")
        opened = notifier.enqueue(session, "acc:3", "accountability.opened", [OFFICER, li_na], ACC, link="/x")
        named = notifier.enqueue(session, "acc:4", "accountability.opened", [li_na], ACC, [WECOM], link="/x")
    with session_factory() as session:
        def channels(ids):
            return sorted((d.recipient, d.channel) for d in session.query(Delivery).filter(Delivery.id.in_(ids)))
        assert channels(assigned) == [("li.na", INAPP), ("li.na", WECOM),
                                      ("wang.li", INAPP), ("wang.li", SMS), ("wang.li", WECOM)]
        assert channels(opened) == [("li.na", INAPP), ("li.na", SMS),
                                    ("wang.li", INAPP), ("wang.li", SMS), ("wang.li", WECOM)]
        # A caller naming the channels is not overridden by choices.
        assert channels(named) == [("li.na", WECOM)]
    # Choosing the defaults again removes the stored departures.
    with session_factory.begin() as session:
        save_choices(session, "wang.li", "task.assigned", [INAPP, WECOM], enabled)
    with session_factory() as session:
        from notifications.models import ChannelPreference
        assert session.query(ChannelPreference).filter_by(username="wang.li").count() == 0


def test_channel_choice_page(client, session_factory):
    """The page offers only configured channels, in Chinese, and stores what the user ticks."""
    import re

    from notifications.models import ChannelPreference
    from tests.conftest import login
    from web import runtime_of

    runtime = runtime_of(client.application)
    runtime.notifier.config = NotificationConfig(
        wecom=WeComConfig(corp_id=CORP_ID, agent_id=AGENT_ID, secret=CORP_SECRET),
        sms=AliyunSmsConfig(access_key_id=AK_ID, access_key_secret=AK_SECRET, sign_name="区专项办",
                            template_code="SMS_1"))
    login(client, "market.officer")
    page = client.get("/notifications/channels")
    assert page.status_code == 200
    assert "消息接收设置" in page.text and "企业微信" in page.text and "短信" in page.text
    assert "电子邮件" not in page.text  # e-mail is not configured here
    assert re.search(r'name="accountability.opened:sms" value="1"[^>]*checked', page.text, re.S)
    assert not re.search(r'name="task.assigned:sms" value="1"[^>]*checked', page.text, re.S)

    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    form = {"csrf_token": token, "task.assigned:wecom": "1", "task.assigned:sms": "1"}
    response = client.post("/notifications/channels", data=form)
    assert response.status_code == 302
    with session_factory() as session:
        stored = {(p.kind, p.channel, p.enabled) for p in session.query(ChannelPreference)
                  .filter_by(username="market.officer")}
    # Everything not ticked for the other kinds is stored as "off" where the default was on.
    assert ("task.assigned", "sms", True) in stored and ("accountability.opened", "sms", False) in stored
    page = client.get("/notifications/channels?saved=1")
    assert "已保存" in page.text
    assert re.search(r'name="task.assigned:sms" value="1"[^>]*checked', page.text, re.S)


def test_each_user_sets_the_wecom_account_and_mobile_messages_reach(client, session_factory, clock, vendor, wecom):
    """No directory sync here: the officer gives the WeCom UserID (and the mobile for SMS) on the same
    page, and application messages then go to that account."""
    import re

    from sqlalchemy import select

    from domain.models import User
    from tests.conftest import login
    from web.wiring import _notify_users

    login(client, "market.officer")
    page = client.get("/notifications/channels").text
    assert "企业微信账号（UserID）" in page and "接收短信的手机号码" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    refused = client.post("/notifications/channels", data={"csrf_token": token, "wecom_userid": "张 三!",
                                                           "phone": "12345"})
    assert refused.status_code == 422
    assert 'id="error-wecom_userid"' in refused.text and 'id="error-phone"' in refused.text
    with session_factory() as session:
        unchanged = session.scalars(select(User).where(User.username == "market.officer")).one()
        assert unchanged.wecom_userid is None and unchanged.phone != "12345"
    saved = client.post("/notifications/channels", data={"csrf_token": token, "wecom_userid": "ChenZhiMing",
                                                         "phone": "139 0595 0001"})
    assert saved.status_code == 302
    with session_factory() as session:
        user = session.scalars(select(User).where(User.username == "market.officer")).one()
        assert (user.wecom_userid, user.phone) == ("ChenZhiMing", "13905950001")

    notifier = _notifier(session_factory, clock, wecom=_wecom_config(vendor))
    with session_factory.begin() as session:
        _notify_users(notifier)(session, "task:77:assigned", "task.assigned", ["market.officer"], ACC, link="/x")
    assert notifier.deliver_due().sent >= 1
    assert [r.json()["touser"] for r in vendor.on("/cgi-bin/message/send")] == ["ChenZhiMing"]
