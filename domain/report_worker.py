"""报送办结情况: the reference worker that reports closed leads to the superior platform.

Once a lead is closed (办结), lead_handling's service task 报送办结情况 (`report_completion`, an
external task of topic `report-completion`) waits for this worker; the lead's own status is
closed already and nobody's inbox holds the report. The worker

1. fetches and locks those tasks through the engine's external task API (in process, no HTTP);
2. builds the report from the lead (`build_report`): number, source and its reference, institution,
   sector, responsible unit, result, measures, losses recovered, closing date, in Chinese; never
   the reporter (保护举报人) nor free text a unit wrote;
3. posts it through the notifications' webhook channel (signed JSON, DUBAN_WEBHOOK_SECRET) to the
   superior platform (DUBAN_SUPERIOR_PLATFORM_URL), then completes the task with `report_sent`
   (the process records the report on the case and ends);
4. reports a failed post as a failure: retries counted down from 3, waiting 1, 2, then 4 minutes;
   a failure with none left (or one the platform refuses for good, such as HTTP 400) leaves an
   incident on the administrators' incidents page, where a retry tries again.

Without a platform URL the report is recorded with the case and the task completed, unsent; the
log says so for each report.

    flask --app web report-worker [--once] [--worker-id ID] [--poll-seconds N]
"""
import json
import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from domain.labels import label
from domain.models import Lead, Unit
from engine.errors import DubanError
from engine.external_tasks import TopicRequest
from engine.identity import SYSTEM
from engine.workcal import CHINA_TZ
from notifications.channels import DeliveryError, DeliveryJob, WebhookChannel
from notifications.config import WebhookConfig

log = logging.getLogger("duban.report_worker")

TOPIC = "report-completion"
RETRIES = 3                          # tries after the first failure
FIRST_BACKOFF = timedelta(minutes=1)  # then twice as long after each further failure
LOCK = timedelta(minutes=5)          # a post takes seconds (the webhook's timeout is 10 s)
BATCH = 20
KIND = "lead.completion_report"      # the webhook's X-Duban-Event
PLATFORM = "superior_platform"       # the webhook's recipient


class ReportError(Exception):
    """The report cannot be built (its lead is gone): trying again will not help."""


@dataclass(frozen=True)
class CompletionReport:
    """A lead's completion report: `text` for people, `data` for the receiving system."""
    lead_id: int
    number: str
    title: str
    text: str
    data: dict


def _office_name(session) -> str:
    name = session.scalar(select(Unit.name_zh).where(Unit.code == "office"))
    return name or label("unit", "office")


def build_report(session, lead_id) -> CompletionReport:
    """The completion report of a closed lead, in Chinese. It names no reporter and quotes no text a
    unit wrote (which could name one): only the case's recorded facts."""
    lead = session.get(Lead, int(lead_id)) if str(lead_id).isdigit() else None
    if lead is None:
        raise ReportError(f"no lead {lead_id!r} to report")
    unit = session.scalar(select(Unit.name_zh).where(Unit.code == lead.responsible_unit)) \
        if lead.responsible_unit else None
    measures = list(dict.fromkeys(label("measure", disposal.measure) for disposal in lead.disposals))
    closed_on = lead.closed_at.astimezone(CHINA_TZ).date().isoformat() if lead.closed_at else None
    data = {
        "lead_number": lead.number,
        "external_ref": lead.external_ref,
        "channel": label("channel", lead.channel),
        "institution": lead.subject_display_name or None,
        "credit_code": lead.subject.credit_code if lead.subject else None,
        "sector": label("sector", lead.sector),
        "responsible_unit": unit,
        "result": label("result", lead.result) if lead.result else None,
        "measures": measures,
        "recovered_amount": lead.recovered_amount or 0,
        "closed_on": closed_on,
        "reporting_office": _office_name(session),
    }
    rows = [
        ("线索编号", data["lead_number"]),
        ("来源编号", data["external_ref"]),
        ("线索来源", data["channel"]),
        ("涉及机构/企业", data["institution"]),
        ("统一社会信用代码", data["credit_code"]),
        ("整治领域", data["sector"]),
        ("责任单位", data["responsible_unit"]),
        ("核实结果", data["result"]),
        ("处置措施", "、".join(measures) or "无"),
        ("追赃挽损金额", f"{data['recovered_amount']} 元"),
        ("办结日期", closed_on),
        ("报送单位", data["reporting_office"]),
    ]
    text = "\n".join(f"{name}：{value}" for name, value in rows if value)
    return CompletionReport(lead.id, lead.number, f"线索办结情况报送：{lead.number}", text, data)


# -- delivery ---------------------------------------------------------------------------------

class _ReportChannel(WebhookChannel):
    """The webhook channel with the report's fields beside its text."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reports: dict[int, dict] = {}

    def payload(self, job: DeliveryJob) -> bytes:
        document = json.loads(super().payload(job))
        document["report"] = self.reports.get(job.id, {})
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class PlatformSender:
    """Posts reports to the superior platform through the webhook channel (signed, no redirects,
    4xx other than 408/425/429 refused for good, the rest tried again)."""

    def __init__(self, url: str, webhook: WebhookConfig, now, base_url: str = ""):
        self.url = url
        self._channel = _ReportChannel(webhook, now=now, base_url=base_url)

    def __call__(self, report: CompletionReport, delivery_id: int) -> None:
        job = DeliveryJob(id=delivery_id, event_key=f"completion-report:{report.number}", recipient=PLATFORM,
                          recipient_name="上级专项办平台", channel="webhook", kind=KIND, locale="zh_CN",
                          address=self.url, title=report.title, body=report.text,
                          link=f"/leads/{report.lead_id}", attempts=1, claim_token="")
        self._channel.reports[delivery_id] = report.data
        try:
            self._channel.send(job)
        finally:
            self._channel.reports.pop(delivery_id, None)


# -- the worker ---------------------------------------------------------------------------------

@dataclass
class Summary:
    """What one pass did: reports sent, recorded unsent, failed (to be tried again), failed for good
    (an incident), and tasks another worker or a cancellation took away meanwhile."""
    sent: list[str] = field(default_factory=list)
    recorded: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    incidents: list[str] = field(default_factory=list)
    lost: int = 0

    @property
    def handled(self) -> int:
        return len(self.sent) + len(self.recorded) + len(self.failed) + len(self.incidents) + self.lost

    def __str__(self) -> str:
        return (f"{len(self.sent)} sent, {len(self.recorded)} recorded without sending, "
                f"{len(self.failed)} failed (tried again later), {len(self.incidents)} failed for good (incidents)")


def default_worker_id() -> str:
    return f"report-worker@{socket.gethostname()}:{os.getpid()}"


def backoff(retries_left: int) -> timedelta:
    """The wait before the next try, when `retries_left` tries remain (1, 2, 4 minutes)."""
    return FIRST_BACKOFF * 2 ** max(RETRIES - retries_left, 0)


class ReportWorker:
    """Fetches, builds, sends and completes the `report-completion` tasks.

    `send(report, delivery_id)` posts a report or raises (DeliveryError says whether to try
    again); None records the reports without sending them (no platform configured)."""

    def __init__(self, engine, send: Callable[[CompletionReport, int], None] | None = None,
                 worker_id: str | None = None, lock: timedelta = LOCK, batch: int = BATCH):
        self.engine = engine
        self.send = send
        self.worker_id = worker_id or default_worker_id()
        self.lock = lock
        self.batch = batch

    def run_once(self, business_key: str | None = None) -> Summary:
        """Handle every report that may be handled now (those waiting out a back-off stay), then return."""
        summary = Summary()
        for _round in range(1000):  # each round locks a batch; what failed stays locked for its back-off
            tasks = self.engine.external.fetch_and_lock(
                self.worker_id, self.batch, [TopicRequest(TOPIC, self.lock, ["lead_id"], business_key=business_key)])
            if not tasks:
                break
            for task in tasks:
                self._handle(task, summary)
        return summary

    def run(self, stop: threading.Event, poll_seconds: float = 10.0) -> None:
        """Until `stop` is set: handle what is there, then wait `poll_seconds` when there was nothing."""
        while not stop.is_set():
            try:
                summary = self.run_once()
            except (DubanError, DBAPIError) as err:  # the database away or busy for a moment: after the pause
                log.warning("completion reports: will look again in %s s (%s)", poll_seconds,
                            str(err).splitlines()[0][:300])
                summary = Summary()
            if summary.handled:
                log.info("completion reports: %s", summary)
            stop.wait(poll_seconds)

    def _handle(self, task, summary: Summary) -> None:
        row = task.row
        try:
            with self.engine.session_factory() as session:
                report = build_report(session, task.variables.get("lead_id"))
        except ReportError as err:
            self._fail(row, row.business_key or f"#{row.instance_id}", err, permanent=True, summary=summary)
            return
        if self.send is None:
            log.warning("DUBAN_SUPERIOR_PLATFORM_URL is not set: the completion report of lead %s was recorded "
                        "with the case, not sent", report.number)
            self._complete(row, report, sent=False, summary=summary)
            return
        try:
            self.send(report, row.id)
        except DeliveryError as err:
            self._fail(row, report.number, err, permanent=err.permanent, summary=summary)
            return
        except Exception as err:  # noqa: BLE001 - a bug must not lose the report: it is tried again
            log.exception("sending the completion report of lead %s crashed", report.number)
            self._fail(row, report.number, DeliveryError(f"{type(err).__name__}: {err}"), permanent=False,
                       summary=summary)
            return
        self._complete(row, report, sent=True, summary=summary)

    def _complete(self, row, report: CompletionReport, sent: bool, summary: Summary) -> None:
        variables = {"report_sent": sent, "completion_report": report.text}
        if sent:
            variables["report_sent_at"] = self.engine.now().isoformat()
        try:
            self.engine.external.complete(row.id, self.worker_id, SYSTEM, variables)
        except DubanError as err:  # the lock ran out and another worker has it, or the case was cancelled
            log.warning("completion report of lead %s: the task could not be completed here (%s)", report.number,
                        err)
            summary.lost += 1
            return
        (summary.sent if sent else summary.recorded).append(report.number)
        if sent:
            log.info("completion report of lead %s sent to the superior platform", report.number)

    def _fail(self, row, number: str, error: Exception, permanent: bool, summary: Summary) -> None:
        retries = 0 if permanent else (RETRIES if row.retries is None else max(row.retries - 1, 0))
        message = str(error)[:1000]
        try:
            self.engine.external.handle_failure(row.id, self.worker_id, SYSTEM, message, None, retries,
                                                backoff(retries))
        except DubanError as err:
            log.warning("completion report of lead %s: the failure could not be reported (%s)", number, err)
            summary.lost += 1
            return
        if retries:
            log.warning("completion report of lead %s failed (%s); trying again in %s (%d retries left)", number,
                        message, backoff(retries), retries)
            summary.failed.append(number)
        else:
            log.error("completion report of lead %s failed (%s) and will not be tried again: an incident is open "
                      "on the administrators' incidents page", number, message)
            summary.incidents.append(number)
