"""Shared by the benchmark scripts."""
from sqlalchemy import text

from engine.store.database import make_engine


def reset_postgres(url: str) -> None:
    """Empty the database a benchmark was pointed at (it then builds its own schema)."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]
