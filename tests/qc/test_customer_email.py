"""Writing to the customer from the complaint: the client's email in the customer's language,
recorded as a delivery the notification job sends through SMTP, and logged as the customer
contact (the first answer); a double-clicked Send saves one email; the client's templates and
the canned replies, checked when saved; who may do what."""

from __future__ import annotations

import email
import re
import threading
from email import policy

import pytest
from sqlalchemy import select

from console.jobs.notifications import send_due
from console.models import (
    AuditEntry,
    CannedReply,
    CustomerEmail,
    CustomerEmailTemplate,
    DeliveryStatus,
    NotificationDelivery,
    NotificationKind,
    Role,
    utcnow,
)
from tests.helpers import on_both_databases, on_postgresql
from tests.qc import complaint_fixtures

pytest_plugins = ["tests.qc.fake_endpoints"]  # smtp_server

open_complaint, qc_user = complaint_fixtures.open_complaint, complaint_fixtures.qc_user

HX = {"HX-Request": "true"}


@pytest.fixture
def app_config():
    return {"SMTP_STARTTLS": False, "SMTP_TIMEOUT": 3, "NOTIFY_MAX_ATTEMPTS": 2}


@pytest.fixture
def complaint(db, open_complaint):
    case = open_complaint()
    case.customer.name = "Иван Петров"
    case.customer.email = "ivan@example.com"
    case.client.name = "Гараж-Сервис"
    case.client.country = "RU"
    db.session.commit()
    return case


@pytest.fixture
def smtp(app, smtp_server):
    smtp_server.refuse = False
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port)
    return smtp_server


def customer_deliveries(db) -> list[NotificationDelivery]:
    return list(
        db.session.scalars(
            select(NotificationDelivery)
            .where(NotificationDelivery.kind == NotificationKind.CUSTOMER_EMAIL)
            .order_by(NotificationDelivery.id)
        )
    )


def send_key(html: str) -> str:
    return re.search(r'name="email-send_key"[^>]*value="([0-9a-f]+)"', html).group(1)


def email_form(client, complaint, **fields) -> dict:
    page = client.get(f"/qc/complaints/{complaint.id}").get_data(as_text=True)
    return {
        "email-address": "ivan@example.com",
        "email-locale": "ru",
        "email-message": "Мастер приедет завтра в 10:00 и всё переделает бесплатно.",
        "email-send_key": send_key(page),
    } | fields


@on_both_databases
def test_an_email_from_the_complaint_goes_to_the_customer_and_is_the_first_answer(
    app, db, client, login_as, qc_user, complaint, smtp
):
    db.session.add(
        CustomerEmailTemplate(
            client_id=complaint.client_id,
            locale="ru",
            subject="Жалоба №{complaint_number}, заказ {order_number}",
            body="Здравствуйте, {customer_name}!\n\n{message}\n\n{client_name}",
            updated_at=utcnow(),
        )
    )
    db.session.commit()
    login_as(qc_user)
    page = client.get(f"/qc/complaints/{complaint.id}").get_data(as_text=True)
    assert "Email the customer" in page
    assert 'value="ivan@example.com"' in page  # the address on file
    assert re.search(r'<option selected value="ru">|<option value="ru" selected', page)

    response = client.post(
        f"/qc/complaints/{complaint.id}/email", data=email_form(client, complaint), headers=HX
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    html = response.get_data(as_text=True)
    assert "Customer contacted" in html and "email waiting to be sent" in html

    [delivery] = customer_deliveries(db)
    order_number = complaint.order.external_id
    assert delivery.target == "ivan@example.com"
    assert delivery.complaint_id == complaint.id
    assert delivery.subject == f"Жалоба №{complaint.id}, заказ {order_number}"
    assert delivery.payload["text"] == (
        "Здравствуйте, Иван Петров!\n\n"
        "Мастер приедет завтра в 10:00 и всё переделает бесплатно.\n\nГараж-Сервис"
    )
    db.session.refresh(complaint)
    assert complaint.first_answered_at is not None
    [contact] = [e for e in complaint.events if e.kind == "contact"]
    assert contact.data["channel"] == "email" and contact.data["first"] is True
    assert contact.data["delivery"] == delivery.id
    assert contact.body == "Мастер приедет завтра в 10:00 и всё переделает бесплатно."
    audit = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "complaint.customer_emailed")
    )
    assert audit.details["to"] == "ivan@example.com" and audit.details["locale"] == "ru"

    assert smtp.messages == []  # the job sends it
    assert send_due() == 1
    [raw] = smtp.messages
    sent = email.message_from_string(raw, policy=policy.default)
    assert sent["To"] == "ivan@example.com"
    assert sent["Subject"] == f"Жалоба №{complaint.id}, заказ {order_number}"
    assert "Здравствуйте, Иван Петров!" in sent.get_content()
    db.session.refresh(delivery)
    assert delivery.status == DeliveryStatus.SENT

    page = client.get(f"/qc/complaints/{complaint.id}").get_data(as_text=True)
    assert "email sent" in page


def test_without_a_template_the_default_text_in_the_customers_language(
    app, db, client, login_as, qc_user, complaint, smtp
):
    login_as(qc_user)
    data = email_form(client, complaint, **{"email-locale": "en", "email-message": "Hello."})
    assert client.post(f"/qc/complaints/{complaint.id}/email", data=data).status_code == 303
    [delivery] = customer_deliveries(db)
    assert delivery.subject.startswith(f"Your complaint #{complaint.id}")
    assert delivery.payload["text"].startswith("Dear Иван Петров,\n\nHello.")
    # Next time the form offers the language this customer was written to in.
    page = client.get(f"/qc/complaints/{complaint.id}").get_data(as_text=True)
    assert re.search(r'<option selected value="en">|<option value="en" selected', page)

    data = email_form(client, complaint, **{"email-locale": "ru", "email-message": "Привет."})
    client.post(f"/qc/complaints/{complaint.id}/email", data=data)
    russian = customer_deliveries(db)[-1]
    assert russian.subject.startswith(f"Ваша жалоба №{complaint.id}")
    assert russian.payload["text"].startswith("Здравствуйте, Иван Петров!")


@on_both_databases
def test_a_double_clicked_send_records_one_email_and_one_contact(
    app, db, client, login_as, qc_user, complaint, smtp
):
    login_as(qc_user)
    data = email_form(client, complaint)
    first = client.post(f"/qc/complaints/{complaint.id}/email", data=data, headers=HX)
    second = client.post(f"/qc/complaints/{complaint.id}/email", data=data, headers=HX)
    assert first.status_code == second.status_code == 200
    assert len(customer_deliveries(db)) == 1
    assert db.session.scalar(
        select(CustomerEmail.id).where(CustomerEmail.send_key == data["email-send_key"])
    )
    db.session.refresh(complaint)
    assert [e.kind for e in complaint.events].count("contact") == 1


@on_postgresql
def test_two_sends_of_one_form_at_the_same_moment_record_one_email(
    app, db, client, login_as, qc_user, complaint, smtp
):
    """Two requests with the same form in flight at once (a double click on a slow line): the
    second waits for the first's lock on the complaint, then finds the email recorded."""
    login_as(qc_user)
    data = email_form(client, complaint)
    cookie = client.get_cookie("session")
    url = f"/qc/complaints/{complaint.id}/email"
    barrier = threading.Barrier(2)
    statuses = []

    def send():
        twin = app.test_client()
        twin.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
        barrier.wait()
        statuses.append(twin.post(url, data=data).status_code)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [303, 303]
    db.session.rollback()
    assert len(customer_deliveries(db)) == 1
    db.session.refresh(complaint)
    assert [e.kind for e in complaint.events].count("contact") == 1


def test_without_smtp_nothing_is_recorded_and_the_panel_says_so(
    app, db, client, login_as, qc_user, complaint
):
    app.config.update(SMTP_HOST="")
    login_as(qc_user)
    page = client.get(f"/qc/complaints/{complaint.id}").get_data(as_text=True)
    assert "Email is not set up on this console" in page
    response = client.post(
        f"/qc/complaints/{complaint.id}/email", data=email_form(client, complaint), headers=HX
    )
    assert response.status_code == 422
    assert "Email is not set up on this console" in response.get_data(as_text=True)
    assert customer_deliveries(db) == []
    db.session.refresh(complaint)
    assert complaint.first_answered_at is None


def test_an_address_is_required_and_checked_and_a_new_one_is_kept(
    app, db, client, login_as, qc_user, complaint, smtp
):
    complaint.customer.email = None
    db.session.commit()
    login_as(qc_user)
    page = client.get(f"/qc/complaints/{complaint.id}").get_data(as_text=True)
    assert "No address on file" in page
    for address, error in (
        ("", "email address."),
        ("ivan@", "Enter an email address"),
    ):
        response = client.post(
            f"/qc/complaints/{complaint.id}/email",
            data=email_form(client, complaint, **{"email-address": address}),
            headers=HX,
        )
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert 'id="email-address-error"' in html and error in html
    response = client.post(
        f"/qc/complaints/{complaint.id}/email",
        data=email_form(client, complaint, **{"email-message": "  "}),
        headers=HX,
    )
    assert response.status_code == 422
    assert 'id="email-message-error"' in response.get_data(as_text=True)
    assert customer_deliveries(db) == []

    data = email_form(client, complaint, **{"email-address": "new@example.com"})
    assert client.post(f"/qc/complaints/{complaint.id}/email", data=data).status_code == 303
    db.session.refresh(complaint.customer)
    assert complaint.customer.email == "new@example.com"


def test_the_preview_shows_the_filled_email_and_records_nothing(
    app, db, client, login_as, qc_user, complaint, smtp
):
    login_as(qc_user)
    data = email_form(client, complaint, **{"email-message": "<b>Скоро</b> приедем."})
    response = client.post(f"/qc/complaints/{complaint.id}/email/preview", data=data, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"Ваша жалоба №{complaint.id}" in html
    assert "&lt;b&gt;Скоро&lt;/b&gt; приедем." in html  # plain text, escaped on the page
    # Without JavaScript, the Preview button: the page again, the panel open with the preview.
    plain = client.post(f"/qc/complaints/{complaint.id}/email/preview", data=data)
    assert plain.status_code == 200
    page = plain.get_data(as_text=True)
    assert 'data-open="email"' in page and "&lt;b&gt;Скоро&lt;/b&gt; приедем." in page
    assert customer_deliveries(db) == []


def test_the_timeline_shows_a_failed_email_with_its_error(
    app, db, client, login_as, qc_user, complaint, smtp
):
    smtp.refuse = True
    login_as(qc_user)
    client.post(f"/qc/complaints/{complaint.id}/email", data=email_form(client, complaint))
    [delivery] = customer_deliveries(db)
    send_due()
    db.session.refresh(delivery)
    state = client.get(f"/qc/complaints/{complaint.id}/email/{delivery.id}")
    assert "email waiting to be sent" in state.get_data(as_text=True)
    assert "hx-trigger" in state.get_data(as_text=True)  # it asks again while it waits
    delivery.next_attempt_at = utcnow()
    db.session.commit()
    send_due()
    db.session.refresh(delivery)
    assert delivery.status == DeliveryStatus.FAILED
    html = client.get(f"/qc/complaints/{complaint.id}").get_data(as_text=True)
    assert "email not delivered" in html and "Mailbox busy" in html


# --- the client's templates ----------------------------------------------------------------


def test_an_admin_edits_the_clients_email_and_unknown_placeholders_are_refused_by_field(
    db, client, login_as, complaint
):
    login_as(Role.ADMIN)
    url = f"/admin/clients/{complaint.client_id}/customer-emails"
    page = client.get(url).get_data(as_text=True)
    assert "Your complaint #{complaint_number}" in page  # the default, to start from
    assert "Ваша жалоба №{complaint_number}" in page

    for subject, body, field, says in (
        ("Re: {complaint}", "{message}", "en-subject", "Unknown placeholder {complaint}"),
        ("Re", "Hi {customer_name.__class__}\n{message}", "en-body", "Unknown placeholder"),
        ("Re", "Hi {customer_name}", "en-body", "Put {message} where"),
        ("Re", "Hi {customer_name\n{message}", "en-body", "A { or } alone"),
    ):
        response = client.post(
            f"{url}/en", data={"en-subject": subject, "en-body": body, "do": "save"}
        )
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert f'id="{field}-error"' in html and says in html, (subject, body)
    assert db.session.scalar(select(CustomerEmailTemplate)) is None

    body = "Hello {customer_name},\n{message}\nBraces: {{ok}}\n{client_name}"
    preview = client.post(
        f"{url}/en", data={"en-subject": "#{complaint_number}", "en-body": body, "do": "preview"}
    )
    assert preview.status_code == 200
    assert "Hello Ivan Petrov," in preview.get_data(as_text=True)
    assert "Braces: {ok}" in preview.get_data(as_text=True)
    assert db.session.scalar(select(CustomerEmailTemplate)) is None

    saved = client.post(
        f"{url}/en", data={"en-subject": "#{complaint_number}", "en-body": body, "do": "save"}
    )
    assert saved.status_code == 303
    template = db.session.scalar(select(CustomerEmailTemplate))
    assert (template.locale, template.subject, template.body) == ("en", "#{complaint_number}", body)


# --- canned replies ------------------------------------------------------------------------


def test_a_supervisor_keeps_canned_replies_and_the_page_offers_them_filled(
    db, client, login_as, make_user, complaint
):
    login_as(Role.SUPERVISOR)
    refused = client.post(
        "/qc/canned-replies",
        data={
            "title": "Sorry",
            "locale": "en",
            "client": "",
            "body": "About {message}",
            "active": "y",
        },
    )
    assert refused.status_code == 422
    assert 'id="body-error"' in refused.get_data(as_text=True)
    added = client.post(
        "/qc/canned-replies",
        data={
            "title": "Извинение",
            "locale": "ru",
            "client": str(complaint.client_id),
            "position": "1",
            "body": "{customer_name}, приносим извинения за заказ {order_number}.",
            "active": "y",
        },
    )
    assert added.status_code == 303
    reply = db.session.scalar(select(CannedReply))
    assert reply.client_id == complaint.client_id and reply.active

    client.post("/logout")
    login_as(make_user(Role.QC))
    page = client.get(f"/qc/complaints/{complaint.id}").get_data(as_text=True)
    text = f"Иван Петров, приносим извинения за заказ {complaint.order.external_id}."
    assert f'data-text="{text}"' in page
    assert page.count('class="canned"') == 3  # the contact, the note, the email


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/qc/complaints/{id}/email"),
        ("post", "/qc/complaints/{id}/email/preview"),
        ("get", "/qc/canned-replies"),
        ("get", "/admin/clients/{client}/customer-emails"),
    ],
)
def test_an_operator_may_not_write_to_customers_or_keep_replies(
    client, login_as, complaint, method, path
):
    login_as(Role.OPERATOR)
    url = path.format(id=complaint.id, client=complaint.client_id)
    assert getattr(client, method)(url).status_code == 403


def test_qc_uses_canned_replies_but_does_not_keep_them(client, login_as, qc_user):
    login_as(qc_user)
    assert client.get("/qc/canned-replies").status_code == 403
