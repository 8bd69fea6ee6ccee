"""What instances wait on outside themselves, one row each (Camunda's ACT_RU_EXT_TASK and
ACT_RU_EVENT_SUBSCR): external tasks for workers, and message and signal subscriptions.

Rows are written after each save from the workflow's waiting tasks (engine.external_tasks,
engine.events), so a worker's fetch or a message's correlation is an index lookup.
"""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.store.base import Base
from engine.store.models import BigId, ProcessDefinition, ProcessInstance


class ExternalTask(Base):
    """A service task waiting for a worker: topic, lock (owner and expiry), retries, last error."""

    __tablename__ = "external_task"
    __table_args__ = (
        UniqueConstraint("spiff_task_id", name="uq_external_task_spiff_task_id"),
        Index("ix_external_task_fetch", "status", "topic", "priority"),
        Index("ix_external_task_instance", "instance_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    process_id: Mapped[str] = mapped_column(String(200))
    element_id: Mapped[str] = mapped_column(String(200))
    element_name: Mapped[str | None] = mapped_column(String(400))
    business_key: Mapped[str | None] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(200))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    # The instance's variables when the task started (what a worker fetches), as JSON text.
    variables: Mapped[str] = mapped_column(Text, default="{}")
    worker_id: Mapped[str | None] = mapped_column(String(200))
    lock_expires_at: Mapped[datetime | None]
    retries: Mapped[int | None] = mapped_column(Integer)  # None until a worker reports a failure
    error_message: Mapped[str | None] = mapped_column(Text)
    error_details: Mapped[str | None] = mapped_column(Text)
    # open | completed | cancelled
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]

    instance: Mapped[ProcessInstance] = relationship()
    definition: Mapped[ProcessDefinition] = relationship()


class EventSubscription(Base):
    """A message or signal something waits for: a waiting task of an instance, or the start
    event of a deployed version (instance_id empty)."""

    __tablename__ = "event_subscription"
    __table_args__ = (
        Index("ix_event_subscription_name", "kind", "name"),
        Index("ix_event_subscription_instance", "instance_id"),
        Index("ix_event_subscription_definition", "definition_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # message | signal
    name: Mapped[str] = mapped_column(String(400))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    spiff_task_id: Mapped[str | None] = mapped_column(String(36))
    definition_id: Mapped[int | None] = mapped_column(ForeignKey("process_definition.id"))
    process_id: Mapped[str] = mapped_column(String(200))
    element_id: Mapped[str] = mapped_column(String(200))
    business_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
