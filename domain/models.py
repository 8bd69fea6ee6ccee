"""Tables of the campaign's records (English names; labels in domain.labels).

Units are referenced by their code (the BPMN candidate group), so a process
variable such as `responsible_unit` is directly a foreign key value.
Process instances are referenced by id without a foreign key: the records
outlive archived instances.
"""
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    JSON,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.crypto import EncryptedString
from engine.store.base import Base
from engine.store.models import BigId

UnitCode = String(40)
Username = String(200)

supervisor_unit = Table(
    "supervisor_unit",
    Base.metadata,
    Column("user_id", BigId, ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", BigId, ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True),
)


class Unit(Base):
    """专项办, 成员单位 or 社区/村."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(UnitCode, unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(20))  # office | member_unit | community
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped["Unit | None"] = relationship(remote_side=[id])

    def name(self, locale: str = "zh") -> str:
        return self.name_en if locale.startswith("en") and self.name_en else self.name_zh

    @property
    def groups(self) -> frozenset[str]:
        """Candidate groups a member of this unit belongs to (a community is also `community`)."""
        return frozenset({self.code, "community"}) if self.kind == "community" else frozenset({self.code})

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(Username, unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(400))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    # 企业微信 member id (通讯录 userid), where WeCom application messages go; not personal data
    # beyond the directory entry the corp already holds.
    wecom_userid: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(10), default="zh")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime | None]
    # Sessions carry the epoch they began in; signing out moves it on, which ends them all
    # (a session is only a signed cookie: a copy would otherwise outlive the sign-out).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    unit: Mapped[Unit | None] = relationship(lazy="joined")
    role_rows: Mapped[list["UserRole"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin")
    supervised_units: Mapped[list[Unit]] = relationship(secondary=supervisor_unit, lazy="selectin")

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(row.role for row in self.role_rows)

    def set_roles(self, roles) -> None:
        wanted = set(roles)
        self.role_rows = [row for row in self.role_rows if row.role in wanted]
        for role in sorted(wanted - {row.role for row in self.role_rows}):
            self.role_rows.append(UserRole(role=role))

    @property
    def groups(self) -> frozenset[str]:
        """BPMN candidate groups: the unit's code(s) and the user's roles. A grid worker who holds no
        other role is not in their community's groups: they report, they do not handle cases."""
        if self.roles == {"grid_worker"}:
            return frozenset()
        return (self.unit.groups if self.unit else frozenset()) | self.roles

    def to_actor(self):
        from engine.identity import Actor

        return Actor(self.username, groups=self.groups, roles=self.roles)

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class UserRole(Base):
    __tablename__ = "user_role"
    __table_args__ = (
        UniqueConstraint("user_id", "role", name="uq_user_role_user_role"),
        Index("ix_user_role_role", "role", "user_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(40))  # officer | supervisor | administrator | office_leader

    user: Mapped[User] = relationship(back_populates="role_rows")


class NumberCounter(Base):
    """Yearly counters behind human-readable numbers (XS-2026-000123)."""

    __tablename__ = "number_counter"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)  # e.g. "XS-2026"
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class Subject(Base):
    """An institution or enterprise (机构/企业) that leads and disposals are about."""

    __tablename__ = "subject"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(300), index=True)
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    address: Mapped[str | None] = mapped_column(String(400))
    legal_representative: Mapped[str | None] = mapped_column(String(100))
    sector: Mapped[str | None] = mapped_column(String(40))
    grade: Mapped[str | None] = mapped_column(String(10))  # current grade: red | orange | yellow | green
    graded_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(Username)

    assessments: Mapped[list["RiskAssessment"]] = relationship(
        back_populates="subject", order_by="RiskAssessment.id", cascade="all, delete-orphan")


class RiskAssessment(Base):
    """One grading of a subject (红橙黄绿); the history is append-only."""

    __tablename__ = "risk_assessment"
    __table_args__ = (Index("ix_risk_assessment_subject", "subject_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id", ondelete="CASCADE"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("lead.id"))
    grade: Mapped[str] = mapped_column(String(10))
    people_involved: Mapped[int] = mapped_column(BigInteger, default=0)
    money_at_risk: Mapped[int] = mapped_column(BigInteger, default=0)  # yuan
    opinion_heat: Mapped[str] = mapped_column(String(10), default="none")  # none | low | medium | high
    stability_risk: Mapped[str] = mapped_column(String(10), default="none")
    note: Mapped[str | None] = mapped_column(Text)
    assessed_at: Mapped[datetime]
    assessed_by: Mapped[str | None] = mapped_column(Username)
    # Graded by rule (the risk grading decision table): its grade, the rule that matched, the table's
    # key and version; `override_reason` says why the officer chose `grade` instead.
    computed_grade: Mapped[str | None] = mapped_column(String(10))
    grading_rule: Mapped[str | None] = mapped_column(String(400))
    grading_decision: Mapped[str | None] = mapped_column(String(240))
    override_reason: Mapped[str | None] = mapped_column(Text)

    subject: Mapped[Subject] = relationship(back_populates="assessments")


class Lead(Base):
    """线索: a report about a suspected fraud, from one of the channels."""

    __tablename__ = "lead"
    __table_args__ = (
        UniqueConstraint("channel", "external_ref", name="uq_lead_channel_external_ref"),
        Index("ix_lead_status", "status", "responsible_unit"),
        Index("ix_lead_subject_sector", "subject_id", "sector"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    channel: Mapped[str] = mapped_column(String(40))
    external_ref: Mapped[str | None] = mapped_column(String(100))
    received_at: Mapped[datetime]
    summary: Mapped[str] = mapped_column(Text)
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subject.id"))
    subject_name: Mapped[str | None] = mapped_column(String(300))
    sector: Mapped[str] = mapped_column(String(40))
    responsible_unit: Mapped[str | None] = mapped_column(ForeignKey("unit.code"))
    status: Mapped[str] = mapped_column(String(20), default="registered")
    feedback_deadline: Mapped[datetime | None]
    result: Mapped[str | None] = mapped_column(String(20))
    major: Mapped[bool] = mapped_column(Boolean, default=False)
    # 追赃挽损: losses recovered for the victims (yuan), as the responsible unit's feedback reports it.
    recovered_amount: Mapped[int | None] = mapped_column(BigInteger)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("lead.id"))
    instance_id: Mapped[int | None] = mapped_column(BigId, index=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(Username)
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]

    subject: Mapped[Subject | None] = relationship(lazy="joined")
    duplicate_of: Mapped["Lead | None"] = relationship(remote_side=[id])
    reporter: Mapped["Reporter | None"] = relationship(
        back_populates="lead", uselist=False, cascade="all, delete-orphan")
    disposals: Mapped[list["Disposal"]] = relationship(back_populates="lead", order_by="Disposal.id")
    rectification_items: Mapped[list["RectificationItem"]] = relationship(
        back_populates="lead", order_by="RectificationItem.id")

    @property
    def subject_display_name(self) -> str:
        return self.subject.name if self.subject else (self.subject_name or "")

    def __repr__(self) -> str:
        return f"<Lead {self.number}>"


class Reporter(Base):
    """举报人. Identity columns are encrypted at rest; read them through domain.reporters."""

    __tablename__ = "reporter"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"), unique=True)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str | None] = mapped_column(EncryptedString)
    phone: Mapped[str | None] = mapped_column(EncryptedString)
    contact: Mapped[str | None] = mapped_column(EncryptedString)

    lead: Mapped[Lead] = relationship(back_populates="reporter")


class Disposal(Base):
    """处置: one measure taken against a subject (分级分类处置)."""

    __tablename__ = "disposal"
    __table_args__ = (Index("ix_disposal_subject", "subject_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subject.id"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("lead.id"), index=True)
    measure: Mapped[str] = mapped_column(String(40))
    disposed_at: Mapped[datetime]
    unit: Mapped[str] = mapped_column(ForeignKey("unit.code"))
    officer: Mapped[str | None] = mapped_column(Username)
    note: Mapped[str] = mapped_column(Text, default="")
    documents: Mapped[list] = mapped_column(JSON, default=list)
    recorded_by: Mapped[str | None] = mapped_column(Username)

    subject: Mapped[Subject | None] = relationship()
    lead: Mapped[Lead | None] = relationship(back_populates="disposals")


class RectificationItem(Base):
    """整改事项: problem, responsible unit and person, measures, deadline (问题清单化…)."""

    __tablename__ = "rectification_item"
    __table_args__ = (Index("ix_rectification_item_status", "status", "responsible_unit", "deadline"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subject.id"), index=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("lead.id"), index=True)
    problem: Mapped[str] = mapped_column(Text)
    responsible_unit: Mapped[str] = mapped_column(ForeignKey("unit.code"))
    responsible_person: Mapped[str] = mapped_column(String(200), default="")
    measures: Mapped[str] = mapped_column(Text)
    deadline: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default="open")
    evidence: Mapped[list] = mapped_column(JSON, default=list)
    lookback_result: Mapped[str | None] = mapped_column(Text)
    instance_id: Mapped[int | None] = mapped_column(BigId, index=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(Username)
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]

    subject: Mapped[Subject | None] = relationship()
    lead: Mapped[Lead | None] = relationship(back_populates="rectification_items")


class SupervisionCase(Base):
    """督办: a lead, unit or rectification item under supervised handling (挂牌督办)."""

    __tablename__ = "supervision_case"
    __table_args__ = (Index("ix_supervision_case_target", "kind", "target_id", "status"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # lead | unit | rectification
    target_id: Mapped[int | None] = mapped_column(BigId)
    unit: Mapped[str] = mapped_column(ForeignKey("unit.code"))
    reason: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(20), default="ordinary")  # ordinary | yellow | red
    stage: Mapped[str | None] = mapped_column(String(20))  # reminder | notice | interview | ...
    status: Mapped[str] = mapped_column(String(20), default="open")
    instance_id: Mapped[int | None] = mapped_column(BigId, index=True)
    opened_at: Mapped[datetime]
    opened_by: Mapped[str | None] = mapped_column(Username)
    closed_at: Mapped[datetime | None]


class AccountabilityRecord(Base):
    """问责: the last step of the escalation ladder."""

    __tablename__ = "accountability_record"
    __table_args__ = (Index("ix_accountability_record_unit", "unit", "status"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    target_kind: Mapped[str | None] = mapped_column(String(20))  # lead | unit | rectification | supervision
    target_id: Mapped[int | None] = mapped_column(BigId)
    unit: Mapped[str] = mapped_column(ForeignKey("unit.code"))
    reason: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(20), default="ordinary")
    decision: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")
    opened_at: Mapped[datetime]
    opened_by: Mapped[str | None] = mapped_column(Username)
    closed_at: Mapped[datetime | None]


class MonthlyReturn(Base):
    """月报表: a unit's monthly statistical return. Duban prefills its figures from the records;
    the unit adds manual rows, corrects a figure with a note, writes the text and submits.
    Figures are stored by "section.row" key; `figures` is the snapshot taken at submission
    (empty while a draft, whose figures are computed afresh on every view)."""

    __tablename__ = "monthly_return"
    __table_args__ = (
        UniqueConstraint("unit", "month", name="uq_monthly_return_unit_month"),
        Index("ix_monthly_return_month", "month", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)  # YB-2026-000012: the case's number
    unit: Mapped[str] = mapped_column(ForeignKey("unit.code"))
    month: Mapped[str] = mapped_column(String(7))  # 2026-05 (the reporting month, Beijing)
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft | submitted | returned
    due_at: Mapped[datetime | None]
    figures: Mapped[dict] = mapped_column(JSON, default=dict)       # {"leads.received": 3, ...} at submission
    manual: Mapped[dict] = mapped_column(JSON, default=dict)        # {"other.meetings": 2, ...}
    corrections: Mapped[dict] = mapped_column(JSON, default=dict)   # {"leads.closed": {"value": 4, "note": "..."}}
    progress: Mapped[str] = mapped_column(Text, default="")
    measures: Mapped[str] = mapped_column(Text, default="")
    difficulties: Mapped[str] = mapped_column(Text, default="")
    next_steps: Mapped[str] = mapped_column(Text, default="")
    instance_id: Mapped[int | None] = mapped_column(BigId, index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    updated_by: Mapped[str | None] = mapped_column(Username)
    submitted_at: Mapped[datetime | None]
    submitted_by: Mapped[str | None] = mapped_column(Username)
    returned_at: Mapped[datetime | None]
    returned_by: Mapped[str | None] = mapped_column(Username)
    return_reason: Mapped[str | None] = mapped_column(Text)


def domain_tables():
    """The tables owned by this package, parents first (for create_all in tests)."""
    return [table for table in Base.metadata.sorted_tables
            if table.name in _TABLE_NAMES]


_TABLE_NAMES = frozenset({
    "unit", "app_user", "user_role", "supervisor_unit", "number_counter", "subject",
    "risk_assessment", "lead", "reporter", "disposal", "rectification_item",
    "supervision_case", "accountability_record", "monthly_return",
})
