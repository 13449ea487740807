"""Admin → Orders → Import (console/admin/orders.py): upload, columns, the run as a job with its
progress, the rejected rows listed and as a CSV; the columns remembered per client; the job
taken up again when it never started or its worker stopped."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from console.extensions import db as _db
from console.models import (
    AuditEntry,
    Client,
    ImportFile,
    ImportMapping,
    ImportRun,
    ImportStatus,
    Order,
    Role,
    utcnow,
)
from console.services.orders import imports
from tests.deployed import free_port
from tests.orders.conftest import count, day

RU_HEADER = "Номер заказа;Клиент;Телефон;Вид работ;Дата закрытия;Сумма;Примечание менеджера"


@pytest.fixture
def app_config():
    return {"ORDER_IMPORT_INLINE": True}  # the job runs inside the request that queues it


def shop_file(*rows: str) -> bytes:
    return ("\r\n".join([RU_HEADER, *rows]) + "\r\n").encode("cp1251")


GOOD_AND_BAD = shop_file(
    f"Z-1;Иван Петров;8 (912) 345-67-89;oil;{day(2, '%d.%m.%Y %H:%M')};4 350,50;",
    f"Z-2;Ольга;12345;oil;{day(2, '%d.%m.%Y %H:%M')};100;перезвонить",
    f"Z-3;Борис;8 912 000-00-03;oil;{day(1, '%d.%m.%Y %H:%M')};900;",
)


def upload(client, content: bytes, name="заказы.csv", client_id=""):
    from io import BytesIO

    return client.post(
        "/admin/orders/import",
        data={"file": (BytesIO(content), name), "client": str(client_id)},
        content_type="multipart/form-data",
    )


def choose(client, run_id: int, mapping: dict[int, str], client_id="") -> object:
    form = {f"column-{i}": field for i, field in mapping.items()}
    form["client"] = str(client_id)
    return client.post(f"/admin/orders/import/{run_id}/columns", data=form)


SHOP_COLUMNS = {0: "external_id", 1: "customer_name", 2: "phone", 3: "work_type"}
SHOP_COLUMNS |= {4: "completed_at", 5: "amount"}


def test_an_admin_imports_a_shops_file_and_gets_the_rejected_rows(client, login_as, garage, db):
    admin = login_as(Role.ADMIN)
    response = upload(client, GOOD_AND_BAD, client_id=garage.id)
    assert response.status_code == 302
    run = db.session.scalars(select(ImportRun)).one()
    assert response.headers["Location"].endswith(f"/admin/orders/import/{run.id}/columns")
    assert (run.encoding, run.delimiter, run.rows_total) == ("cp1251", ";", 3)

    page = client.get(f"/admin/orders/import/{run.id}/columns").get_data(as_text=True)
    # The columns are guessed from the Russian headers; the manager's note is not read.
    for i, field in SHOP_COLUMNS.items():
        assert f'<option value="{field}" selected>' in page.split(f'id="column-{i}"')[1][:2000]
    assert '<option value="" selected>' in page.split('id="column-6"')[1][:300]
    assert "Иван Петров" in page and "перезвонить" in page  # the preview
    assert f'<option value="{garage.id}" selected>' in page

    response = choose(client, run.id, SHOP_COLUMNS, client_id=garage.id)
    assert response.status_code == 302
    html = client.get(f"/admin/orders/import/{run.id}").get_data(as_text=True)
    assert "line 3, Телефон: 12345 is not a valid phone number" in html
    assert 'id="import-created">2<' in html and 'id="import-rejected">1<' in html
    assert "every 1s" not in html  # done: the page stops asking
    assert sorted(o.external_id for o in db.session.scalars(select(Order))) == ["Z-1", "Z-3"]

    rejected = client.get(f"/admin/orders/import/{run.id}/rejected.csv")
    assert rejected.headers["Content-Type"] == "text/csv; charset=windows-1251"
    assert (
        "filename*=UTF-8''%D0%B7%D0%B0%D0%BA%D0%B0%D0%B7%D1%8B-rejected.csv"
        in (rejected.headers["Content-Disposition"])
    )
    lines = rejected.get_data().decode("cp1251").splitlines()
    assert lines[0] == RU_HEADER + ";error"
    assert lines[1].startswith("Z-2;Ольга;12345;oil;")
    assert lines[1].endswith(";перезвонить;line 3, Телефон: 12345 is not a valid phone number")

    db.session.expire_all()
    run = db.session.get(ImportRun, run.id)
    assert run.status == ImportStatus.DONE and run.created_by_id == admin.id
    assert (run.created_count, run.existing_count, run.rejected_count) == (2, 0, 1)
    assert db.session.get(ImportFile, run.id) is None  # the file is not kept once imported
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "orders.imported"))
    assert entry.one().details["created"] == 2


def test_the_same_file_again_adds_nothing_and_its_columns_are_remembered(
    client, login_as, garage, db
):
    login_as(Role.ADMIN)
    upload(client, GOOD_AND_BAD, client_id=garage.id)
    first = db.session.scalars(select(ImportRun)).one()
    mapping = dict(SHOP_COLUMNS) | {6: "description"}  # the admin reads the note after all
    choose(client, first.id, mapping, client_id=garage.id)

    upload(client, GOOD_AND_BAD, client_id=garage.id)
    second = db.session.scalars(select(ImportRun).order_by(ImportRun.id.desc())).first()
    page = client.get(f"/admin/orders/import/{second.id}/columns").get_data(as_text=True)
    assert '<option value="description" selected>' in page.split('id="column-6"')[1][:2000]
    choose(client, second.id, mapping, client_id=garage.id)
    db.session.expire_all()
    second = db.session.get(ImportRun, second.id)
    assert (second.created_count, second.existing_count, second.rejected_count) == (0, 2, 1)
    assert count(db, Order) == 2
    saved = db.session.scalars(select(ImportMapping)).one()
    assert saved.client_id == garage.id and saved.mapping[6] == "description"


def test_columns_that_leave_out_a_required_field_are_asked_again(client, login_as, garage, db):
    login_as(Role.ADMIN)
    upload(client, GOOD_AND_BAD)
    run = db.session.scalars(select(ImportRun)).one()
    response = choose(client, run.id, {0: "external_id", 1: "phone", 2: "phone"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Choose the client of this file, or the column that names it." in html
    assert "No column is Amount." in html
    assert "Phone is chosen for more than one column." in html
    db.session.expire_all()
    assert db.session.get(ImportRun, run.id).status == ImportStatus.UPLOADED


def test_a_file_that_cannot_be_read_is_refused_on_the_upload_page(client, login_as, garage):
    login_as(Role.ADMIN)
    response = upload(client, b"\x00\x01 not a spreadsheet", name="orders.xls")
    assert response.status_code == 422
    assert "Old Excel files (.xls) cannot be read" in response.get_data(as_text=True)
    response = upload(client, b"", name="orders.csv")
    assert response.status_code == 422


def test_the_upload_may_be_large_but_not_larger_than_its_limit(client, login_as):
    login_as(Role.ADMIN)
    response = client.post(
        "/admin/orders/import",
        data=b"x",
        content_type="multipart/form-data; boundary=x",
        environ_overrides={"CONTENT_LENGTH": str(60 * 1024 * 1024)},
    )
    assert response.status_code == 413


@pytest.mark.parametrize("role", [Role.QC, Role.OPERATOR, Role.SUPERVISOR])
def test_only_admins_import_orders(client, login_as, role):
    login_as(role)
    assert client.get("/admin/orders/import").status_code == 403
    assert upload(client, GOOD_AND_BAD).status_code == 403


def test_the_progress_polls_until_the_run_is_done(client, login_as, garage, db):
    login_as(Role.ADMIN)
    upload(client, GOOD_AND_BAD, client_id=garage.id)
    run = db.session.scalars(select(ImportRun)).one()
    run.status, run.rows_done = ImportStatus.RUNNING, 1
    db.session.commit()
    poll = client.get(f"/admin/orders/import/{run.id}", headers={"HX-Request": "true"})
    html = poll.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="import-progress"')
    assert 'hx-trigger="every 1s"' in html and 'value="33"' in html
    assert "1 of about 3 rows" in html


@pytest.mark.parametrize(
    ("locale", "rows_read", "download"),
    [
        ("en", "8,003 rows read", "Download the 1,001 rejected rows (CSV)"),
        ("ru", "Прочитано 8\xa0003 строки", "Скачать 1\xa0001 отклонённую строку (CSV)"),
    ],
)
def test_a_large_import_counts_its_rows_as_the_admins_language_writes_numbers(
    client, make_user, login_as, garage, db, locale, rows_read, download
):
    login_as(make_user(Role.ADMIN, locale=locale))
    upload(client, GOOD_AND_BAD, client_id=garage.id)
    run = db.session.scalars(select(ImportRun)).one()
    choose(client, run.id, SHOP_COLUMNS, client_id=garage.id)
    # What a shop's year of orders leaves on the run (this file has three rows).
    db.session.execute(
        update(ImportRun).values(rows_done=8003, created_count=7002, rejected_count=1001)
    )
    db.session.commit()
    html = client.get(f"/admin/orders/import/{run.id}").get_data(as_text=True)
    assert rows_read in html and download in html


@pytest.mark.parametrize("app_config", [{"ORDER_IMPORT_INLINE": False}])
def test_without_redis_the_import_runs_in_a_thread_and_the_request_answers_at_once(
    client, login_as, garage, db, app_config
):
    login_as(Role.ADMIN)
    upload(client, GOOD_AND_BAD, client_id=garage.id)
    run_id = db.session.scalars(select(ImportRun.id)).one()
    assert choose(client, run_id, SHOP_COLUMNS, client_id=garage.id).status_code == 302
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        db.session.rollback()
        if db.session.get(ImportRun, run_id).finished:
            break
        time.sleep(0.1)
    run = db.session.get(ImportRun, run_id)
    assert run.status == ImportStatus.DONE and run.created_count == 2


@pytest.mark.parametrize(
    "app_config", [{"ORDER_IMPORT_INLINE": True, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}]
)
def test_with_redis_unreachable_the_import_runs_in_this_process_instead_of_waiting(
    client, login_as, garage, db, app_config
):
    """The admin is watching the progress bar: it once stayed at "waiting" until Redis came
    back (gunicorn with REDIS_URL set and Redis down, tests/browser/test_production_setup.py)."""
    login_as(Role.ADMIN)
    upload(client, GOOD_AND_BAD, client_id=garage.id)
    run_id = db.session.scalars(select(ImportRun.id)).one()
    assert choose(client, run_id, SHOP_COLUMNS, client_id=garage.id).status_code == 302
    db.session.rollback()
    run = db.session.get(ImportRun, run_id)
    assert (run.status, run.created_count, run.rejected_count) == (ImportStatus.DONE, 2, 1)


class WorkerDied(BaseException):
    """The worker process killed in the middle of a run (nothing catches it)."""


def test_a_run_whose_job_never_started_or_stopped_is_taken_up(
    app, garage, db, make_user, monkeypatch
):
    from console.jobs import imports as import_jobs

    admin = make_user(Role.ADMIN)
    stuck = imports.upload("a.csv", GOOD_AND_BAD, client=garage, by=admin, locale="en")
    imports.queue(stuck, [*SHOP_COLUMNS.values(), None], garage)
    stalled = imports.upload("b.csv", GOOD_AND_BAD, client=garage, by=admin, locale="en")
    imports.queue(stalled, [*SHOP_COLUMNS.values(), None], garage)
    db.session.commit()
    # b.csv's worker dies after committing its first row (line 2), in its second batch.
    save = imports._save_batch
    calls = []

    def dies_on_the_second_batch(run_id, result):
        calls.append(result.last_line)
        if len(calls) == 2:
            raise WorkerDied
        save(run_id, result)

    monkeypatch.setattr(imports, "_save_batch", dies_on_the_second_batch)
    with pytest.raises(WorkerDied):
        imports.run_import(stalled.id, batch_size=1)
    monkeypatch.undo()
    db.session.rollback()
    b = db.session.get(ImportRun, stalled.id)
    assert (b.status, b.last_line, b.created_count) == (ImportStatus.RUNNING, 2, 1)
    long_ago = utcnow() - timedelta(minutes=10)
    db.session.execute(update(ImportRun).values(heartbeat_at=long_ago))
    db.session.commit()

    app.config["ORDER_IMPORT_INLINE"] = True
    assert import_jobs.take_up_waiting() == 2
    db.session.expire_all()
    for run in db.session.scalars(select(ImportRun)):
        assert run.status == ImportStatus.DONE
    # a.csv (the same file) ran first and stored Z-3; b.csv went on after line 2.
    a = db.session.get(ImportRun, stuck.id)
    assert (a.created_count, a.existing_count, a.rejected_count) == (1, 1, 1)
    b = db.session.get(ImportRun, stalled.id)
    assert (b.rows_done, b.created_count, b.existing_count, b.rejected_count) == (3, 1, 1, 1)
    assert count(db, Order) == 2
    assert import_jobs.take_up_waiting() == 0


def test_a_client_chosen_for_the_file_is_every_rows_client(client, login_as, garage, db):
    other = Client(key="other", name="Other shop", country="RU")
    db.session.add(other)
    db.session.commit()
    login_as(Role.ADMIN)
    upload(client, GOOD_AND_BAD)
    run = db.session.scalars(select(ImportRun)).one()
    choose(client, run.id, SHOP_COLUMNS, client_id=other.id)
    clients = {o.client.key for o in _db.session.scalars(select(Order))}
    assert clients == {"other"}
