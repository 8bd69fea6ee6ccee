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
                seen[message.id][area] = message.string
    conflicts = {msgid: areas for msgid, areas in seen.items() if len(set(areas.values())) > 1}
    assert conflicts == {}


def test_every_message_has_a_chinese_translation():
    missing = [(area, message.id) for area, catalog in _catalogs() for message in catalog
               if message.id and not message.string]
    assert missing == []
