"""Publicity activities (宣传发动): the pages that record, list, export and show them.

Routes (rules in domain.publicity; every one signed in):

    /publicity/                         the list, with filters (from, to, unit, community, form) and figures
    /publicity/export.xlsx              the same list and figures as a workbook
    /publicity/new                      record an activity (officers, grid workers)
    /publicity/<id>                     one activity and its photos
    /publicity/<id>/edit, /delete       the recording unit, in the activity's month; the office always
    /publicity/photos/<id>[/thumbnail]  a photo, for whoever may see its activity
    /publicity/visits/new               a grid worker's phone form for door-to-door visits (入户走访)
    /publicity/mine                     the phone list of the user's own records

An activity the user may not see is a 404; one they see but may not change, 403.
"""
from flask import Blueprint
from flask_babel import pgettext

bp = Blueprint("publicity", __name__, url_prefix="/publicity")


def t(text: str, **variables) -> str:
    """This area's strings: English msgids with the context `publicity` (their own translations)."""
    return pgettext("publicity", text, **variables)


@bp.context_processor
def _helpers():
    return {"t": t}


from web.publicity import pages, photos, record  # noqa: E402,F401  (their routes join bp)
