"""Tables of the workflow runtime: definitions, instances, the task projection,
timers (a job table), incidents and the append-only audit trail."""
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.store.base import Base

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class ProcessDefinition(Base):
    """One deployed version of a process: source XML and the parsed spec, stored once."""

    __tablename__ = "process_definition"
    __table_args__ = (
        UniqueConstraint("process_id", "version", name="uq_process_definition_version"),
        Index("ix_process_definition_checksum", "process_id", "checksum"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(400))
    checksum: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(400))
    # Large; loaded only when asked for (spec_json once per process, then cached).
    source_xml: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    spec_json: Mapped[str] = mapped_column(Text, deferred=True)
    deployed_at: Mapped[datetime]
    deployed_by: Mapped[str | None] = mapped_column(String(200))
    comment: Mapped[str | None] = mapped_column(Text)
    # The deploy command that created it (decisions deployed with it share the id).
    deployment_id: Mapped[str | None] = mapped_column(String(36))


class ProcessInstance(Base):
    __tablename__ = "process_instance"
    __table_args__ = (Index("ix_process_instance_status", "status", "process_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    process_id: Mapped[str] = mapped_column(String(200))
    business_key: Mapped[str | None] = mapped_column(String(200), index=True)
    # running | completed | cancelled | suspended | error
    status: Mapped[str] = mapped_column(String(20))
    state_json: Mapped[str] = mapped_column(Text)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    started_by: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    # A called process (engine.calls): the instance and call activity task that wait for it.
    super_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    super_task_id: Mapped[str | None] = mapped_column(String(36))
    call_depth: Mapped[int] = mapped_column(Integer, default=0)

    definition: Mapped[ProcessDefinition] = relationship(lazy="joined", innerjoin=True)

    # SQLAlchemy adds "AND lock_version = :old" to every UPDATE and raises
    # StaleDataError when another transaction got there first.
    __mapper_args__ = {"version_id_col": lock_version}


class InstanceTask(Base):
    """One SpiffWorkflow task of an instance, serialized (engine.bpmn.serialization.dump_split).

    The instance row holds the workflow without its tasks; a step rewrites
    only the task rows it changed, so its cost does not grow with the case.
    """

    __tablename__ = "instance_task"

    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"),
                                             primary_key=True)
    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)  # SpiffWorkflow's task UUID
    owner: Mapped[str] = mapped_column(String(36), default="")  # "" or the task id of its subprocess
    seq: Mapped[int] = mapped_column(Integer)  # creation order: a load restores parents first
    body: Mapped[str] = mapped_column(Text)


class HumanTask(Base):
    """Flat, indexed projection of user tasks; inboxes read this, never the JSON."""

    __tablename__ = "human_task"
    __table_args__ = (
        UniqueConstraint("spiff_task_id", name="uq_human_task_spiff_task_id"),
        Index("ix_human_task_assignee_status", "assignee", "status", "due_at"),
        Index("ix_human_task_status_due", "status", "due_at"),
        Index("ix_human_task_instance", "instance_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    process_id: Mapped[str] = mapped_column(String(200))
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(400))
    form_key: Mapped[str | None] = mapped_column(String(400))
    assignee: Mapped[str | None] = mapped_column(String(200))
    candidate_users: Mapped[str] = mapped_column(Text, default="")   # comma-separated, for display
    candidate_groups: Mapped[str] = mapped_column(Text, default="")  # comma-separated, for display
    priority: Mapped[int] = mapped_column(Integer, default=50)
    created_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    # open | completed | cancelled
    status: Mapped[str] = mapped_column(String(20))
    completed_by: Mapped[str | None] = mapped_column(String(200))
    completed_at: Mapped[datetime | None]
    # Set by the escalation ladder; shown as badges in inboxes.
    overdue_since: Mapped[datetime | None]
    escalation_rung: Mapped[str | None] = mapped_column(String(40))
    supervision_level: Mapped[str | None] = mapped_column(String(20))  # ordinary | yellow | red
    ladder: Mapped[str | None] = mapped_column(Text)  # the escalation ladder this task climbs
    # Saved but not submitted form values (engine.operations.TaskOperations.save_draft).
    draft: Mapped[dict | None]
    draft_by: Mapped[str | None] = mapped_column(String(200))
    draft_at: Mapped[datetime | None]
    # 委派 (delegation): the delegator owns the task while the assignee (the delegate) works on it.
    owner: Mapped[str | None] = mapped_column(String(200))
    delegation_state: Mapped[str | None] = mapped_column(String(20))  # pending | resolved

    # Read-only: candidate rows are written with plain INSERTs (engine.projection), which keeps
    # the relationship out of every flush's unit of work.
    candidates: Mapped[list["TaskCandidate"]] = relationship(viewonly=True)
    instance: Mapped[ProcessInstance] = relationship()

    @property
    def candidate_group_list(self) -> list[str]:
        return [g for g in self.candidate_groups.split(",") if g]

    @property
    def candidate_user_list(self) -> list[str]:
        return [u for u in self.candidate_users.split(",") if u]


class TaskCandidate(Base):
    """One row per candidate user or group, so "open to my groups" is an index lookup."""

    __tablename__ = "task_candidate"
    __table_args__ = (Index("ix_task_candidate_lookup", "kind", "name", "task_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # user | group
    name: Mapped[str] = mapped_column(String(200))

    task: Mapped[HumanTask] = relationship(viewonly=True)


class Timer(Base):
    """A due time of a waiting BPMN timer (Camunda's job table, in short).

    Any process claims due rows with FOR UPDATE SKIP LOCKED and a lease
    (locked_by/locked_until), so a crashed owner's claim simply expires.
    """

    __tablename__ = "timer"
    __table_args__ = (
        Index("ix_timer_due", "status", "due_at"),
        Index("ix_timer_instance", "instance_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Empty for a deployed version's timer start event (engine.start_timers): firing starts an instance.
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    definition_id: Mapped[int | None] = mapped_column(ForeignKey("process_definition.id"))
    schedule: Mapped[str | None] = mapped_column(Text)  # a start timer's repetition (JSON)
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    due_at: Mapped[datetime]
    # waiting | fired | cancelled
    status: Mapped[str] = mapped_column(String(20))
    locked_by: Mapped[str | None] = mapped_column(String(200))
    locked_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    fired_at: Mapped[datetime | None]

    instance: Mapped[ProcessInstance] = relationship()


class Incident(Base):
    """An instance stuck in error: a failed script or an uncaught BPMN error."""

    __tablename__ = "incident"
    __table_args__ = (Index("ix_incident_open", "resolved_at", "instance_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    element_id: Mapped[str | None] = mapped_column(String(200))
    spiff_task_id: Mapped[str | None] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(40))  # script_error | bpmn_error | timer_error
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(String(40))

    instance: Mapped[ProcessInstance] = relationship()


class AuditEvent(Base):
    """Append-only: who did what to which instance or task, when, with what data."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_instance", "instance_id", "id"),
        Index("ix_audit_event_actor", "actor", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))
    instance_id: Mapped[int | None] = mapped_column(BigId)
    task_id: Mapped[int | None] = mapped_column(BigId)
    definition_id: Mapped[int | None] = mapped_column(BigId)
    element_id: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict | None]

    # No foreign keys (the trail outlives what it describes); the relationships
    # only let one flush fill in ids of rows created in the same command.
    instance: Mapped[ProcessInstance | None] = relationship(
        primaryjoin="foreign(AuditEvent.instance_id) == ProcessInstance.id")
    task: Mapped[HumanTask | None] = relationship(primaryjoin="foreign(AuditEvent.task_id) == HumanTask.id")
    definition: Mapped[ProcessDefinition | None] = relationship(
        primaryjoin="foreign(AuditEvent.definition_id) == ProcessDefinition.id")


class TaskCopy(Base):
    """抄送: a task copied to someone for information; listed in their CC inbox."""

    __tablename__ = "task_copy"
    __table_args__ = (Index("ix_task_copy_recipient", "recipient", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    recipient: Mapped[str] = mapped_column(String(200))
    sent_by: Mapped[str] = mapped_column(String(200))
    sent_at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(Text)
    read_at: Mapped[datetime | None]

    task: Mapped[HumanTask] = relationship()


class TaskCosigner(Base):
    """加签: a co-handler who must sign a task before its handler may complete it."""

    __tablename__ = "task_cosigner"
    __table_args__ = (
        Index("ix_task_cosigner_task", "task_id", "status"),
        Index("ix_task_cosigner_username", "username", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    username: Mapped[str] = mapped_column(String(200))
    added_by: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    # pending | signed
    status: Mapped[str] = mapped_column(String(20))
    signed_at: Mapped[datetime | None]
    opinion: Mapped[str | None] = mapped_column(Text)

    task: Mapped[HumanTask] = relationship()


class Attachment(Base):
    """An evidence file of a case, stored on disk under a random name."""

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_instance", "instance_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id"))
    filename: Mapped[str] = mapped_column(String(255))  # as uploaded (display only)
    storage_name: Mapped[str] = mapped_column(String(80), unique=True)  # random, on disk
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[datetime]


class StepRecord(Base):
    """办理意见 / 处理单: what a user task's handler submitted, kept with the case.

    Written by the command that completes (or hands back, or sends back) the task, in the
    same transaction, so a finished task never lacks its record. The form definition the
    handler saw is kept with it (forms change; the record must read as it was submitted),
    and so are the handler's name and unit as they were then: the case file is a document.
    """

    __tablename__ = "step_record"
    __table_args__ = (
        Index("ix_step_record_instance", "instance_id", "id"),
        Index("ix_step_record_task", "task_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id"))
    element_id: Mapped[str] = mapped_column(String(200))
    step_name: Mapped[str] = mapped_column(String(400))
    # completed | resolved (a delegate's work handed back) | sent_back (退回, with the reason)
    kind: Mapped[str] = mapped_column(String(20))
    form_key: Mapped[str | None] = mapped_column(String(400))
    form: Mapped[dict | None]      # the form definition as the handler saw it
    values: Mapped[dict | None]    # what was submitted, as validated
    opinion: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(200))  # the value of the form's outcome field
    handler: Mapped[str] = mapped_column(String(200))          # username (never shown)
    handler_name: Mapped[str | None] = mapped_column(String(200))
    unit_code: Mapped[str | None] = mapped_column(String(100))
    unit_name: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime]
