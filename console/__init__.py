"""QC Call Console: the application factory."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, request

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the app. ``config`` overrides what the environment says (tests pass theirs here)."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    from console.config import from_environment

    app.config.from_mapping(from_environment(Path(app.instance_path)))
    if config:
        app.config.update(config)
    hops = app.config.get("PROXY_HOPS", 0)
    if hops:
        # Behind a TLS proxy: the client's address, scheme and host come from the X-Forwarded-*
        # headers that the last ``hops`` proxies set; anything a client forged before them is
        # ignored. Without a proxy (0) those headers are never believed.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)

    from console import bad_input

    bad_input.init_app(app)  # first: the routes use its id converter, the CSRF check its limits
    _init_extensions(app)

    from console import errors, security

    errors.init_app(app)
    security.init_app(app)

    from console.admin import bp as admin_bp
    from console.api import bp as api_bp
    from console.auth import bp as auth_bp
    from console.health import bp as health_bp
    from console.notifications import bp as notifications_bp
    from console.operator import bp as operator_bp
    from console.qc import bp as qc_bp
    from console.reports import bp as reports_bp

    for blueprint in (
        auth_bp,
        health_bp,
        operator_bp,
        qc_bp,  # also the deadline badge's template helpers
        admin_bp,
        reports_bp,
        notifications_bp,  # in-app notices
        api_bp,  # /api/v1: tokens, not sessions
    ):
        app.register_blueprint(blueprint)

    from console import cli

    cli.init_app(app)
    return app


def _init_extensions(app: Flask) -> None:
    from console import access, i18n, jobs
    from console.database import WRITING_METHODS, configure_engine, mark_request_served
    from console.extensions import babel, csrf, db, htmx, login_manager, migrate
    from console.models import utcnow
    from console.services import auth
    from console.services.reports import totals  # noqa: F401 (marks what the report totals miss)

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    app.before_request(mark_request_served)
    app.before_request(_unit_of_work_from_request)
    app.teardown_request(_unit_of_work_from_nowhere)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    htmx.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    i18n.init_app(app)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = None  # home connections change IP; server sessions rule

    @login_manager.user_loader
    def load_user(token: str):
        if request.blueprint == "api":
            return None  # an API request is nobody's session, whatever cookie it carries
        user = auth.load_session_user(token, max_age=app.config["PERMANENT_SESSION_LIFETIME"])
        # A page polling in an open tab (the notice bell, the live board) is not the person at
        # work: it must not keep an abandoned session alive past its idle limit.
        now = utcnow()
        if (
            user is not None
            and request.headers.get("X-Console-Poll") != "1"
            and auth.needs_touch(user.current_session, now)
        ):
            if request.method in WRITING_METHODS:
                # Already in this request's write transaction: saved with its work.
                user.current_session.last_seen_at = now
            else:
                auth.touch_session(user.current_session.id, now)
        return user

    app.before_request(access.enforce_access)
    jobs.init_app(app)


def _unit_of_work_from_request() -> None:
    """Services never read the request: where the request's changes come from is given to its
    unit of work here, once: the client's address (audit log) and the console's address as the
    person reached it (links in emails and webhooks, when ``CONSOLE_BASE_URL`` is unset)."""
    from console.services import audit
    from console.services.notify import notifications

    audit.from_address(request.remote_addr)
    notifications.link_from(request.url_root)


def _unit_of_work_from_nowhere(_error=None) -> None:
    """A test's session outlives its requests: what it records afterwards came from no request."""
    from console.services import audit
    from console.services.notify import notifications

    audit.from_address(None)
    notifications.link_from(None)
