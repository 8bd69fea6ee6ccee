"""Official documents (公文) of a lead's case: issuing one, its print page and its .docx.

Who: the special office (its staff and leaders), supervisors and administrators issue, as their
own unit (issuers.json gives the unit's 机关代字); anyone who may see the lead (web.cases
`can_see_lead`) may open its documents. A document of a lead one may not see is a 404, like
the lead. What is served is what was stored when the document was issued, never re-rendered.
"""
import hashlib
import io

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from domain import casefile
from domain.documents import KINDS, kind_name
from domain.documents.issuing import allowed_kinds, issue, offers
from domain.documents.models import IssuedDocument
from domain.documents.render import TemplateMissing, document_dir, load_issuers
from domain.errors import ValidationFailed
from domain.models import Lead
from web.cases import visible_lead_or_404
from web.extensions import db
from web.i18n import short_locale

bp = Blueprint("documents", __name__)

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _directory():
    return document_dir(current_app.config.get("DUBAN_DOCUMENT_DIR"))


def may_issue() -> bool:
    """The special office (staff and leaders), supervisors and administrators."""
    return current_user.sees_everything or current_user.has_role("supervisor", "office_leader", "administrator")


def _issuer() -> dict | None:
    try:
        return load_issuers(_directory()).get(current_user.unit_code or "")
    except TemplateMissing:
        current_app.logger.exception("the issuers of official documents cannot be read")
        return None


def _kind_names() -> dict[str, str]:
    locale = short_locale()
    return {kind: kind_name(kind, locale) for kind in KINDS}


def documents_context(lead: Lead, instance_ids) -> dict:
    """What the case page's documents section (documents/_list.html) needs."""
    context = {"documents": casefile.documents(db.session, lead), "document_offers": [],
               "may_issue": may_issue(), "issuer": None, "kind_names": _kind_names(),
               "document_errors": {}, "document_values": {}}
    if context["may_issue"]:
        issuer = _issuer()
        context["issuer"] = issuer
        if issuer is not None:
            kinds = allowed_kinds(issuer)
            context["document_offers"] = [offer for offer in offers(db.session, lead, instance_ids, short_locale())
                                          if offer.kind in kinds]
    return context


def _visible_document_or_404(document_id: int) -> IssuedDocument:
    document = db.session.get(IssuedDocument, document_id)
    if document is None or document.lead_id is None:
        abort(404)
    visible_lead_or_404(document.lead_id)
    return document


def _flat(messages) -> dict[str, list[str]]:
    return {str(key): [str(text) for text in (value if isinstance(value, list | tuple) else [value])]
            for key, value in (messages or {}).items()}


@bp.post("/leads/<int:lead_id>/documents")
@login_required
def issue_document(lead_id):
    """开具文书: draw the number, render, store, audit; back to the case page."""
    lead, instance_ids = visible_lead_or_404(lead_id)
    if not may_issue():
        abort(403)
    kind = (request.form.get("kind") or "").strip()
    target = (request.form.get("target") or "").strip()
    try:
        document = issue(db.session, lead, instance_ids, kind, target, request.form,
                         issuer_code=current_user.unit_code, username=current_user.username,
                         display_name=current_user.display_name, directory=_directory(), locale=short_locale())
        number, document_id = document.number, document.id
        db.session.commit()
    except ValidationFailed as err:
        db.session.rollback()
        return _failed(lead, instance_ids, kind, target, _flat(err.messages), 422)
    except TemplateMissing:
        db.session.rollback()
        current_app.logger.exception("official document template")
        message = _("The document template is missing or broken; nothing was issued. Ask an administrator.")
        return render_template("error.html", code=500, message=message), 500
    flash(_("%(kind)s %(number)s issued.", kind=kind_name(kind, short_locale()), number=number), "success")
    return redirect(url_for("cases.lead", lead_id=lead.id, _anchor=f"document-{document_id}"))


def _failed(lead, instance_ids, kind, target, errors, status):
    """The refused issue: each bad field named, the form again with what was entered."""
    context = documents_context(lead, instance_ids)
    matching = [offer for offer in context["document_offers"] if offer.kind == kind and offer.target == target]
    return render_template("documents/issue_failed.html", lead=lead, offer=matching[0] if matching else None,
                           errors=errors, values=request.form, kind_names=context["kind_names"],
                           field_names=_field_names()), status


def _field_names() -> dict[str, str]:
    from domain.documents.issuing import FIELDS, field_label
    locale = short_locale()
    return {name: field_label(name, locale) for name in FIELDS}


@bp.get("/documents/<int:document_id>")
@login_required
def print_view(document_id):
    """The print page (A4, no navigation), exactly as issued."""
    document = _visible_document_or_404(document_id)
    response = Response(document.html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["ETag"] = f'"{document.html_sha256}"'
    return response


@bp.get("/documents/<int:document_id>/docx")
@login_required
def download_docx(document_id):
    """The .docx as issued; its checksum is verified before it leaves."""
    document = _visible_document_or_404(document_id)
    data = bytes(document.docx)
    if hashlib.sha256(data).hexdigest() != document.sha256:
        current_app.logger.error("issued document %s (%s): the stored .docx does not match its checksum",
                                 document.id, document.number)
        abort(500)
    response = send_file(io.BytesIO(data), mimetype=DOCX_MIMETYPE, as_attachment=True,
                         download_name=f"{document.number}{kind_name(document.kind, 'zh')}.docx", max_age=0)
    response.headers["Cache-Control"] = "no-store"
    response.headers["ETag"] = f'"{document.sha256}"'
    return response
