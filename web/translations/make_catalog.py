"""Add Chinese translations to one area's catalog (web/translations/AREA/zh/LC_MESSAGES/messages.po).

    python web/translations/make_catalog.py AREA TABLE.py   # TABLE.py defines ZH = {English: Chinese}

TABLE.py may also define CONTEXT (the msgctxt of every ZH entry: an area whose English words may read
differently elsewhere, used through pgettext) and PLAIN (entries without a context, e.g. a navigation
link). Entries already in the catalog are kept; the table's entries are added or updated.
The .po file is the source of truth and may also be edited by hand.
"""
import runpy
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po


def catalog_path(area: str) -> Path:
    return Path(__file__).parent / area / "zh" / "LC_MESSAGES" / "messages.po"


def add_translations(area: str, table: dict[str, str], context: str | None = None,
                     plain: dict[str, str] | None = None) -> Path:
    target = catalog_path(area)
    if target.exists():
        with target.open("rb") as handle:
            catalog = read_po(handle)
    else:
        catalog = Catalog(locale="zh", project="duban", charset="utf-8", fuzzy=False)
    entries = [(english, chinese, context) for english, chinese in table.items()]
    entries += [(english, chinese, None) for english, chinese in (plain or {}).items()]
    for english, chinese, msgctxt in entries:
        if catalog.get(english, context=msgctxt) is not None:
            catalog.delete(english, context=msgctxt)  # Catalog.add would keep the old translation
        catalog.add(english, chinese, context=msgctxt)
    catalog.fuzzy = False
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as handle:
        write_po(handle, catalog, width=0)
    return target


if __name__ == "__main__":
    strings = runpy.run_path(sys.argv[2])
    print(add_translations(sys.argv[1], strings["ZH"], strings.get("CONTEXT"), strings.get("PLAIN")))
