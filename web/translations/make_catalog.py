"""Write a Chinese (zh) messages.po for one area from a {English: Chinese} table.

    python web/translations/make_catalog.py AREA TABLE.py

Catalogs are plain gettext files; edit them by hand or regenerate them this way.
"""
import runpy
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po


def write_catalog(area: str, table: dict[str, str]) -> Path:
    catalog = Catalog(locale="zh", project="duban", charset="utf-8", fuzzy=False)
    for english, chinese in table.items():
        catalog.add(english, chinese)
    target = Path(__file__).parent / area / "zh" / "LC_MESSAGES" / "messages.po"
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as handle:
        write_po(handle, catalog, width=0)
    return target


if __name__ == "__main__":
    print(write_catalog(sys.argv[1], runpy.run_path(sys.argv[2])["ZH"]))
