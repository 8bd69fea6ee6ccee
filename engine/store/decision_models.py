"""Deployed decisions (DMN), versioned like processes: one row per decision and version.

A DMN file may hold several decisions; each is deployed under its own key with the file's source.
The parsed, compiled table is cached per row in memory (engine.decisions): parsing is milliseconds.
"""
from datetime import datetime

from sqlalchemy import Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.base import Base
from engine.store.models import BigId


class DecisionDefinition(Base):
    __tablename__ = "decision_definition"
    __table_args__ = (
        UniqueConstraint("decision_key", "version", name="uq_decision_definition_version"),
        Index("ix_decision_definition_deployment", "deployment_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    decision_key: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(400))
    hit_policy: Mapped[str] = mapped_column(String(40))
    checksum: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(400))
    source_xml: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    # The deploy command that created it: `camunda:decisionRefBinding="deployment"` looks here.
    deployment_id: Mapped[str] = mapped_column(String(36))
    deployed_at: Mapped[datetime]
    deployed_by: Mapped[str | None] = mapped_column(String(200))
    comment: Mapped[str | None] = mapped_column(Text)
