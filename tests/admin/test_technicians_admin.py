"""Admin → Technicians: adding and editing one with field errors, the list's filters, an import
from CSV (UTF-8 or Windows-1251) or XLSX with bad rows (reported by line and field, the good
rows in, a second upload adding nothing twice), the rules that protect running work, and who
may do it."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from console.models import AuditEntry, Client, Role, Technician, TechnicianRole, TechnicianStatus
from console.services import technicians as technician_service
from tests.helpers import on_both_databases

XSS = "<script>alert(1)</script>"


@pytest.fixture
def admin(login_as):
    return login_as(Role.ADMIN)


@pytest.fixture
def shops(db):
    garage = Client(key="garage", name="Garage-Service", country="RU", timezone="Europe/Moscow")
    bright = Client(key="bright", name="Brightwell Motors", country="GB", timezone="Europe/London")
    db.session.add_all([garage, bright])
    db.session.commit()
    return garage, bright


def technicians(db) -> list[Technician]:
    db.session.rollback()
    return list(db.session.scalars(select(Technician).order_by(Technician.id)))


def audit_actions(db) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def form(client_id="", **fields) -> dict:
    data = {"name": "", "client": str(client_id), "external_id": "", "role": "mechanic"}
    data["phone"] = ""
    data.update(fields)
    return data


# --- adding and editing -------------------------------------------------------------------


@on_both_databases
def test_add_a_technician_with_a_bad_phone_then_fixed(db, client, admin, shops):
    garage, _bright = shops
    response = client.post(
        "/admin/technicians/new",
        data=form(garage.id, name="Sergei Orlov", external_id="GS-T01", phone="12"),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'aria-invalid="true"' in html and "12 is not a" in html  # next to the phone field
    assert 'value="Sergei Orlov"' in html  # what was typed stays
    assert technicians(db) == []

    response = client.post(
        "/admin/technicians/new",
        data=form(
            garage.id,
            name="  Sergei   Orlov ",
            external_id="GS-T01",
            phone="8 (912) 345-67-89",  # national, read as Russian: the client's country
            role="shop_master",
        ),
    )
    assert response.status_code == 303
    [orlov] = technicians(db)
    assert (orlov.name, orlov.client_id, orlov.external_id) == ("Sergei Orlov", garage.id, "GS-T01")
    assert orlov.phone == "+79123456789"
    assert orlov.role == TechnicianRole.SHOP_MASTER
    assert orlov.status == TechnicianStatus.ACTIVE
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sergei Orlov is added." in page and "Shop master" in page
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "technician.created"))
    assert entry.details["client"] == "garage" and entry.details["role"] == "shop_master"


def test_a_british_client_reads_british_numbers_and_an_independent_master_has_no_client(
    db, client, admin, shops
):
    _garage, bright = shops
    client.post(
        "/admin/technicians/new",
        data=form(bright.id, name="Tom Baker", phone="07911 123456"),
    )
    client.post(
        "/admin/technicians/new", data=form("", name="Ivan Master", phone="+7 912 000-11-22")
    )
    tom, ivan = technicians(db)
    assert tom.phone == "+447911123456"
    assert ivan.client_id is None and ivan.phone == "+79120001122"


def test_required_fields_and_a_duplicate_external_id_are_field_errors(db, client, admin, shops):
    garage, bright = shops
    db.session.add(Technician(name="First", client=garage, external_id="T-1"))
    db.session.commit()
    response = client.post("/admin/technicians/new", data=form(garage.id, external_id="T-1"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="name-error"' in html
    assert "Garage-Service already has a technician with this id" in html
    # The same number at another client is another person.
    response = client.post(
        "/admin/technicians/new", data=form(bright.id, name="Second", external_id="T-1")
    )
    assert response.status_code == 303
    assert len(technicians(db)) == 2


def test_edit_a_technician_audits_the_changed_fields(db, client, admin, shops):
    garage, _bright = shops
    tech = Technician(name="Petr Ivanov", client=garage, external_id="GS-T02")
    db.session.add(tech)
    db.session.commit()
    page = client.get(f"/admin/technicians/{tech.id}/edit").get_data(as_text=True)
    assert 'value="Petr Ivanov"' in page and 'value="GS-T02"' in page

    response = client.post(
        f"/admin/technicians/{tech.id}/edit",
        data=form(garage.id, name="", external_id="GS-T02", role="shop_master"),
    )
    assert response.status_code == 422
    assert 'id="name-error"' in response.get_data(as_text=True)

    response = client.post(
        f"/admin/technicians/{tech.id}/edit",
        data=form(
            garage.id, name="Petr Ivanov", external_id="GS-T02", role="shop_master", phone=""
        ),
    )
    assert response.status_code == 303
    [tech] = technicians(db)
    assert tech.role == TechnicianRole.SHOP_MASTER
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "technician.updated"))
    assert entry.details["role"] == ["mechanic", "shop_master"]
    assert "name" not in entry.details  # only what changed
    assert entry.actor_id == admin.id


def test_a_technician_with_orders_keeps_their_client(db, client, admin, make_order, shops):
    order = make_order()
    tech = order.technician or Technician(name="Has orders", client=order.client)
    order.technician = tech
    db.session.commit()
    _garage, bright = shops
    page = client.get(f"/admin/technicians/{tech.id}/edit").get_data(as_text=True)
    assert "their client cannot change" in page  # said before anyone tries
    response = client.post(
        f"/admin/technicians/{tech.id}/edit", data=form(bright.id, name=tech.name)
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "their client cannot change" in html and 'id="client-error"' in html
    db.session.rollback()
    assert db.session.get(Technician, tech.id).client_id == order.client_id
    # Everything else can still change.
    response = client.post(
        f"/admin/technicians/{tech.id}/edit",
        data=form(order.client_id, name="Renamed", role="shop_master"),
    )
    assert response.status_code == 303


def test_the_status_is_not_a_field_blocking_stays_qcs(db, client, admin, shops):
    garage, _bright = shops
    tech = Technician(name="Blocked one", client=garage, status=TechnicianStatus.BLOCKED)
    db.session.add(tech)
    db.session.commit()
    page = client.get(f"/admin/technicians/{tech.id}/edit").get_data(as_text=True)
    assert 'name="status"' not in page and "QC department" in page
    response = client.post(
        f"/admin/technicians/{tech.id}/edit",
        data=form(garage.id, name="Blocked one", status="active"),
    )
    assert response.status_code == 303
    assert technicians(db)[0].status == TechnicianStatus.BLOCKED
    assert "Delete" not in client.get("/admin/technicians").get_data(as_text=True)


def test_names_are_escaped(db, client, admin, shops):
    client.post("/admin/technicians/new", data=form("", name=XSS))
    html = client.get("/admin/technicians").get_data(as_text=True)
    assert XSS not in html and "&lt;script&gt;" in html


# --- the list -------------------------------------------------------------------------------


def test_filters_by_client_role_status_and_name(db, client, admin, shops):
    garage, bright = shops
    db.session.add_all(
        [
            Technician(name="Сергей Орлов", client=garage, role=TechnicianRole.SHOP_MASTER),
            Technician(name="Пётр Иванов", client=garage),
            Technician(name="Tom Baker", client=bright, status=TechnicianStatus.BLOCKED),
            Technician(name="Ivan Independent"),
        ]
    )
    db.session.commit()

    def names(query: str) -> set[str]:
        html = client.get("/admin/technicians" + query).get_data(as_text=True)
        everyone = {"Сергей Орлов", "Пётр Иванов", "Tom Baker", "Ivan Independent"}
        return {n for n in everyone if n in html}

    assert names("") == {"Сергей Орлов", "Пётр Иванов", "Tom Baker", "Ivan Independent"}
    assert names(f"?client={garage.id}") == {"Сергей Орлов", "Пётр Иванов"}
    assert names("?client=independent") == {"Ivan Independent"}
    assert names("?role=shop_master") == {"Сергей Орлов"}
    assert names("?show=blocked") == {"Tom Baker"}
    assert names("?show=active&role=mechanic") == {"Пётр Иванов", "Ivan Independent"}
    assert names("?q=орлов") == {"Сергей Орлов"}  # any case, Cyrillic too
    assert names("?q=петр") == {"Пётр Иванов"}  # ё as е
    assert names("?q=ivan") == {"Ivan Independent"}
    assert names("?client=99999999999&role=nope&show=nope") == names("")  # nonsense: no filter


def test_the_list_pages(db, shops):
    garage, _bright = shops
    db.session.add_all(Technician(name=f"Tech {n:03d}", client=garage) for n in range(5))
    db.session.commit()
    first = technician_service.technicians_overview(per_page=2)
    last = technician_service.technicians_overview(per_page=2, page=99)
    assert (first.total, first.pages, first.page) == (5, 3, 1)
    assert [r.technician.name for r in first.rows] == ["Tech 000", "Tech 001"]
    assert last.page == 3 and [r.technician.name for r in last.rows] == ["Tech 004"]


# --- import from a file --------------------------------------------------------------------

CSV = (
    "name,external_id,client,role,phone\n"
    "Sergei Orlov,GS-T01,garage,shop_master,8 912 345-67-89\n"  # line 2
    "Petr Ivanov,GS-T02,garage,,\n"  # line 3: empty role is a mechanic
    "Nobody,GS-T03,no-such-client,mechanic,\n"  # line 4: bad client
    ",GS-T04,garage,boss,12\n"  # line 5: three bad fields
    "Tom Baker,BW-7,bright,Mechanic,07911 123456\n"  # line 6
    "Ivan Master,MASTER-001,,,+7 912 000-11-22\n"  # line 7: independent
)


def upload(client, content: bytes, name="technicians.csv"):
    return client.post(
        "/admin/technicians/import",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


@on_both_databases
def test_csv_import_reports_bad_rows_by_line_and_field_and_imports_the_rest(
    db, client, admin, shops
):
    response = upload(client, "\ufeff".encode() + CSV.encode())  # with a BOM
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "line 4, client: no client with the key no-such-client" in html
    assert "line 5, name: a name is required" in html
    assert "line 5, role: boss is not a role" in html
    assert "line 5, phone: 12 is not a" in html
    assert "4 technicians added" in html and "2 rows rejected" in html
    stored = {t.external_id: t for t in technicians(db)}
    assert set(stored) == {"GS-T01", "GS-T02", "BW-7", "MASTER-001"}
    assert stored["GS-T01"].role == TechnicianRole.SHOP_MASTER
    assert stored["GS-T01"].phone == "+79123456789"
    assert stored["GS-T02"].role == TechnicianRole.MECHANIC
    assert stored["BW-7"].phone == "+447911123456"
    assert stored["MASTER-001"].client_id is None

    # The same file again: nothing is added twice, nothing changes.
    html = upload(client, CSV.encode()).get_data(as_text=True)
    assert "0 technicians added" in html and "4 already as in the file" in html
    assert len(technicians(db)) == 4

    # A corrected file updates who changed, by client and external id.
    fixed = (
        "name;external_id;client;role\n"  # semicolons, no phone column: phones stay
        "Sergei Orlov;GS-T01;garage;mechanic\n"
        "Petr Ivanov;GS-T02;garage;\n"
        "Nikolai Sidorov;GS-T04;garage;shop_master\n"
    )
    html = upload(client, fixed.encode()).get_data(as_text=True)
    assert "1 technician added" in html and "1 updated" in html
    stored = {t.external_id: t for t in technicians(db)}
    assert len(stored) == 5
    assert stored["GS-T01"].role == TechnicianRole.MECHANIC
    assert stored["GS-T01"].phone == "+79123456789"
    updated = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "technician.updated"))
    assert updated.details["role"] == ["shop_master", "mechanic"]
    assert updated.details["source"] == "import"
    assert audit_actions(db).count("technicians.imported") == 3


def test_csv_import_refuses_a_file_it_cannot_read(db, client, admin, shops):
    # Byte 0x98 is neither UTF-8 nor a Windows-1251 letter.
    html = upload(client, b"name,external_id,client\n\x98\x98,1,garage\n").get_data(as_text=True)
    assert "the file is neither UTF-8 nor Windows-1251 text" in html
    html = upload(client, b"name,client\nX,garage\n").get_data(as_text=True)
    assert "line 1: missing columns: external_id" in html
    html = upload(client, b"name,external_id,client,shoe_size\nX,1,,44\n").get_data(as_text=True)
    assert "unknown columns: shoe_size" in html
    response = upload(client, b"name,external_id,client\nX,1,\n", name="technicians.xls")
    assert response.status_code == 422
    assert "Choose a CSV or XLSX file." in response.get_data(as_text=True)
    assert technicians(db) == []
    response = client.post("/admin/technicians/import", data={})
    assert response.status_code == 422 and "Choose a file." in response.get_data(as_text=True)


def test_a_windows_1251_file_with_semicolons_imports_cyrillic_names(db, client, admin, shops):
    content = (
        "name;external_id;client;role;phone\r\n"
        "Сергей Ёлкин;ГС-01;garage;shop_master;8 912 345-67-89\r\n"
        "Пётр Иванов;ГС-02;garage;;\r\n"
        "Безымянный;ГС-03;нет-такого;;\r\n"  # line 4: no such client
    )
    html = upload(client, content.encode("cp1251")).get_data(as_text=True)
    assert "2 technicians added" in html and "1 row rejected" in html
    assert "line 4, client: no client with the key нет-такого" in html
    stored = {t.external_id: t for t in technicians(db)}
    assert set(stored) == {"ГС-01", "ГС-02"}
    assert stored["ГС-01"].name == "Сергей Ёлкин"
    assert stored["ГС-01"].role == TechnicianRole.SHOP_MASTER
    assert stored["ГС-01"].phone == "+79123456789"
    assert stored["ГС-02"].name == "Пётр Иванов"


def test_an_xlsx_file_of_technicians_imports_with_bad_rows_by_sheet_row(db, client, admin, shops):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Name", "External_ID", "Client", "Role", "Phone"])
    sheet.append(["Сергей Орлов", 1001, "garage", "shop_master", 79123456789])  # numbers
    sheet.append([None, None, None, None, None])  # row 3: blank
    sheet.append(["Tom Baker", "BW-7", "bright", None, "07911 123456"])
    sheet.append(["Nobody", 1002, "garage", "boss", None])  # row 5: bad role
    sheet.append(["Ivan Master", 7.0, None, None, None])  # an independent master, id 7
    content = io.BytesIO()
    book.save(content)

    html = upload(client, content.getvalue(), name="Technicians.XLSX").get_data(as_text=True)
    assert "3 technicians added" in html and "1 row rejected" in html
    assert "line 5, role: boss is not a role" in html
    stored = {t.external_id: t for t in technicians(db)}
    assert set(stored) == {"1001", "BW-7", "7"}
    assert stored["1001"].name == "Сергей Орлов"
    assert stored["1001"].role == TechnicianRole.SHOP_MASTER
    assert stored["1001"].phone == "+79123456789"
    assert stored["BW-7"].phone == "+447911123456"
    assert stored["7"].client_id is None


def test_a_quote_never_closed_is_reported_on_its_line_and_the_next_rows_go_in(
    db, client, admin, shops
):
    content = (
        "name,external_id,client\n"
        "A,1,garage\n"
        '"B,2,garage\n'  # line 3: the quote is never closed
        "C,3,garage\n"
        "D,4,garage\n"
    )
    html = upload(client, content.encode()).get_data(as_text=True)
    assert "line 3: a quote (&#34;) is not closed" in html
    assert "3 technicians added" in html and "1 row rejected" in html
    assert sorted(t.name for t in technicians(db)) == ["A", "C", "D"]


def test_csv_import_a_technician_twice_in_one_file_and_blank_lines(db, client, admin, shops):
    content = (
        "name,external_id,client\n"
        "A,7,garage\n"
        "\n"
        "B,7,garage\n"  # line 4
        "C,7,bright\n"  # another client: another person
    )
    html = upload(client, content.encode()).get_data(as_text=True)
    assert "line 4, external_id: the same technician is on line 2 already" in html
    assert sorted(t.name for t in technicians(db)) == ["A", "C"]


# --- access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.QC, Role.SUPERVISOR])
def test_only_admins_manage_technicians(db, client, login_as, shops, role):
    garage, _bright = shops
    tech = Technician(name="Someone", client=garage)
    db.session.add(tech)
    db.session.commit()
    login_as(role)
    for method, url in [
        ("GET", "/admin/technicians"),
        ("GET", "/admin/technicians/new"),
        ("POST", "/admin/technicians/new"),
        ("GET", f"/admin/technicians/{tech.id}/edit"),
        ("POST", f"/admin/technicians/{tech.id}/edit"),
        ("GET", "/admin/technicians/import"),
        ("POST", "/admin/technicians/import"),
    ]:
        response = client.open(url, method=method, data=form(garage.id, name="Hacked"))
        assert response.status_code == 403, (method, url)
    assert technicians(db)[0].name == "Someone"
    assert db.session.scalar(select(func.count()).select_from(Technician)) == 1
