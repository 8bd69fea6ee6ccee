"""The table of issued official documents (公文): numbered, stored with their case, immutable."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from domain.models import Username
from engine.store.base import Base
from engine.store.models import BigId


class IssuedDocument(Base):
    """One issued document: its 文号, kind, case, issuer, the values it was rendered from, and
    the rendered .docx and HTML with their checksums. Written once, never updated: a document
    is what was sent, so it is never rendered again from data that changed since."""

    __tablename__ = "issued_document"
    __table_args__ = (
        UniqueConstraint("issuer", "year", "serial", name="uq_issued_document_issuer_year_serial"),
        Index("ix_issued_document_lead", "lead_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(100), unique=True)   # 文号: 新塘专办〔2026〕12号
    issuer: Mapped[str] = mapped_column(ForeignKey("unit.code"))     # the issuing unit's code
    year: Mapped[int] = mapped_column(Integer)                       # Beijing year of the number
    serial: Mapped[int] = mapped_column(Integer)                     # the number within issuer and year
    # assignment | supervision_notice | reminder | rectification_notice | interview_notice | closure_report
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(400))
    # The case: the lead, its process instance and business key, and what the document is about.
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("lead.id"))
    instance_id: Mapped[int | None] = mapped_column(BigId)           # no foreign key: records outlive instances
    business_key: Mapped[str | None] = mapped_column(String(200))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("rectification_item.id"))
    supervision_id: Mapped[int | None] = mapped_column(BigId)        # supervision_case.id
    task_id: Mapped[int | None] = mapped_column(BigId)               # human_task.id
    issued_by: Mapped[str] = mapped_column(Username)                 # username (never shown)
    issued_by_name: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[datetime]
    values: Mapped[dict]                                             # the template context, as rendered
    template_sha256: Mapped[str] = mapped_column(String(64))         # the .docx and HTML templates used
    docx: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    html: Mapped[str] = mapped_column(Text, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64))                  # of the .docx bytes
    html_sha256: Mapped[str] = mapped_column(String(64))             # of the HTML, UTF-8


class DocumentImmutable(Exception):
    """An issued document was about to be changed."""


@event.listens_for(IssuedDocument, "before_update")
def _refuse_update(_mapper, _connection, target):
    raise DocumentImmutable(f"issued document {target.number} cannot be changed")
