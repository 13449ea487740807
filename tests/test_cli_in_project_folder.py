"""`flask` commands typed in the project folder, as the README's admin commands are: Flask then
finds `wsgi.py` by itself. Loading it must not start the served process's periodic jobs, which
would run against a database the command is only about to make."""

from __future__ import annotations

import subprocess

from sqlalchemy import create_engine, inspect

from tests.deployed import BIN, ROOT, environment


def test_a_new_database_is_made_by_flask_db_upgrade_without_a_job_running(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    env = environment(url)
    del env["FLASK_APP"]  # as typed by hand: Flask finds wsgi.py in the folder
    done = subprocess.run(
        [str(BIN / "flask"), "db", "upgrade"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "job " not in done.stderr, done.stderr
    assert "complaints" in inspect(create_engine(url)).get_table_names()
