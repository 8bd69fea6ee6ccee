"""The sectors' inspection checklists (排查项目): data files in processes/checklists/, one per
sector (domain.labels.SECTOR), each naming the risk points an inspector checks there.

    {"sector": "illegal_fundraising", "title": {"zh": ..., "en": ...},
     "points": [{"id": "bed_booking", "text": {"zh": ..., "en": ...}}, ...]}

A file is checked whole when it is read: a wrong one raises ChecklistError saying which file
and what is wrong (`flask check-checklists` checks them all), never a bare traceback.
"""
import json
import re
from functools import lru_cache
from pathlib import Path

from domain.labels import SECTORS

CHECKLISTS = Path(__file__).resolve().parent.parent / "processes" / "checklists"
POINT_ID = re.compile(r"[a-z][a-z0-9_]{0,59}")
MAX_POINTS = 40
MAX_TEXT = 300


class ChecklistError(ValueError):
    """A checklist file that cannot be used; the message names the file and the fault."""


def _text(value, where: str, path: Path) -> dict:
    if not isinstance(value, dict) or not all(isinstance(value.get(k), str) and value[k].strip() for k in ("zh", "en")):
        raise ChecklistError(f"{path.name}: {where} needs a Chinese and an English text ({{\"zh\": ..., \"en\": ...}})")
    if any(len(value[k]) > MAX_TEXT for k in ("zh", "en")):
        raise ChecklistError(f"{path.name}: {where} is longer than {MAX_TEXT} characters")
    return {"zh": value["zh"].strip(), "en": value["en"].strip()}


def parse_checklist(path: Path, expected_sector: str | None = None) -> dict:
    """The checklist in `path`, checked; ChecklistError if anything is wrong."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ChecklistError(f"{path.name}: cannot be read ({err.strerror or err})") from None
    except UnicodeDecodeError:
        raise ChecklistError(f"{path.name}: is not UTF-8 text") from None
    except json.JSONDecodeError as err:
        raise ChecklistError(f"{path.name}: is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})") \
            from None
    if not isinstance(data, dict):
        raise ChecklistError(f"{path.name}: must be a JSON object with sector, title and points")
    sector = data.get("sector")
    if sector not in SECTORS:
        raise ChecklistError(f"{path.name}: sector {sector!r} is not one of {', '.join(SECTORS)}")
    if expected_sector is not None and sector != expected_sector:
        raise ChecklistError(f"{path.name}: names sector {sector!r}; the file must be called {sector}.json")
    title = _text(data.get("title"), "title", path)
    points = data.get("points")
    if not isinstance(points, list) or not points:
        raise ChecklistError(f"{path.name}: points must be a non-empty list")
    if len(points) > MAX_POINTS:
        raise ChecklistError(f"{path.name}: has {len(points)} points; at most {MAX_POINTS}")
    checked, seen = [], set()
    for number, point in enumerate(points, start=1):
        if not isinstance(point, dict):
            raise ChecklistError(f"{path.name}: point {number} must be an object with id and text")
        point_id = point.get("id")
        if not isinstance(point_id, str) or not POINT_ID.fullmatch(point_id):
            raise ChecklistError(f"{path.name}: point {number} has no valid id (lower-case letters, digits, _)")
        if point_id in seen:
            raise ChecklistError(f"{path.name}: point id {point_id!r} is used twice")
        seen.add(point_id)
        checked.append({"id": point_id, "text": _text(point.get("text"), f"point {point_id!r}", path)})
    return {"sector": sector, "title": title, "points": checked}


@lru_cache(maxsize=None)
def _cached(sector: str, mtime: float) -> dict:
    return parse_checklist(CHECKLISTS / f"{sector}.json", sector)


def checklist(sector: str) -> dict:
    """The checklist of `sector` (re-read when its file changes); ChecklistError when the
    sector is unknown, the file is missing or it is wrong."""
    if sector not in SECTORS:
        raise ChecklistError(f"no checklist: {sector!r} is not a sector")
    path = CHECKLISTS / f"{sector}.json"
    try:
        mtime = path.stat().st_mtime
    except OSError:
        raise ChecklistError(f"{path.name}: the checklist of sector {sector!r} is missing") from None
    return _cached(sector, mtime)


def check_all(directory: Path = CHECKLISTS) -> list[str]:
    """Every problem of the checklist files in `directory` (empty when all is well): a file
    each sector, each one valid, no file for something that is not a sector."""
    problems = []
    for sector in SECTORS:
        path = directory / f"{sector}.json"
        if not path.exists():
            problems.append(f"{path.name}: the checklist of sector {sector!r} is missing")
            continue
        try:
            parse_checklist(path, sector)
        except ChecklistError as err:
            problems.append(str(err))
    for path in sorted(directory.glob("*.json")):
        if path.stem not in SECTORS:
            problems.append(f"{path.name}: {path.stem!r} is not a sector")
    return problems
