"""Response headers that every page gets."""

from __future__ import annotations

from flask import Flask, request

# htmx runs with allowEval off and its indicator styles off (see templates/base.html), so the
# policy needs no 'unsafe-inline' and no 'unsafe-eval'.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        # Call recordings play from the telephony provider's storage (https only).
        "media-src 'self' https:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def init_app(app: Flask) -> None:
    @app.after_request
    def _headers(response):
        h = response.headers
        h.setdefault("X-Content-Type-Options", "nosniff")
        if response.mimetype == "text/html":
            # Only documents need these; small JSON replies (autosave) stay small.
            h.setdefault("Content-Security-Policy", CSP)
            h.setdefault("X-Frame-Options", "DENY")
            h.setdefault("Referrer-Policy", "same-origin")
            h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config["CONSOLE_HTTPS"] or request.is_secure:
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint != "static":
            # Pages show personal data: never kept by a shared cache or the back button's cache.
            h.setdefault("Cache-Control", "no-store")
        if response.mimetype == "text/html" and (
            "HX-Request" in request.headers or request.endpoint != "static"
        ):
            # A page and its htmx fragment share a URL. JSON replies (autosave) never differ so.
            h.add("Vary", "HX-Request")
        return response
