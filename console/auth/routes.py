import math
from urllib.parse import urlsplit

from flask import (
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import generate_csrf
from werkzeug.exceptions import HTTPException

from console.access import PUBLIC, SIGNED_IN, access_of, home_url_for, public, signed_in
from console.auth import bp
from console.auth.forms import LoginForm, ProfileForm
from console.auth.password_form import SetPasswordForm
from console.extensions import db
from console.models import PasswordReset, utcnow
from console.services import audit, login_throttle, password_reset
from console.services import auth as auth_service


def _safe_next(target: str | None, user) -> str | None:
    """A path on this site that the user's role may open: never an open redirect, and never a
    sign-in that lands on "not allowed"."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    try:
        endpoint, _args = current_app.url_map.bind("").match(parts.path, method="GET")
    except HTTPException:
        return None
    declared = access_of(endpoint)
    if declared in (PUBLIC, SIGNED_IN) or (declared and user.role in declared):
        return target
    return None


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(home_url_for(current_user.role))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)
    now = utcnow()
    try:
        attempt = auth_service.attempt_sign_in(
            form.email.data,
            form.password.data,
            address=login_throttle.address_key(request.remote_addr),
            now=now,
        )
    except auth_service.SignInBusy:
        return _refused(form, _("Sign-in is busy right now. Try again in a few seconds."), 503, 5)
    if attempt.refusal is not None:
        return _refused(
            form,
            _refusal_message(attempt.refusal, now),
            429,
            math.ceil(attempt.refusal.wait(now).total_seconds()),
        )
    user = attempt.user
    if user is None:
        db.session.commit()  # the failure counts, and is audited
        form.password.errors.append(_("Wrong email or password."))
        return render_template("auth/login.html", form=form), 200
    next_url = _safe_next(request.args.get("next"), user)
    session.clear()  # a new session on every sign-in
    auth_service.start_session(
        user, ip=request.remote_addr, user_agent=request.headers.get("User-Agent")
    )
    db.session.commit()
    session.permanent = True
    login_user(user)
    # Flask-Login's "_id" (a 128-character hash for its session protection and remember-me
    # cookie) is unused here: the server-side session row is the protection. Every request
    # of the call screen carries the cookie, so it stays small.
    session.pop("_id", None)
    return redirect(next_url or home_url_for(user.role))


def _refusal_message(refusal: login_throttle.Refusal, now) -> str:
    minutes = refusal.wait_minutes(now)
    if refusal.scope == login_throttle.ACCOUNT:
        return ngettext(
            "Too many attempts for this account. Try again in %(num)d minute.",
            "Too many attempts for this account. Try again in %(num)d minutes.",
            minutes,
        )
    return ngettext(
        "Too many attempts from your network address. Try again in %(num)d minute.",
        "Too many attempts from your network address. Try again in %(num)d minutes.",
        minutes,
    )


def _refused(form: LoginForm, message: str, status: int, retry_after: int):
    """The sign-in form again, with why it was refused and when to try again."""
    response = make_response(render_template("auth/login.html", form=form, refused=message))
    response.status_code = status
    response.headers["Retry-After"] = str(max(retry_after, 1))
    return response


@bp.post("/logout")
@signed_in
def logout():
    auth_service.end_session(current_user, ip=request.remote_addr)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.get("/")
@signed_in
def home():
    return redirect(home_url_for(current_user.role))


@bp.get("/auth/csrf-token")
@signed_in
def csrf_token():
    """A fresh CSRF token for a page that stayed open long (renewed by static/console.js)."""
    return jsonify(token=generate_csrf())


@bp.route("/profile", methods=["GET", "POST"])
@signed_in
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        details = audit.changes(
            current_user,
            ["locale", "timezone"],
            {"locale": form.locale.data or None, "timezone": form.timezone.data},
        )
        current_user.locale = form.locale.data or None
        current_user.timezone = form.timezone.data
        if details:
            audit.record(
                "user.profile_changed", actor=current_user, entity=current_user, details=details
            )
        db.session.commit()
        flash(_("Your settings are saved."), "success")
        return redirect(url_for("auth.profile"))
    return render_template("auth/profile.html", form=form)


@bp.route("/password/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    """Set a new password through the one-time link an admin made (``services.password_reset``):
    public, since the person cannot sign in; the token is the key."""
    response = make_response(_reset_password(token))
    # The address holds the token: not even this site's own pages get it as a referrer.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _reset_password(token: str):
    now = utcnow()
    reset = password_reset.find(token, now=now)
    if reset is None:
        return render_template("auth/reset_password.html", form=None), 404
    email, reset_id = reset.user.email, reset.id
    form = SetPasswordForm()
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("auth/reset_password.html", form=form, email=email), status
    # Only reads so far: the hash (a fifth of a second) is made with no write lock held.
    db.session.rollback()
    password_hash = password_reset.hash_new_password(form.password.data)
    reset = db.session.get(PasswordReset, reset_id)
    try:
        # Signs the person out of every browser (this one too, if they were signed in here).
        password_reset.complete(reset, password_hash=password_hash, now=now)
    except password_reset.LinkNotValid:
        db.session.rollback()
        return render_template("auth/reset_password.html", form=None), 404
    db.session.commit()
    flash(_("Your password is set: sign in with it."), "success")
    return redirect(url_for("auth.login"))
