"""The QC complaint inbox: what a row shows, filters with their counts, search, sorting, pages
(keyset), live refresh fragments, and bulk assignment."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from console.models import (
    Complaint,
    ComplaintEvent,
    ComplaintKind,
    ComplaintSource,
    ComplaintStatus,
    Customer,
    CustomerPhone,
    Role,
    utcnow,
)
from console.services.complaints import inbox as inbox_queries
from console.services.complaints import opening as complaints
from console.services.complaints import sla
from console.services.complaints.inbox import InboxFilter
from tests.helpers import on_both_databases

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def make_complaint(db, make_order):
    """A complaint as a call opens it (snapshot, deadlines, timeline), then adjusted."""

    def make(
        order=None,
        *,
        category="quality",
        categories=None,
        created=NOW - timedelta(hours=1),
        **fields,
    ):
        order = order or make_order()
        kind = ComplaintKind.POACHING if category == "poaching" else ComplaintKind.COMPLAINT
        complaint = complaints.open_complaint(
            order,
            categories=categories or [category],
            kind=kind,
            source=fields.pop("source", ComplaintSource.CALL),
            snapshot=complaints.order_snapshot(order),
            now=created,
        )
        for name, value in fields.items():
            setattr(complaint, name, value)
        db.session.commit()
        return complaint

    return make


@pytest.fixture
def qc(login_as):
    return login_as(Role.QC)


def shown(response) -> list[int]:
    """The complaint numbers of the rows, in order."""
    return [int(n) for n in re.findall(r'data-complaint="(\d+)"', response.get_data(as_text=True))]


def count_of(html: str, href_part: str) -> int | None:
    """The count beside the filter link whose URL contains ``href_part`` (None: no count)."""
    for match in re.finditer(
        r'<a href="([^"]*)" class="inbox-facet[^"]*"[^>]*>(.*?)</a>', html, re.S
    ):
        if href_part in match.group(1).replace("&amp;", "&"):
            count = re.search(r'data-count="(\d+)"', match.group(2))
            return int(count.group(1)) if count else None
    raise AssertionError(f"no filter link with {href_part}")


def test_a_row_says_what_qc_needs_and_links_to_the_complaint(client, qc, make_complaint):
    complaint = make_complaint(category="punctuality")
    html = client.get("/qc/").get_data(as_text=True)
    row = html[html.index(f'data-complaint="{complaint.id}"') :]
    row = row[: row.index("</tr>")]
    assert f"#{complaint.id}" in row
    assert "punctuality" in row
    assert complaint.customer.name in row
    assert complaint.client.name in row
    assert complaint.technician.name in row
    assert f'href="/qc/complaints/{complaint.id}"' in row
    assert 'data-deadline-state="' in row  # the deadline badge


def test_the_complaint_page_endpoint_exists(app):
    from flask import url_for

    with app.test_request_context():
        assert url_for("qc.complaint", complaint_id=7) == "/qc/complaints/7"


def test_only_qc_and_supervisors_open_the_inbox(client, login_as, make_user):
    login_as(Role.OPERATOR)
    assert client.get("/qc/").status_code == 403
    client.post("/logout")
    login_as(Role.SUPERVISOR)
    assert client.get("/qc/").status_code == 200


def test_open_is_the_default_and_finished_ones_are_a_click_away(client, qc, make_complaint):
    open_one = make_complaint()
    closed = make_complaint(status=ComplaintStatus.CLOSED, resolved_at=NOW, closed_at=NOW)
    assert shown(client.get("/qc/")) == [open_one.id]
    assert shown(client.get("/qc/?status=closed")) == [closed.id]
    assert set(shown(client.get("/qc/?status=all"))) == {open_one.id, closed.id}
    # The archive opens newest first (a finished complaint has no deadline to sort by).
    assert 'href="/qc/?status=closed&amp;sort=-number"' in client.get("/qc/").text


def test_filters_narrow_the_list_and_counts_stand_beside_them(
    client, qc, make_user, make_complaint, make_order
):
    colleague = make_user(Role.QC, name="Olga Colleague")
    quality = make_complaint(category="quality", assignee_id=qc.id)
    price = make_complaint(category="price", assignee_id=colleague.id)
    poaching = make_complaint(category="poaching")

    assert shown(client.get("/qc/?category=price")) == [price.id]
    assert shown(client.get("/qc/?kind=poaching")) == [poaching.id]
    assert shown(client.get("/qc/?assignee=me")) == [quality.id]
    assert shown(client.get("/qc/?assignee=none")) == [poaching.id]
    assert shown(client.get(f"/qc/?assignee={colleague.id}")) == [price.id]
    assert shown(client.get(f"/qc/?client={quality.client_id}&category=quality")) == [quality.id]

    html = client.get("/qc/?category=price").get_data(as_text=True)
    # Each filter counts under the others; a category's own count ignores the chosen category.
    assert count_of(html, "category=quality") == 1
    assert count_of(html, "assignee=me") == 0  # mine are not about price
    assert count_of(html, "assignee=" + str(colleague.id)) == 1
    assert "Olga Colleague" in html


@on_both_databases
def test_the_category_filter_finds_a_complaint_by_any_of_its_categories(client, qc, make_complaint):
    both = make_complaint(categories=["quality", "price"])
    quality = make_complaint(category="quality")

    assert shown(client.get("/qc/?category=price")) == [both.id]  # its second category
    assert sorted(shown(client.get("/qc/?category=quality&sort=number"))) == [both.id, quality.id]
    html = client.get("/qc/").get_data(as_text=True)
    assert "quality, price" in html  # the row names both
    # Each category counts every complaint about it; every other count counts a complaint once.
    assert count_of(html, "category=quality") == 2
    assert count_of(html, "category=price") == 1
    assert count_of(html, "assignee=none") == 2
    html = client.get("/qc/?category=price").get_data(as_text=True)
    assert count_of(html, "category=quality") == 2
    assert count_of(html, "assignee=none") == 1
    counts = inbox_queries.inbox_counts(InboxFilter(category="price"), me_id=None, now=NOW)
    assert (counts.total, counts.status["open"]) == (1, 1)
    assert inbox_queries.inbox_counts(InboxFilter(), me_id=None, now=NOW).total == 2


def test_deadline_filters_follow_the_sla_states(client, qc, make_complaint):
    now = utcnow()
    overdue = make_complaint(first_answer_due_at=now - timedelta(hours=2))
    soon = make_complaint(first_answer_due_at=now + timedelta(minutes=30))
    later = make_complaint(first_answer_due_at=now + timedelta(hours=10))
    # Answered already: the resolution deadline is the one that counts now.
    answered = make_complaint(
        first_answer_due_at=now - timedelta(hours=5),
        first_answered_at=now - timedelta(hours=6),
        resolution_due_at=now + timedelta(days=2),
    )
    # Waiting for the customer: the clock stands still, never overdue.
    paused = make_complaint(
        first_answer_due_at=now - timedelta(hours=1),
        status=ComplaintStatus.WAITING_CUSTOMER,
        sla_paused_at=now - timedelta(hours=3),
    )
    assert shown(client.get("/qc/?deadline=overdue")) == [overdue.id]
    assert shown(client.get("/qc/?deadline=due_soon")) == [soon.id]
    html = client.get("/qc/").get_data(as_text=True)
    assert count_of(html, "deadline=overdue") == 1
    assert count_of(html, "deadline=due_soon") == 1
    # The row's badge says the same as the filter.
    row = html[html.index(f'data-complaint="{overdue.id}"') :]
    assert 'data-deadline-state="overdue"' in row[: row.index("</tr>")]
    # Soonest deadline first; one waiting for the customer after every running one (nothing
    # is due from QC meanwhile), though its frozen due time has passed.
    order = shown(client.get("/qc/"))
    assert order == [overdue.id, soon.id, later.id, answered.id, paused.id]
    assert shown(client.get("/qc/?sort=-deadline")) == list(reversed(order))


def test_search_by_phone_order_number_complaint_number_and_name(
    client, qc, db, make_order, make_complaint
):
    from console.models import Client

    acme = Client(key="acme", name="Acme Auto", country="RU")
    db.session.add(acme)
    customer = Customer(client=acme, name="Пётр Сидоров")
    customer.phones.append(CustomerPhone(e164="+79123456789", is_primary=True))
    db.session.add(customer)
    mine = make_complaint(make_order(client=acme, customer=customer, external_id="ZK-771"))
    other = make_complaint(make_order(client=acme))

    for query in ("8 912 345-67-89", "+7 (912) 345 67 89", "zk-771", "ZK-771", "сидоров", "Сидор"):
        assert shown(client.get("/qc/", query_string={"q": query})) == [mine.id], query
    assert shown(client.get("/qc/", query_string={"q": f"#{other.id}"})) == [other.id]
    assert shown(client.get("/qc/", query_string={"q": "nobody at all"})) == []
    # A search keeps the other filters, and the filters keep the search.
    html = client.get("/qc/", query_string={"q": "сидоров"}).get_data(as_text=True)
    assert "q=%D1%81%D0%B8%D0%B4%D0%BE%D1%80%D0%BE%D0%B2" in html


def test_sorting_by_number_and_age(client, qc, make_complaint):
    first = make_complaint(created=NOW - timedelta(hours=5))
    second = make_complaint(created=NOW - timedelta(hours=9))
    third = make_complaint(created=NOW - timedelta(hours=1))
    assert shown(client.get("/qc/?sort=-number")) == [third.id, second.id, first.id]
    assert shown(client.get("/qc/?sort=number")) == [first.id, second.id, third.id]
    assert shown(client.get("/qc/?sort=age")) == [second.id, first.id, third.id]
    assert shown(client.get("/qc/?sort=-age")) == [third.id, first.id, second.id]


def _bulk(db, n: int, order, **fields) -> list[int]:
    """``n`` complaints inserted directly (fast), oldest first, with where they stand by the
    deadline rule (the ORM writes it; a direct insert must)."""
    rows = []
    for k in range(n):
        created = NOW - timedelta(minutes=10 * (n - k))
        row = {
            "kind": ComplaintKind.COMPLAINT,
            "category": "quality",
            "source": ComplaintSource.CALL,
            "status": ComplaintStatus.NEW,
            "order_id": order.id,
            "client_id": order.client_id,
            "customer_id": order.customer_id,
            "technician_id": order.technician_id,
            "snapshot": {},
            "created_at": created,
            "first_answer_due_at": created + timedelta(hours=12),
            "resolution_due_at": created + timedelta(days=3),
            **fields,
        }
        row["deadline_at"], row["deadline_rank"] = sla.deadline_order_of(
            row["status"],
            row["first_answer_due_at"],
            row.get("first_answered_at"),
            row["resolution_due_at"],
            row.get("resolved_at"),
            row.get("sla_paused_at"),
            NOW,
        )
        rows.append(row)
    db.session.execute(sa.insert(Complaint), rows)
    db.session.commit()
    return list(db.session.scalars(sa.select(Complaint.id).order_by(Complaint.id)))


def test_pages_follow_on_and_back_with_the_position(client, qc, db, make_order):
    ids = _bulk(db, 120, make_order())
    first = client.get("/qc/?sort=number")
    html = first.get_data(as_text=True)
    assert shown(first) == ids[:50]
    assert "1–50 of 120" in html
    next_url = re.search(r'rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    second = client.get(next_url)
    assert shown(second) == ids[50:100]
    html = second.get_data(as_text=True)
    assert "51–100 of 120" in html
    third_url = re.search(r'rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    third = client.get(third_url)
    assert shown(third) == ids[100:]
    assert 'rel="next"' not in third.get_data(as_text=True)
    back = re.search(r'rel="prev" href="([^"]+)"', third.get_data(as_text=True)).group(1)
    back_page = client.get(back.replace("&amp;", "&"))
    assert shown(back_page) == ids[50:100]
    assert "51–100 of 120" in back_page.get_data(as_text=True)


@on_both_databases
def test_keyset_pages_cover_every_complaint_once_in_every_sort(app, db, make_order):
    order = make_order()
    ids = _bulk(db, 23, order)
    # Equal sort keys (same created time) must not lose or repeat a row across pages; open and
    # finished ones mix (every status by deadline: the open ones, then the rest by number).
    same = NOW - timedelta(days=1)
    db.session.execute(
        sa.update(Complaint).where(Complaint.id.in_(ids[5:12])).values(created_at=same)
    )
    # Through the ORM, as the workflow does: where each stands in the deadline order follows.
    for complaint in db.session.scalars(sa.select(Complaint).where(Complaint.id.in_(ids[3:10]))):
        complaint.status, complaint.resolved_at, complaint.closed_at = (
            ComplaintStatus.CLOSED,
            NOW,
            NOW,
        )
    for complaint in db.session.scalars(sa.select(Complaint).where(Complaint.id.in_(ids[14:16]))):
        complaint.status, complaint.sla_paused_at = ComplaintStatus.WAITING_CUSTOMER, NOW
    db.session.commit()
    closed = ids[3:10]
    expected = {"all": ids, "open": [i for i in ids if i not in closed], "closed": closed}
    for status, wanted in expected.items():
        for sort in inbox_queries.SORT_CHOICES:
            f, pages = InboxFilter(sort=sort, status=status), []
            while True:
                page = inbox_queries.inbox_page(f, me_id=None, now=NOW, per_page=4)
                pages.append([c.id for c in page.items])
                if page.next_cursor is None:
                    break
                f = InboxFilter(
                    sort=sort, status=status, after=page.next_cursor, start=page.end + 1
                )
            seen = [i for p in pages for i in p]
            assert sorted(seen) == wanted and len(seen) == len(wanted), (status, sort)
            # And back again from the last page: the same pages, in reverse.
            back = [pages[-1]]
            while page.prev_cursor:
                f = InboxFilter(sort=sort, status=status, before=page.prev_cursor, start=page.start)
                page = inbox_queries.inbox_page(f, me_id=None, now=NOW, per_page=4)
                back.insert(0, [c.id for c in page.items])
            assert back == pages, (status, sort)
            assert page.start == 1


@on_both_databases
def test_search_and_counts_on_both_databases(app, db, make_order, make_user):
    from console.models import Client

    gb = Client(key="fixit", name="FixIt London", country="GB", timezone="Europe/London")
    db.session.add(gb)
    customer = Customer(client=gb, name="Oliver Smith")
    customer.phones.append(CustomerPhone(e164="+447700900123", is_primary=True))
    order = make_order(client=gb, customer=customer, external_id="LDN-5")
    _bulk(db, 3, order)
    _bulk(db, 2, make_order())
    for q in ("07700 900123", "ldn-5", "oliver", "SMITH"):
        page = inbox_queries.inbox_page(InboxFilter(q=q), me_id=None, now=NOW)
        assert len(page.items) == 3, q
    counts = inbox_queries.inbox_counts(InboxFilter(), me_id=None, now=NOW)
    assert counts.status["open"] == 5
    assert counts.get("client", gb.id) == 3
    assert counts.get("category", "quality") == 5


def test_the_archive_is_counted_only_where_an_index_answers(client, qc, db, make_order):
    order = make_order()
    _bulk(db, 10_001, order, status=ComplaintStatus.CLOSED)
    _bulk(db, 3, order, status=ComplaintStatus.CLOSED, category="price")
    html = client.get("/qc/?status=closed").get_data(as_text=True)
    assert "1–50 of 10,000+" in html  # by the (status, created_at) index, up to ten thousand
    html = client.get("/qc/?status=closed&category=quality").get_data(as_text=True)
    assert "1–50 of many" in html  # the category is read row by row: not counted
    html = client.get("/qc/?status=closed&category=price").get_data(as_text=True)
    assert "1–3 of 3" in html  # one page: counted by listing it
    # Facet counts are of open complaints; the archive shows the filters without numbers.
    assert "The counts beside the filters are of open complaints." in html


def test_counts_follow_a_colleagues_change_at_once(client, qc, db, make_user, make_complaint):
    from console.services.complaints import workflow as complaint_workflow

    colleague = make_user(Role.QC)
    complaint = make_complaint()
    assert count_of(client.get("/qc/").get_data(as_text=True), "assignee=none") == 1
    complaint_workflow.assign(complaint, assignee=colleague, by=colleague, now=utcnow())
    db.session.commit()
    html = client.get("/qc/").get_data(as_text=True)
    assert count_of(html, "assignee=none") == 0
    assert count_of(html, f"assignee={colleague.id}") == 1
    assert shown(client.get(f"/qc/?assignee={colleague.id}")) == [complaint.id]


def test_htmx_asks_for_the_rows_and_gets_the_counts_out_of_band(client, qc, make_complaint):
    complaint = make_complaint()
    response = client.get(
        "/qc/?category=quality", headers={"HX-Request": "true", "HX-Target": "inbox-rows"}
    )
    html = response.get_data(as_text=True)
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="inbox-rows"')
    assert f'data-complaint="{complaint.id}"' in html
    assert 'id="inbox-counts"' in html and 'hx-swap-oob="true"' in html
    # The region re-polls the same view (filter and page) and never pushes the URL.
    poll = re.search(r'<div id="inbox-rows"[^>]* hx-get="([^"]+)"', html).group(1)
    assert poll.startswith("/qc/?category=quality&amp;seen=")
    assert 'hx-trigger="inbox-refresh from:body"' in html
    assert "HX-Request" in response.headers.get("Vary", "")


def test_a_refresh_with_nothing_new_answers_204_and_a_change_shows(
    client, qc, db, make_complaint, request
):
    import time_machine

    complaint = make_complaint()
    rows = {"HX-Request": "true", "HX-Target": "inbox-rows"}
    # The version counts minutes too: hold the clock so the test never straddles a minute.
    clock = time_machine.travel(utcnow(), tick=False)
    clock.start()
    request.addfinalizer(clock.stop)
    html = client.get("/qc/", headers=rows).get_data(as_text=True)
    poll = re.search(r'<div id="inbox-rows"[^>]* hx-get="([^"]+)"', html).group(1)
    poll = poll.replace("&amp;", "&")
    assert client.get(poll, headers=rows).status_code == 204
    # Any step on a complaint moves the version: the next refresh brings the rows.
    from console.services.complaints import workflow as complaint_workflow

    complaint_workflow.note(complaint, body="Called, no answer", by=qc, now=utcnow())
    db.session.commit()
    again = client.get(poll, headers=rows)
    assert again.status_code == 200 and f'data-complaint="{complaint.id}"' in again.text
    # The page itself (no htmx) never answers 204.
    assert client.get(poll).status_code == 200


def test_the_page_works_as_links_without_javascript(client, qc, make_complaint):
    make_complaint(category="price")
    html = client.get("/qc/").get_data(as_text=True)
    assert 'href="/qc/?category=price"' in html
    assert 'method="get" action="/qc/"' in html  # the search form
    assert 'method="post" action="/qc/assign"' in html  # bulk assignment
    assert "<script>" not in html and "style=" not in html and "onclick" not in html


# --- bulk assignment ----------------------------------------------------------------------------


def test_bulk_assign_gives_each_ticked_complaint_with_a_timeline_line(
    client, qc, db, make_user, make_complaint
):
    colleague = make_user(Role.QC, name="Olga Colleague")
    a, b = make_complaint(), make_complaint()
    closed = make_complaint(status=ComplaintStatus.CLOSED, resolved_at=NOW, closed_at=NOW)
    untouched = make_complaint()
    response = client.post(
        "/qc/assign",
        data={
            "complaint": [a.id, b.id, closed.id],
            "assignee": str(colleague.id),
            "note": "Yours this week",
            "back": "status=open&category=quality",
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/qc/?category=quality")
    db.session.expire_all()
    for complaint in (a, b):
        assert complaint.assignee_id == colleague.id
        assert complaint.status == ComplaintStatus.IN_PROGRESS
        event = db.session.scalar(
            sa.select(ComplaintEvent).where(
                ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.kind == "assigned"
            )
        )
        assert event.body == "Yours this week" and event.actor_id == qc.id
    assert closed.assignee_id is None  # finished: left alone
    assert untouched.assignee_id is None
    page = client.get("/qc/?category=quality").get_data(as_text=True)
    assert "2 complaints assigned to Olga Colleague." in page
    assert "1 left as it was" in page


def test_bulk_assign_over_htmx_answers_with_the_rows_and_a_notice(
    client, qc, db, make_user, make_complaint
):
    colleague = make_user(Role.SUPERVISOR, name="Sam Supervisor")
    a = make_complaint()
    response = client.post(
        "/qc/assign",
        data={"complaint": [a.id], "assignee": str(colleague.id), "back": ""},
        headers={"HX-Request": "true", "HX-Target": "inbox-rows"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="inbox-rows"')
    assert "data-clear-selection" in html
    assert 'hx-swap-oob="innerHTML:#notices"' in html
    assert "1 complaint assigned to Sam Supervisor." in html
    assert "Sam Supervisor" in html[html.index(f'data-complaint="{a.id}"') :]


def test_bulk_assign_needs_a_ticked_row_and_someone_to_give_it_to(
    client, qc, db, make_user, make_complaint
):
    a = make_complaint()
    response = client.post("/qc/assign", data={"complaint": [a.id], "assignee": ""})
    assert response.status_code == 303
    assert "Choose a person or a department." in client.get("/qc/").get_data(as_text=True)
    colleague = make_user(Role.QC)
    client.post("/qc/assign", data={"assignee": str(colleague.id)})
    assert "Tick the complaints to assign first." in client.get("/qc/").get_data(as_text=True)
    # An operator is not someone a complaint can be given to.
    operator = make_user(Role.OPERATOR)
    client.post("/qc/assign", data={"complaint": [a.id], "assignee": str(operator.id)})
    db.session.expire_all()
    assert a.assignee_id is None


def test_bulk_assign_to_a_department_only(client, qc, db, make_complaint):
    a = make_complaint()
    client.post("/qc/assign", data={"complaint": [a.id], "department": "service"})
    db.session.expire_all()
    assert a.department == "service" and a.assignee_id is None


def test_operators_cannot_bulk_assign(client, login_as, make_complaint, make_user, db):
    a = make_complaint()
    login_as(Role.OPERATOR)
    qc_user = make_user(Role.QC)
    response = client.post("/qc/assign", data={"complaint": [a.id], "assignee": str(qc_user.id)})
    assert response.status_code == 403
    db.session.expire_all()
    assert a.assignee_id is None


def test_a_search_that_matches_only_under_other_statuses_says_so_with_a_link(
    client, qc, db, make_order, make_complaint
):
    closed = make_complaint(status=ComplaintStatus.CLOSED, closed_at=NOW)
    customer = closed.customer
    resolved = make_complaint(
        make_order(client=closed.client, customer=customer), status=ComplaintStatus.RESOLVED
    )
    make_complaint()  # an open one, someone else's

    html = client.get("/qc/", query_string={"q": f"#{closed.id}"}).get_data(as_text=True)
    assert "No complaints match" not in html
    assert f"#{closed.id} is closed." in html
    link = re.search(r'<a href="([^"]+)">Show it</a>', html).group(1).replace("&amp;", "&")
    assert shown(client.get(link)) == [closed.id]

    # By the customer's name: two, closed and resolved; the link shows every status.
    html = client.get("/qc/", query_string={"q": customer.name}).get_data(as_text=True)
    assert "but 2 match under others" in html
    link = re.search(r'<a href="([^"]+)">Show all statuses</a>', html).group(1)
    assert sorted(shown(client.get(link.replace("&amp;", "&")))) == [closed.id, resolved.id]

    # Under "Closed", the resolved one is elsewhere; nothing anywhere says so plainly.
    html = client.get("/qc/", query_string={"q": f"#{resolved.id}", "status": "closed"})
    assert f"#{resolved.id} is resolved." in html.get_data(as_text=True)
    html = client.get("/qc/", query_string={"q": "#99999"}).get_data(as_text=True)
    assert "No complaints match this filter." in html and "Show" not in html


def test_the_same_in_russian(client, qc, db, make_complaint):
    closed = make_complaint(status=ComplaintStatus.CLOSED, closed_at=NOW)
    html = client.get(
        "/qc/", query_string={"q": f"#{closed.id}"}, headers={"Accept-Language": "ru"}
    ).get_data(as_text=True)
    assert f"#{closed.id}" in html and "Показать" in html
