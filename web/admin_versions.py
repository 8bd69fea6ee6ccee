"""What the process and the decision version pages do alike (web/admin.py, web/admin_decisions.py):
a stored version's file as a download, the two versions a diff compares, and a rollback's outcome
told on the next page."""
from flask import Response, flash, request
from flask_babel import gettext as _

from engine.errors import BpmnValidationError, DubanError
from web.commands import run_command
from web.errors import engine_message
from web.params import int_arg


def xml_file(source_xml: str, filename: str) -> Response:
    """A stored version's XML as the file `filename` (?download=0: shown in the browser instead)."""
    response = Response(source_xml, mimetype="application/xml")
    if request.args.get("download", "1") != "0":
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


def compared_versions(numbers: list[int]) -> tuple[int, int]:
    """(a, b) of ?a=&b=, from `numbers` (newest first): by default the newest and the one before it."""
    b = int_arg("b") or numbers[0]
    a = int_arg("a") or next((n for n in numbers if n < b), b)
    return a, b


def flash_rollback(command, version: int, problem_text) -> None:
    """Run `command` (it deploys `version` again) and flash how it went; `problem_text` words a
    problem of the file that no longer validates."""
    try:
        result = run_command(command, flash_errors=False)
    except BpmnValidationError as err:
        flash(_("Version %(v)s cannot be deployed again:", v=version) + " "
              + "; ".join(problem_text(p) for p in err.problems), "error")
    except DubanError as err:
        flash(engine_message(err), "error")
    else:
        flash(_("Version %(old)s was deployed again as version %(new)s.", old=version, new=result.definition.version),
              "success")
