"""In a real browser: QC writes to the customer from the complaint. A canned reply goes in where
the cursor is (keyboard only), the preview follows what is typed, Send records the email once
and logs it as the contact, and its line on the timeline turns to "sent" once the job has sent
it. In English on a laptop and in Russian on a phone, with axe."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from console.jobs.notifications import send_due
from console.models import CannedReply, Role, utcnow
from tests.browser.conftest import SCREENSHOTS, screenshot
from tests.browser.journeys import CSRF_ON, assert_accessible, sign_in
from tests.browser.test_qc_journey import open_tab
from tests.qc import complaint_fixtures

pytest_plugins = ["tests.qc.fake_endpoints"]  # smtp_server

open_complaint = complaint_fixtures.open_complaint

pytestmark = pytest.mark.browser


@pytest.fixture
def case(app, db, open_complaint, smtp_server):
    smtp_server.refuse = False
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port, SMTP_STARTTLS=False)
    complaint = open_complaint()
    complaint.customer.name = "Ivan Petrov"
    complaint.customer.email = "ivan@example.com"
    for title, locale, body in (
        ("Apology", "en", "We are sorry about order {order_number}, {customer_name}."),
        ("Извинение", "ru", "Приносим извинения за заказ {order_number}, {customer_name}."),
    ):
        db.session.add(
            CannedReply(title=title, locale=locale, body=body, active=True, updated_at=utcnow())
        )
    db.session.commit()
    return complaint


@CSRF_ON
def test_a_canned_reply_goes_in_at_the_cursor_and_the_email_is_sent_once(
    page, live_server, db, make_user, case, smtp_server, app_config
):
    qc = make_user(Role.QC, name="Quinn QC", timezone="Europe/Moscow")
    sign_in(page, live_server, qc, "Complaints")
    page.goto(f"{live_server}/qc/complaints/{case.id}")
    panel = open_tab(page, "Email the customer")
    message = panel.get_by_label("Message")
    expect(panel.get_by_label("To")).to_have_value("ivan@example.com")
    expect(panel.get_by_label("Language")).to_have_value("ru")  # the client's country's
    panel.get_by_label("Language").select_option("en")

    message.fill("Hello. Best wishes.")
    message.evaluate("el => el.setSelectionRange(7, 7)")  # after "Hello. "
    picker = panel.get_by_label("Insert a canned reply")
    picker.focus()
    picker.select_option(label="Apology")
    page.keyboard.press("Tab")
    expect(panel.get_by_role("button", name="Insert")).to_be_focused()
    page.keyboard.press("Enter")
    reply = f"We are sorry about order {case.order.external_id}, Ivan Petrov."
    expect(message).to_have_value(f"Hello. {reply}Best wishes.")
    expect(message).to_be_focused()
    caret = message.evaluate("el => el.selectionStart")
    assert caret == len("Hello. ") + len(reply)  # the cursor after what went in
    expect(panel.locator("#email-preview")).to_contain_text(reply)  # the preview follows
    assert page.console_errors == [], sorted(set(page.console_errors))
    assert_accessible(page)
    screenshot(page, "qc-email-customer")
    page.console_errors.clear()

    send = panel.get_by_role("button", name="Send the email")
    send.dblclick()
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Customer contacted")
    expect(timeline).to_contain_text("email waiting to be sent")
    expect(timeline.locator(".tl-contact")).to_have_count(1)
    assert send_due() == 1
    expect(timeline).to_contain_text("email sent", timeout=30_000)  # asked every 10 s
    timeline.screenshot(path=str(SCREENSHOTS / "qc-email-customer-sent.png"))
    assert len(smtp_server.messages) == 1
    # Every action's swap of the work area (a note's too) logs Chrome's refusal of an empty
    # inline style under the CSP; anything else would be this panel's.
    others = [e for e in page.console_errors if "Applying inline style" not in e]
    assert others == [], others


@CSRF_ON
def test_the_email_panel_in_russian_on_a_phone(page, live_server, db, make_user, case, app_config):
    qc = make_user(Role.QC, name="Квинн", timezone="Europe/Moscow", locale="ru")
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, qc, "Жалобы")
    page.goto(f"{live_server}/qc/complaints/{case.id}")
    panel = open_tab(page, "Письмо клиенту")
    panel.get_by_label("Язык").select_option("ru")
    message = panel.get_by_label("Сообщение")
    message.fill("Добрый день.")
    message.evaluate("el => el.setSelectionRange(el.value.length, el.value.length)")
    panel.get_by_label("Вставить шаблон ответа").select_option(label="Извинение")
    panel.get_by_role("button", name="Вставить").click()
    expect(message).to_have_value(
        f"Добрый день.Приносим извинения за заказ {case.order.external_id}, Ivan Petrov."
    )
    preview = panel.locator("#email-preview")
    expect(preview).to_contain_text(f"Ваша жалоба №{case.id}")
    expect(preview).to_contain_text("Приносим извинения")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390
    assert_accessible(page)
    screenshot(page, "qc-email-customer-ru-phone")
    page.locator("#complaint-actions").screenshot(
        path=str(SCREENSHOTS / "qc-email-customer-ru-phone-panel.png")
    )


@CSRF_ON
@pytest.mark.parametrize(
    ("locale", "width"), [("en", 1366), ("ru", 390)], ids=["en-laptop", "ru-phone"]
)
def test_the_clients_emails_and_the_canned_replies_pages(
    page, live_server, db, make_user, case, app_config, locale, width
):
    page.set_viewport_size({"width": width, "height": 844 if width == 390 else 768})
    admin = make_user(Role.ADMIN, name="Ada Admin", locale=locale)
    sign_in(page, live_server, admin, "Overview" if locale == "en" else "Обзор")
    page.goto(f"{live_server}/admin/clients/{case.client_id}")
    page.locator("#customer-emails a").click()
    section = page.locator(f"section#{locale}")
    body = section.get_by_role("textbox", name="Text" if locale == "en" else "Текст")
    body.fill("Hi {customer_name}, {message} {order}")
    section.get_by_role("button", name="Preview" if locale == "en" else "Предпросмотр").click()
    section = page.locator(f"section#{locale}")
    expect(section.locator(f"#{locale}-body-error")).to_contain_text("{order}")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    assert_accessible(page)
    screenshot(page, f"admin-client-emails-{locale}-{width}")

    page.goto(f"{live_server}/qc/canned-replies")
    expect(page.locator("table")).to_contain_text("Apology")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    assert_accessible(page)
    screenshot(page, f"canned-replies-{locale}-{width}")
