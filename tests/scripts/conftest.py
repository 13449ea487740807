from __future__ import annotations

from pathlib import Path

import pytest

from console.models import Client, WorkType

SCRIPTS_CONFIG = Path(__file__).resolve().parents[2] / "scripts_config"


@pytest.fixture
def catalog(db):
    """The clients and work types the shipped scripts refer to."""
    clients = {
        key: Client(key=key, name=name, timezone=tz)
        for key, name, tz in [
            ("garage-service", "Garage-Service", "Europe/Moscow"),
            ("ural-motors", "Ural Motors", "Asia/Yekaterinburg"),
            ("homefix", "HomeFix", "Asia/Novosibirsk"),
            ("brightwell-motors", "Brightwell Motors", "Europe/London"),
        ]
    }
    work_types = {
        key: WorkType(key=key, name=name)
        for key, name in [
            ("oil-change", "Oil change"),
            ("brake-repair", "Brake repair"),
            ("plumbing", "Plumbing"),
        ]
    }
    db.session.add_all([*clients.values(), *work_types.values()])
    db.session.commit()
    return clients, work_types


@pytest.fixture
def write_script(tmp_path):
    """Write a YAML file and return its path."""

    def write(text: str, name: str = "script.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
