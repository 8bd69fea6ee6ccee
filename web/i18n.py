"""Chinese by default, English available (Flask-Babel).

Message catalogs live beside the code that uses them:
`web/translations/<area>/<locale>/LC_MESSAGES/messages.po`, one area per part of
the app, so each part keeps its own strings. They are compiled to `.mo` when
the app starts if the `.po` is newer: no build step to forget.
"""
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import request, session
from flask_login import current_user

TRANSLATIONS = Path(__file__).parent / "translations"
LOCALES = ("zh", "en")


def compile_catalogs() -> list[str]:
    """Compile every messages.po that is newer than its messages.mo; return the area directories."""
    areas = []
    for area in sorted(p for p in TRANSLATIONS.iterdir() if p.is_dir()):
        for po_path in area.glob("*/LC_MESSAGES/messages.po"):
            mo_path = po_path.with_suffix(".mo")
            if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
                with po_path.open("rb") as source:
                    catalog = read_po(source)
                with mo_path.open("wb") as target:
                    write_mo(target, catalog)
        areas.append(str(area))
    return areas


def select_locale() -> str:
    """The language switch in the session, else the user's setting, else Chinese."""
    chosen = session.get("locale") if request else None
    if chosen in LOCALES:
        return chosen
    user_locale = getattr(current_user, "locale", None) if current_user else None
    return "en" if user_locale and user_locale.startswith("en") else "zh"


def short_locale() -> str:
    """`zh` or `en`: the form the campaign's label tables use."""
    return "en" if select_locale().startswith("en") else "zh"
