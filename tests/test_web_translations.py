"""The Chinese catalogs of all areas agree with each other and cover every string."""
from collections import defaultdict
from pathlib import Path

from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[1] / "web" / "translations"


def _catalogs():
    for po in sorted(TRANSLATIONS.glob("*/zh/LC_MESSAGES/messages.po")):
        with po.open("rb") as handle:
            yield po.parts[-4], read_po(handle)


def test_no_message_is_translated_two_ways():
    """Flask-Babel merges the areas' catalogs: one msgid must have one translation."""
    seen = defaultdict(dict)
    for area, catalog in _catalogs():
        for message in catalog:
            if message.id and message.string:
                seen[(message.context, message.id)][area] = message.string
    conflicts = {msgid: areas for msgid, areas in seen.items() if len(set(areas.values())) > 1}
    assert conflicts == {}


def test_every_message_has_a_chinese_translation():
    missing = [(area, message.id) for area, catalog in _catalogs() for message in catalog
               if message.id and not message.string]
    assert missing == []


def test_every_string_the_app_shows_is_in_a_catalog():
    """Extract `_()` strings from the code and templates as pybabel does; each has a Chinese entry."""
    from babel.messages.extract import extract_from_dir

    web = TRANSLATIONS.parent
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "pgettext": ((1, "c"), 2)}
    translated = {(message.context, message.id if isinstance(message.id, str) else message.id[0])
                  for _area, catalog in _catalogs() for message in catalog if message.string}
    missing = []
    for filename, _lineno, message, _comments, context in extract_from_dir(str(web), method_map, keywords=keywords):
        msgid = message if isinstance(message, str) else message[0]
        if msgid and (context, msgid) not in translated:
            missing.append((filename, msgid))
    assert missing == []


def test_every_message_the_engine_raises_has_a_chinese_translation():
    """Engine errors are raised with a template and values (engine.errors.DubanError); the pages
    show them through the catalogs (web.errors.engine_message), so each template needs an entry."""
    import ast

    engine = TRANSLATIONS.parents[1] / "engine"
    errors = {"ConflictError", "TaskNotReady", "PermissionDenied", "InvalidOperation", "NotFound", "StaleInstance"}
    translated = {message.id for _area, catalog in _catalogs() for message in catalog if message.string}
    missing, not_templates = [], []
    for path in sorted(engine.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in errors and node.args:
                message = node.args[0]
                if not (isinstance(message, ast.Constant) and isinstance(message.value, str)):
                    not_templates.append((path.name, node.lineno))  # an f-string cannot be translated
                elif message.value not in translated:
                    missing.append((path.name, message.value))
    assert not_templates == [] and missing == []
