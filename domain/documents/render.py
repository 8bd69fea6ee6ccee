"""Templates of the official documents and rendering them: a .docx (docxtpl) and a print page (HTML).

The templates are files an administrator may replace, in `processes/documents/` (or the folder
`DUBAN_DOCUMENT_DIR` names): per kind `<kind>.docx` (a Word document with docxtpl's Jinja tags,
`{%tr for … %}` for table rows) and `<kind>.html` (Jinja, may extend `_base.html`), and
`issuers.json` (each issuing unit's 机关代字 and name). Both templates get the same values
(domain.documents.values); both are rendered in a sandbox with every value escaped.
"""
import hashlib
import io
import json
import os
import re
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from docxtpl import DocxTemplate
from jinja2 import FileSystemLoader, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from engine.workcal import CHINA_TZ

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "processes" / "documents"
ISSUERS_FILE = "issuers.json"
BASE_HTML = "_base.html"
# Characters XML 1.0 cannot hold (the .docx would not open); tab and newline are kept.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class TemplateMissing(Exception):
    """A kind's template (or issuers.json) is missing or unreadable: an administrator must fix it."""


def document_dir(configured: str | os.PathLike | None = None) -> Path:
    return Path(configured or os.environ.get("DUBAN_DOCUMENT_DIR") or DEFAULT_DIR)


# -- issuers -------------------------------------------------------------------------------

def load_issuers(directory: Path) -> dict[str, dict]:
    """{unit code: {"abbreviation": 机关代字, "name": 发文机关 (optional), "kinds": [...] (optional), ...}}."""
    path = directory / ISSUERS_FILE
    try:
        stat = path.stat()
    except OSError as err:
        raise TemplateMissing(f"{path}: {err.strerror}") from None
    return _read_issuers(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _read_issuers(path: str, _mtime: int, _size: int) -> dict[str, dict]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise TemplateMissing(f"{path}: {err}") from None
    if not isinstance(data, dict):
        raise TemplateMissing(f"{path}: an object keyed by unit code is expected")
    issuers = {}
    for code, entry in data.items():
        if code.startswith("_"):
            continue  # comments
        if not isinstance(entry, dict) or not str(entry.get("abbreviation") or "").strip():
            raise TemplateMissing(f"{path}: {code}: an \"abbreviation\" (机关代字) is required")
        issuers[code] = dict(entry, abbreviation=str(entry["abbreviation"]).strip())
    return issuers


# -- Chinese dates -------------------------------------------------------------------------

def chinese_date(moment: datetime | None) -> str:
    """2026年12月5日 (the Beijing date)."""
    if moment is None:
        return ""
    day = moment.astimezone(CHINA_TZ) if moment.tzinfo else moment
    return f"{day.year}年{day.month}月{day.day}日"


def chinese_datetime(moment: datetime | None) -> str:
    """2026年12月5日 15:00 (Beijing time)."""
    if moment is None:
        return ""
    local = moment.astimezone(CHINA_TZ) if moment.tzinfo else moment
    return f"{chinese_date(local)} {local:%H:%M}"


# -- rendering -------------------------------------------------------------------------------

def clean_text(value):
    """Values as the templates get them: text without control characters XML cannot hold, line
    breaks as \\n; lists and dicts cleaned throughout."""
    if isinstance(value, str):
        return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    if isinstance(value, dict):
        return {key: clean_text(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [clean_text(item) for item in value]
    return value


def _environment(directory: Path) -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(loader=FileSystemLoader(str(directory)), autoescape=True,
                                         trim_blocks=True, lstrip_blocks=True)


def template_files(directory: Path, kind: str) -> list[Path]:
    files = [directory / f"{kind}.docx", directory / f"{kind}.html"]
    for path in files:
        if not path.is_file():
            raise TemplateMissing(f"{path}: no such template")
    base = directory / BASE_HTML
    return files + ([base] if base.is_file() else [])


def templates_checksum(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def render_docx(path: Path, values: dict) -> bytes:
    template = DocxTemplate(str(path))
    template.render(values, jinja_env=ImmutableSandboxedEnvironment(), autoescape=True)
    properties = template.docx.core_properties
    properties.title = values.get("title", "")
    properties.author = values.get("issuer_name", "")
    properties.identifier = values.get("number", "")
    properties.comments = ""
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


def render_html(directory: Path, kind: str, values: dict) -> str:
    return _environment(directory).get_template(f"{kind}.html").render(values)


def render(directory: Path, kind: str, values: dict) -> tuple[bytes, str, str]:
    """(docx bytes, HTML, checksum of the templates used) for the values."""
    files = template_files(directory, kind)
    values = clean_text(values)
    try:
        docx = render_docx(files[0], values)
        html = render_html(directory, kind, values)
    except TemplateError as err:
        raise TemplateMissing(f"{kind}: template error: {err}") from None
    except Exception as err:  # noqa: BLE001 - a replaced .docx that is no Word file, or one docxtpl cannot read
        raise TemplateMissing(f"{kind}: the template cannot be rendered: {type(err).__name__}: {err}") from None
    return docx, html, templates_checksum(files)
