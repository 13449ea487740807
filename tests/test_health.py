"""``/healthz`` names the part that is down."""

from __future__ import annotations

import pytest

pytest_plugins = ["tests.qc.fake_endpoints"]  # refused_port


def test_healthy_embedded_default_runs_jobs_inline(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "db": "ok", "queue": "inline"}


@pytest.mark.redis
def test_healthy_with_redis(build_app, database_url, redis_url):
    app = build_app(database_url, REDIS_URL=redis_url)
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["queue"] == "ok"


def test_redis_down_is_200_degraded_naming_the_queue(build_app, database_url, refused_port):
    """Calls still save without Redis: a load balancer must keep the instance."""
    app = build_app(database_url, REDIS_URL=f"redis://127.0.0.1:{refused_port}/0")
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "degraded",
        "db": "ok",
        "queue": "down",
        "degraded": ["queue"],
    }


def test_database_down_is_503_naming_the_db(tmp_path):
    down = _down_app(tmp_path)
    response = down.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["failing"] == ["db"]


def test_database_and_redis_down_is_503_naming_the_db(tmp_path, refused_port):
    down = _down_app(tmp_path, REDIS_URL=f"redis://127.0.0.1:{refused_port}/0")
    response = down.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "error" and body["failing"] == ["db"] and body["queue"] == "down"


def test_database_down_gives_a_friendly_page_elsewhere(tmp_path):
    down = _down_app(tmp_path)
    response = down.test_client().post("/login", data={"email": "qc@x.test", "password": "x"})
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert "Temporarily unavailable" in html
    assert "cannot reach its database" in html


def _down_app(tmp_path, **overrides):
    """An app whose database server is not there (PostgreSQL on a closed port)."""
    from console import create_app

    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "WTF_CSRF_ENABLED": False,
            "REDIS_URL": None,
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 2}},
            **overrides,
        }
    )
