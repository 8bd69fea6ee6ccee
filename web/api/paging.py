"""Paths and pages shared by the API's resources."""
from sqlalchemy import func, select

from web.api.schemas import MAX_ID
from web.extensions import db

# Ids in paths: positive BIGINTs (a larger number is no route: 404, never a driver overflow).
ID = f"int(min=1, max={MAX_ID})"


def page_of(query, order, args) -> dict:
    """{items, page, per_page, total} for a select() of ORM rows."""
    page, per_page = args["page"], args["per_page"]
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = db.session.scalars(query.order_by(*order).limit(per_page).offset((page - 1) * per_page)).unique().all()
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def latest_only(query, key, version):
    """`query` of versioned rows narrowed to each `key`'s newest `version` (the lists' ?latest=true)."""
    newest = select(key.label("key"), func.max(version).label("version")).group_by(key).subquery()
    return query.join(newest, (newest.c["key"] == key) & (newest.c["version"] == version))
