"""Front-end libraries installed by npm, served by Flask (never from a CDN)."""
from pathlib import Path

from flask import Blueprint, abort, send_from_directory

NODE_MODULES = Path(__file__).resolve().parents[1] / "node_modules"
# Only these distribution folders are served.
PUBLISHED = {
    "bootstrap": NODE_MODULES / "bootstrap" / "dist",
    "bpmn-js": NODE_MODULES / "bpmn-js" / "dist",
    "htmx": NODE_MODULES / "htmx.org" / "dist",
    "echarts": NODE_MODULES / "echarts" / "dist",
    "modeler": Path(__file__).resolve().parent / "static" / "build",
}

bp = Blueprint("assets", __name__)


@bp.get("/vendor/<package>/<path:filename>")
def vendor(package, filename):
    folder = PUBLISHED.get(package)
    if folder is None or not folder.is_dir():
        abort(404)
    response = send_from_directory(folder, filename, max_age=86400)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
