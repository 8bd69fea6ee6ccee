"""Running engine commands from a request."""
from flask import current_app

from engine.errors import DubanError
from web.errors import flash_engine_error
from web.extensions import db


def current_runtime():
    return current_app.extensions["duban"]


def run_command(command, flash_errors: bool = True):
    """Call `command(engine)`; flash an engine error instead of raising. Returns the result, or None on error.

    The request's own session only reads; it ends its transaction first so the
    engine's write (its own transaction) and later reads see the same data.
    """
    db.session.rollback()
    try:
        result = command(current_runtime().engine)
        return True if result is None else result
    except DubanError as err:
        if not flash_errors:
            raise
        flash_engine_error(err)
        return None
