"""Tables of deadline enforcement: the escalation ladder's steps (a job table
like `timer`), escalation items for supervisors, and supervision marks (督办)."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.store.base import Base
from engine.store.models import BigId, HumanTask, ProcessInstance


class EscalationStep(Base):
    """One rung of a task's ladder, due at a time; claimed like a timer."""

    __tablename__ = "escalation_step"
    __table_args__ = (
        UniqueConstraint("task_id", "rung", name="uq_escalation_step_task_rung"),
        Index("ix_escalation_step_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    rung: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer)   # order on the ladder
    due_at: Mapped[datetime]
    # waiting | done | skipped | cancelled
    status: Mapped[str] = mapped_column(String(20))
    locked_by: Mapped[str | None] = mapped_column(String(200))
    locked_until: Mapped[datetime | None]
    done_at: Mapped[datetime | None]

    task: Mapped[HumanTask] = relationship()
    instance: Mapped[ProcessInstance] = relationship()


class Escalation(Base):
    """An item in a supervisor's escalation inbox: a task that ran late, at a rung."""

    __tablename__ = "escalation"
    __table_args__ = (Index("ix_escalation_open", "status", "unit"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    rung: Mapped[str] = mapped_column(String(40))
    unit: Mapped[str | None] = mapped_column(String(200))
    # who should act: "supervisors" of the unit or the special office's "leaders"
    audience: Mapped[str] = mapped_column(String(40))
    raised_at: Mapped[datetime]
    # open | acknowledged | resolved
    status: Mapped[str] = mapped_column(String(20))
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    acknowledged_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)

    task: Mapped[HumanTask] = relationship()


class SupervisionMark(Base):
    """督办 on a task: ordinary, yellow card or red card; cards cost the unit points."""

    __tablename__ = "supervision_mark"
    __table_args__ = (Index("ix_supervision_mark_unit", "unit", "cancelled_at"),
                      Index("ix_supervision_mark_task", "task_id", "cancelled_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    unit: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20))   # ordinary | yellow | red
    source: Mapped[str] = mapped_column(String(20))  # ladder | supervisor
    reason: Mapped[str] = mapped_column(Text)
    raised_by: Mapped[str] = mapped_column(String(200))
    raised_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(String(200))
    cancel_reason: Mapped[str | None] = mapped_column(Text)


class LadderSetting(Base):
    """An administrator's ladder for a process (element_id empty) or one of its tasks."""

    __tablename__ = "ladder_setting"
    __table_args__ = (UniqueConstraint("process_id", "element_id", name="uq_ladder_setting_target"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200))
    element_id: Mapped[str] = mapped_column(String(200), default="")
    ladder: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime]
