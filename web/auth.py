"""Sign-in and sign-out (Flask-Login), with rate-limited attempts."""
import hashlib
from datetime import datetime, timezone

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from domain.grid_reports import is_grid_worker
from domain.models import User
from web.access import CurrentUser, local_target
from web.extensions import db, limiter, login_manager

bp = Blueprint("auth", __name__)

# What a signed-out visitor of a page reads on the sign-in page, in the page's language.
login_manager.login_message = "Please sign in to open this page."
login_manager.login_message_category = "info"
login_manager.localize_callback = _

# Compared against when the username is unknown, so both cases take as long.
_DUMMY_HASH = generate_password_hash("no such user")


class LoginForm(FlaskForm):
    username = StringField(validators=[DataRequired(), Length(max=80)])
    password = PasswordField(validators=[DataRequired(), Length(max=200)])


@login_manager.user_loader
def load_user(user_id: str):
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.active or session.get("session_epoch", 0) != user.session_epoch:
        return None  # unknown, disabled, or signed out since this session began
    return CurrentUser(user)


# Sign-in attempts (POST) per minute: per client address whatever the usernames, and per account
# from one address. Never per account alone: a stranger's wrong passwords would lock its owner out.
PER_ADDRESS = "10 per minute"
PER_ACCOUNT_AND_ADDRESS = "5 per minute"


def _account_at_address_key():
    # The username is hashed: the key stays short whatever is posted, and names are not kept in Redis.
    username = (request.form.get("username") or "").strip().lower()
    return f"account|{get_remote_address()}|{hashlib.sha256(username.encode()).hexdigest()[:32]}"


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(PER_ADDRESS, methods=["POST"])
@limiter.limit(PER_ACCOUNT_AND_ADDRESS, methods=["POST"], key_func=_account_at_address_key)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.username == form.username.data.strip()))
        has_password = user is not None and bool(user.password_hash)
        password_ok = check_password_hash(user.password_hash if has_password else _DUMMY_HASH, form.password.data)
        # A user without a password cannot sign in with one (not even the dummy hash's).
        if has_password and user.active and password_ok:
            session.clear()
            session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME
            login_user(CurrentUser(user))
            session["signed_in_at"] = datetime.now(timezone.utc).isoformat()
            session["session_epoch"] = user.session_epoch
            # Only local paths: never redirect to another site after sign-in.
            # Grid workers hold no tasks: their home is their reports (web.grid).
            home = url_for("grid.index") if is_grid_worker(user) else url_for("inbox.index")
            return redirect(local_target(request.args.get("next"), home))
        form.password.errors.append(_("Wrong username or password."))
    return render_template("auth/login.html", form=form), (200 if request.method == "GET" else 400)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:  # every session of this user ends, copies of the cookie too
        db.session.execute(update(User).where(User.id == int(current_user.get_id()))
                           .values(session_epoch=User.session_epoch + 1))
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.get("/lang/<code>")
def switch_language(code):
    if code in ("zh", "en"):
        session["locale"] = code
    target = request.referrer or "/"
    return redirect(target if target.startswith(request.host_url) else local_target(target, "/"))
