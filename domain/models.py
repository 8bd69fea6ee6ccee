"""Tables of the campaign's records (English names; labels in domain.labels).

Units are referenced by their code (the BPMN candidate group), so a process
variable such as `responsible_unit` is directly a foreign key value.
Process instances are referenced by id without a foreign key: the records
outlive archived instances.
"""
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    JSON,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
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
    # 政法单位 (police, procuratorate, court): they record criminal cases (依法打击) and see their details.
    law_enforcement: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

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
    working_groups: Mapped[list["WorkingGroup"]] = relationship(
        secondary="working_group_member", back_populates="members", lazy="selectin")

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
        # Members of the office's working groups (综合组、打击组 …) also hold the group's code, so a
        # task for `group_strike` reaches the strike group's people whatever their unit.
        working = frozenset(group.code for group in self.working_groups if group.active)
        return (self.unit.groups if self.unit else frozenset()) | self.roles | working

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
    # 地点: where it was seen, as the reporter says it (a grid worker's report names a street, a shop).
    address: Mapped[str | None] = mapped_column(String(300))
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


class GridReport(Base):
    """A lead a grid worker (网格员) reported from the field. The grid worker is the lead's protected
    reporter; this row only lets them follow its status. Units never read it."""

    __tablename__ = "grid_report"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"), unique=True)
    reported_by: Mapped[str] = mapped_column(Username, index=True)
    community: Mapped[str | None] = mapped_column(ForeignKey("unit.code"))
    reported_at: Mapped[datetime]

    lead: Mapped[Lead] = relationship(lazy="joined")


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


class Campaign(Base):
    """专项行动: one campaign of a level (区级、街道级 …) over a period, in phases."""

    __tablename__ = "campaign"
    __table_args__ = (CheckConstraint("first_day <= last_day", name="period_in_order"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    level: Mapped[str] = mapped_column(String(20))  # domain.labels.CAMPAIGN_LEVEL
    first_day: Mapped[date] = mapped_column(Date)  # Beijing dates, both included
    last_day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    updated_by: Mapped[str | None] = mapped_column(Username)

    phases: Mapped[list["CampaignPhase"]] = relationship(
        back_populates="campaign", order_by="CampaignPhase.first_day", cascade="all, delete-orphan")

    def name(self, locale: str = "zh") -> str:
        return self.name_en if locale.startswith("en") and self.name_en else self.name_zh


class CampaignPhase(Base):
    """A phase of a campaign (宣传发动 / 打击整治 / 总结提升) with its dates; phases do not overlap."""

    __tablename__ = "campaign_phase"
    __table_args__ = (
        CheckConstraint("first_day <= last_day", name="phase_in_order"),
        Index("ix_campaign_phase_campaign_days", "campaign_id", "first_day"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # domain.labels.PHASE_KIND
    name: Mapped[str] = mapped_column(String(200))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)

    campaign: Mapped[Campaign] = relationship(back_populates="phases")


working_group_member = Table(
    "working_group_member",
    Base.metadata,
    Column("group_id", BigId, ForeignKey("working_group.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", BigId, ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True),
)


class WorkingGroup(Base):
    """A working group of the special office (综合组、打击组 …); its code is a BPMN candidate group."""

    __tablename__ = "working_group"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(UnitCode, unique=True)  # group_<name>
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    members: Mapped[list[User]] = relationship(
        secondary=working_group_member, back_populates="working_groups", order_by=User.id)

    def name(self, locale: str = "zh") -> str:
        return self.name_en if locale.startswith("en") and self.name_en else self.name_zh


strike_case_lead = Table(
    "strike_case_lead",
    Base.metadata,
    Column("case_id", BigId, ForeignKey("strike_case.id", ondelete="CASCADE"), primary_key=True),
    Column("lead_id", BigId, ForeignKey("lead.id", ondelete="CASCADE"), primary_key=True, index=True),
)

strike_case_subject = Table(
    "strike_case_subject",
    Base.metadata,
    Column("case_id", BigId, ForeignKey("strike_case.id", ondelete="CASCADE"), primary_key=True),
    Column("subject_id", BigId, ForeignKey("subject.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class StrikeCase(Base):
    """涉养老诈骗刑事案件: a criminal case of the strike (依法打击) with its judicial stages
    立案 -> 移送审查起诉 -> 审结. Money in yuan, as `lead.recovered_amount`; dates are Beijing dates."""

    __tablename__ = "strike_case"
    __table_args__ = (Index("ix_strike_case_filed", "filed_on", "unit"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_number: Mapped[str] = mapped_column(String(60), unique=True)  # the police's own 立案 number
    unit: Mapped[str] = mapped_column(ForeignKey("unit.code"))  # 办案单位
    charge: Mapped[str] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(Text, default="")
    gangs: Mapped[int] = mapped_column(Integer, default=0)
    suspects: Mapped[int] = mapped_column(Integer, default=0)
    frozen_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    recovered_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    returned_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    stage: Mapped[str] = mapped_column(String(20), default="filed")  # filed | prosecuted | judged
    filed_on: Mapped[date]
    prosecuted_on: Mapped[date | None]
    prosecuted_by: Mapped[str | None] = mapped_column(Username)
    judged_on: Mapped[date | None]
    judged_by: Mapped[str | None] = mapped_column(Username)
    judgment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(Username)
    updated_at: Mapped[datetime]

    leads: Mapped[list[Lead]] = relationship(secondary=strike_case_lead, order_by=Lead.id, lazy="selectin")
    subjects: Mapped[list[Subject]] = relationship(secondary=strike_case_subject, order_by=Subject.id,
                                                   lazy="selectin")

    def __repr__(self) -> str:
        return f"<StrikeCase {self.case_number}>"


class PublicityActivity(Base):
    """宣传发动: one publicity activity (a lecture, a leaflet drive, boards, messages, a round of
    door-to-door visits ...) as the unit that held it records it. `items` counts what the form
    makes (展板 块, 短信 条, 入户 户: domain.labels.PUBLICITY_ITEM); forms without one keep 0."""

    __tablename__ = "publicity_activity"
    __table_args__ = (
        Index("ix_publicity_activity_unit", "unit", "held_on"),
        Index("ix_publicity_activity_held_on", "held_on"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    held_on: Mapped[date]  # a Beijing date
    unit: Mapped[str] = mapped_column(ForeignKey("unit.code"))  # the recording unit
    # Where: one of the community units, and/or free text (elsewhere, or the spot within the community).
    community: Mapped[str | None] = mapped_column(ForeignKey("unit.code"), index=True)
    place: Mapped[str] = mapped_column(String(200), default="")
    form: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[int] = mapped_column(Integer, default=0)    # 人次
    materials: Mapped[int] = mapped_column(Integer, default=0)   # 份
    items: Mapped[int] = mapped_column(Integer, default=0)       # 块 / 条 / 户 / 起, by form
    recorded_by: Mapped[str] = mapped_column(Username)
    recorded_at: Mapped[datetime]
    updated_by: Mapped[str | None] = mapped_column(Username)
    updated_at: Mapped[datetime | None]

    photos: Mapped[list["PublicityPhoto"]] = relationship(
        back_populates="activity", order_by="PublicityPhoto.id", cascade="all, delete-orphan")


class PublicityPhoto(Base):
    """A photo of a publicity activity, stored on disk under a random name (web.uploads checks it)."""

    __tablename__ = "publicity_photo"
    __table_args__ = (Index("ix_publicity_photo_activity", "activity_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("publicity_activity.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))  # as uploaded (display only)
    storage_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(Username)
    uploaded_at: Mapped[datetime]

    activity: Mapped[PublicityActivity] = relationship(back_populates="photos")
class Inspection(Base):
    """机构排查: one visit of an institution by a unit's officers, with the sector's checklist
    answered and its finding. When a risk is found, graded disposal (risk_disposal) may be
    started once for it: `instance_id` is that instance."""

    __tablename__ = "inspection"
    __table_args__ = (
        Index("ix_inspection_unit_day", "unit", "inspected_on"),
        Index("ix_inspection_subject", "subject_id", "inspected_on"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)  # PC-2026-000001 (排查)
    inspected_on: Mapped[date] = mapped_column(Date)  # a Beijing date
    unit: Mapped[str] = mapped_column(ForeignKey("unit.code"))
    officers: Mapped[list] = mapped_column(JSON, default=list)  # usernames, one or more of the unit
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"))
    sector: Mapped[str] = mapped_column(String(40))
    # [{"id", "text": {zh, en}, "problem": bool, "note"}]: the checklist's texts are kept with the
    # answers, so an old inspection reads the same after its checklist file changes.
    answers: Mapped[list] = mapped_column(JSON, default=list)
    finding: Mapped[str] = mapped_column(String(20))  # no_problem | risk_found
    note: Mapped[str] = mapped_column(Text, default="")
    instance_id: Mapped[int | None] = mapped_column(BigId, unique=True)  # its graded disposal, once started
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(Username)

    subject: Mapped[Subject] = relationship(lazy="joined")

    @property
    def problems(self) -> int:
        return sum(1 for answer in self.answers or [] if answer.get("problem"))


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
    "supervision_case", "accountability_record", "grid_report", "campaign", "campaign_phase", "working_group",
    "working_group_member", "strike_case", "strike_case_lead", "strike_case_subject", "publicity_activity",
    "publicity_photo", "inspection", "monthly_return",
})
