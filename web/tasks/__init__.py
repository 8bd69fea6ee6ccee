"""The task page: the user task's form (with drafts and evidence files), its case's
summary, comments and history, and the task operations (engine.operations).

Routes
    GET  /tasks/<id>                    the page (404 for whoever may not see the task)
    POST /tasks/<id>/complete           validate the form and complete (a delegate hands it back)
    POST /tasks/<id>/draft              save the form as a draft, unvalidated
    POST /tasks/<id>/decisions          the value a decision table gives a form field (JSON, changes nothing)
    POST /tasks/<id>/attachments        upload evidence files to the case
    POST /tasks/<id>/comments           comment on the case
    POST /tasks/<id>/send-back          退回      POST /tasks/<id>/transfer   转办
    POST /tasks/<id>/delegate           委派      POST /tasks/<id>/cosigners  加签
    POST /tasks/<id>/sign               会签      POST /tasks/<id>/cc         抄送
    POST /tasks/<id>/remind             催办      POST /tasks/<id>/take-back  拿回
    POST /tasks/<id>/withdraw           撤销 (the whole case)
    GET  /attachments/<id>              download, for whoever may see the case
    GET  /attachments/<id>/view         PDF or image in the browser (inline, sandboxed)
    GET  /attachments/<id>/thumbnail    small JPEG/PNG preview of an image (cached, metadata stripped)
"""
from flask import Blueprint

bp = Blueprint("tasks", __name__)

# The modules below add their routes to bp.
from web.tasks import actions, decisions, evidence, page  # noqa: E402,F401
from web.tasks.access import may_view, operations, visible_task  # noqa: E402,F401
