"""In a real browser, an admin's people pages: adding a technician (a field error first, then
saved), editing a user and giving them a one-time password link, which the person opens to set
a new password. axe-core checks each page for accessibility violations."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from console.models import Client, Role, Technician, TechnicianRole, User
from tests.browser.conftest import screenshot
from tests.browser.journeys import CSRF_ON, assert_accessible, sign_in

pytestmark = pytest.mark.browser


@CSRF_ON
def test_admin_adds_a_technician_and_edits_a_user(
    page, browser, live_server, db, make_user, app_config
):
    garage = Client(key="garage", name="Garage-Service", country="RU", timezone="Europe/Moscow")
    db.session.add(garage)
    db.session.commit()
    admin = make_user(Role.ADMIN, name="Alex Admin", timezone="Europe/Moscow")
    anna = make_user(Role.OPERATOR, name="Anna Operator", email="anna@example.test")

    sign_in(page, live_server, admin, "Overview")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Technicians").click()
    expect(page.get_by_role("heading", level=1, name="Technicians")).to_be_visible()
    page.get_by_role("link", name="Add a technician").click()
    expect(page.get_by_role("heading", level=1, name="Add a technician")).to_be_visible()
    assert_accessible(page)

    # A phone that is no number: the error is next to the field, what was typed stays.
    page.get_by_label("Name").fill("Sergei Orlov")
    page.get_by_label("Client").select_option(label="Garage-Service")
    page.get_by_label("External id").fill("GS-T01")
    page.get_by_label("Role").select_option(label="Shop master")
    page.get_by_label("Phone").fill("12")
    page.get_by_role("button", name="Save").click()
    phone = page.get_by_label("Phone")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#phone-error")).to_contain_text("12 is not a")
    expect(page.get_by_label("Name")).to_have_value("Sergei Orlov")
    assert_accessible(page)
    screenshot(page, "admin-technician-field-error")

    phone.fill("8 912 345-67-89")  # national: read as the client's country's
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#notices")).to_contain_text("Sergei Orlov is added.")
    row = page.locator("tr", has_text="Sergei Orlov")
    expect(row).to_contain_text("Shop master")
    expect(row).to_contain_text("+7 912 345-67-89")
    expect(row).to_contain_text("Garage-Service")
    assert_accessible(page)
    screenshot(page, "admin-technicians-list")
    db.session.rollback()
    orlov = db.session.scalar(select(Technician).where(Technician.external_id == "GS-T01"))
    assert orlov.role == TechnicianRole.SHOP_MASTER and orlov.phone == "+79123456789"

    # Users: Anna moves to the QC department, reads Russian, in Yekaterinburg's time.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    page.get_by_role("link", name="Edit Anna Operator").click()
    expect(page.get_by_role("heading", level=1, name="Anna Operator")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Role").select_option(label="QC department")
    page.get_by_label("Language").select_option(label="Русский")
    page.get_by_label("Time zone").select_option("Asia/Yekaterinburg")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#notices")).to_contain_text("Anna Operator is saved.")
    db.session.rollback()
    anna = db.session.get(User, anna.id, populate_existing=True)
    assert (anna.role, anna.locale, anna.timezone) == (Role.QC, "ru", "Asia/Yekaterinburg")

    # A one-time link to set her password, shown once to pass on.
    page.get_by_role("button", name="Make a password link").click()
    link = page.get_by_label("One-time link")
    expect(link).to_be_visible()
    url = link.input_value()
    assert url.startswith(f"{live_server}/password/")
    assert_accessible(page)
    screenshot(page, "admin-user-edit-password-link")
    # The one error the console saw is the form's refused save, answered 422 on purpose.
    assert [e for e in page.console_errors if "status of 422" not in e] == []

    # Anna opens it in her own browser and sets a new password.
    context = browser.new_context(locale="ru-RU")
    try:
        hers = context.new_page()
        hers.goto(url)
        expect(hers.get_by_role("heading", level=1)).to_have_text("Задайте пароль")
        assert_accessible(hers)
        hers.get_by_label("Новый пароль").fill("a much better passphrase")
        hers.get_by_label("Тот же пароль ещё раз").fill("a much better passphrase")
        hers.get_by_role("button", name="Задать пароль").click()
        expect(hers.get_by_role("heading", level=1, name="Войти")).to_be_visible()
        screenshot(hers, "password-link-used")
        hers.goto(url)
        expect(hers.get_by_role("alert")).to_be_visible()  # once only
    finally:
        context.close()
