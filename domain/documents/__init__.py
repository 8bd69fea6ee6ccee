"""Official documents (公文): issued from templates with a document number (文号), stored with
their case and never changed.

- `models`: the `issued_document` table (IssuedDocument).
- `render`: the templates in `processes/documents/` (a .docx for docxtpl and an HTML print page
  per kind, `issuers.json` with each issuing unit's 机关代字) and rendering them.
- `issuing`: which documents a case offers in its state (`offers`), the values a document is
  rendered from, and issuing one (`issue`: number, render, store, audit, in the caller's
  transaction).

The kinds are KINDS below: the code stores the English key, people read the Chinese name.
"""
from domain.labels import pick, zh_en


_l = zh_en


KINDS = {
    "assignment": _l("交办单", "Assignment sheet"),
    "supervision_notice": _l("督办通知书", "Supervision notice"),
    "reminder": _l("催办通知", "Reminder notice"),
    "rectification_notice": _l("整改通知书", "Rectification notice"),
    "interview_notice": _l("约谈通知书", "Interview notice"),
    "closure_report": _l("办结报告", "Closure report"),
}


def kind_name(kind: str, locale: str | None = "zh") -> str:
    return pick(KINDS.get(kind), locale) or kind
