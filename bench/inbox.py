"""The QC complaint inbox at 100,000 complaints: server time of listing, filtering, searching
and paging, against a bare Flask page of the same byte size.

Data: ``--complaints`` complaints (default 100,000) are added to the run's working copy of the
benchmark data set with SQLAlchemy Core in batches (the cached data set itself is left as it
is), spread over the orders (every k-th), created over the orders' 60 days; about 5 % are
still open (new, in progress, waiting for the customer), the rest resolved, closed or merged,
as a desk that keeps up would have them. Categories, kinds, sources and assignees (8 QC users
``bench-qc-NN@bench.local``) are drawn from a seeded ``random.Random``; each complaint has a
snapshot of its order of the usual size. No timeline rows: the inbox does not read them.

Measured like ``claim_render``: one process, one thread, Werkzeug's test client, and a WSGI
middleware timing each request from the call until its body is complete (server time). One QC
user signs in through ``POST /login``. A round asks for every scenario once (the plain list,
each filter, a combination, each kind of search, sorting, the 2,000th page by keyset, and the
htmx refresh of the rows that every open inbox sends every 15 s, both the full one and the
poll that finds nothing new and gets 204); warm-up rounds first.

``complaint_inbox_p95_ms`` is the 95th percentile over the listing requests (list, filters,
sorts, page 2,000, refreshes) of the measured rounds, each scenario's own p50/p95 beside it;
``complaint_inbox_search_p95_ms`` is the same over the searches (name, phone, order number,
complaint number). The floor is the bare page (``bench.bare``) rendered to the byte size of
the inbox's first page, timed the same way in the same process.
"""

from __future__ import annotations

import random
import re
import statistics
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import sqlalchemy as sa

from bench.bare import make_bare_app
from bench.claim_render import ServerTimer, Unavailable
from bench.common import PASSWORD, emit, log, make_app, percentile

QC_EMAIL = "bench-qc-{:02d}@bench.local"
_POLL = re.compile(rb'<div id="inbox-rows"[^>]* hx-get="([^"]+)"')
QC_USERS = 8
SEED = 1
BATCH = 5_000

CATEGORIES = [
    ("quality", 35),
    ("punctuality", 20),
    ("service", 15),
    ("price", 12),
    ("cleanliness", 8),
    ("damage", 5),
    ("poaching", 3),
    ("other", 2),
]


# --- data ---------------------------------------------------------------------------------------


def _qc_users() -> list[int]:
    from console.extensions import db
    from console.models import Role, User
    from console.services.auth import create_user

    ids, template = [], None
    for n in range(1, QC_USERS + 1):
        email = QC_EMAIL.format(n)
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            if template is None:
                user = template = create_user(
                    email=email,
                    name=f"Bench QC {n:02d}",
                    password=PASSWORD,
                    role=Role.QC,
                    timezone="Europe/Moscow",
                )
            else:  # argon2 is slow on purpose: hash once, share the hash
                user = User(
                    email=email,
                    name=f"Bench QC {n:02d}",
                    password_hash=template.password_hash,
                    role=Role.QC,
                    timezone="Europe/Moscow",
                )
                db.session.add(user)
            db.session.flush()
        ids.append(user.id)
    db.session.commit()
    return ids


def _status(rng: random.Random, age: timedelta):
    from console.models import ComplaintStatus as S

    r = rng.random()
    if age < timedelta(hours=12):
        return S.NEW if r < 0.6 else S.IN_PROGRESS
    if age < timedelta(days=3):
        if r < 0.05:
            return S.NEW
        if r < 0.45:
            return S.IN_PROGRESS
        if r < 0.52:
            return S.WAITING_CUSTOMER
        return S.RESOLVED if r < 0.8 else S.CLOSED
    if r < 0.012:
        return S.IN_PROGRESS  # overdue ones
    if r < 0.018:
        return S.WAITING_CUSTOMER
    if r < 0.028:
        return S.MERGED
    return S.RESOLVED if r < 0.1 else S.CLOSED


def add_complaints(url: str, wanted: int) -> dict:
    """Top the database at ``url`` up to ``wanted`` complaints; return what was done."""
    from console.extensions import db
    from console.models import (
        Client,
        Complaint,
        ComplaintKind,
        ComplaintSource,
        ComplaintStatus,
        Customer,
        Order,
        Technician,
        Validity,
        WorkType,
    )
    from console.services.complaints import sla

    started = time.perf_counter()
    app = make_app(url)
    with app.app_context():
        have = db.session.scalar(sa.select(sa.func.count()).select_from(Complaint))
        qc_ids = _qc_users()
        if have >= wanted:
            return {"added": 0, "total": have, "seconds": 0.0, "qc_users": qc_ids}
        need = wanted - have
        orders = db.session.scalar(sa.select(sa.func.count()).select_from(Order))
        if not orders:
            raise Unavailable("the data set has no orders")
        step = max(1, orders // need)
        clients = {c.id: c for c in db.session.scalars(sa.select(Client))}
        query = (
            sa.select(
                Order.id,
                Order.client_id,
                Order.customer_id,
                Order.technician_id,
                Order.external_id,
                Order.completed_at,
                Order.amount,
                Order.phone,
                Order.description,
                Customer.name.label("customer_name"),
                WorkType.key.label("work_key"),
                WorkType.name.label("work_name"),
                Technician.name.label("technician_name"),
            )
            .join(Customer, Customer.id == Order.customer_id)
            .join(WorkType, WorkType.id == Order.work_type_id)
            .outerjoin(Technician, Technician.id == Order.technician_id)
            .where((Order.id % step) == 0)
            .order_by(Order.id)
            .execution_options(yield_per=BATCH)
        )
        rng = random.Random(f"{SEED}/complaints")
        names = [c for c, _w in CATEGORIES]
        weights = [w for _c, w in CATEGORIES]
        now = datetime.now(UTC).replace(microsecond=0)
        rows, made = [], 0
        while made < need:
            for o in db.session.execute(query):
                if made >= need:
                    break
                client = clients[o.client_id]
                completed = o.completed_at
                # The follow-up call comes 3-7 days after the job; for a recent job, some
                # time between the job and now.
                created = completed + timedelta(minutes=rng.randrange(3 * 1440, 7 * 1440))
                if created >= now:
                    created = completed + (now - completed) * rng.random()
                status = _status(rng, now - created)
                category = rng.choices(names, weights)[0]
                answer_due = created + timedelta(hours=12)
                answered = (
                    created + timedelta(minutes=rng.randrange(10, 14 * 60))
                    if status != ComplaintStatus.NEW
                    else None
                )
                finished = status in (ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED)
                resolved = (
                    min(answered + timedelta(hours=rng.randrange(2, 96)), now) if finished else None
                )
                assigned = status != ComplaintStatus.NEW and rng.random() < 0.9
                row = {
                    "kind": ComplaintKind.POACHING
                    if category == "poaching"
                    else ComplaintKind.COMPLAINT,
                    "category": category,
                    "source": ComplaintSource.MANUAL
                    if rng.random() < 0.1
                    else ComplaintSource.CALL,
                    "status": status,
                    "summary": None,
                    "order_id": o.id,
                    "client_id": o.client_id,
                    "customer_id": o.customer_id,
                    "technician_id": o.technician_id,
                    "snapshot": {
                        "order": {
                            "id": o.id,
                            "external_id": o.external_id,
                            "completed_at": completed.isoformat(),
                            "amount": str(o.amount),
                            "currency": client.currency,
                            "description": o.description,
                            "qc_breakin_advice": None,
                            "qc_declined_repairs": None,
                        },
                        "client": {"id": client.id, "key": client.key, "name": client.name},
                        "customer": {
                            "id": o.customer_id,
                            "name": o.customer_name,
                            "phones": [o.phone] if o.phone else [],
                            "order_phone": o.phone,
                        },
                        "work_type": {"key": o.work_key, "name": o.work_name},
                        "technician": {"id": o.technician_id, "name": o.technician_name}
                        if o.technician_id
                        else None,
                        "answers": [
                            {"question": "How satisfied are you?", "answer": "Not satisfied"}
                        ],
                    },
                    "created_at": created,
                    "assignee_id": rng.choice(qc_ids) if assigned else None,
                    "first_answer_due_at": answer_due,
                    "first_answered_at": answered,
                    "resolution_due_at": created + timedelta(days=3),
                    "resolved_at": resolved,
                    "closed_at": (
                        min(resolved + timedelta(hours=rng.randrange(1, 48)), now)
                        if status == ComplaintStatus.CLOSED
                        else None
                    ),
                    "sla_paused_at": (
                        now - timedelta(hours=rng.randrange(1, 48))
                        if status == ComplaintStatus.WAITING_CUSTOMER
                        else None
                    ),
                    "validity": (
                        (Validity.VALID if rng.random() < 0.6 else Validity.INVALID)
                        if finished
                        else None
                    ),
                }
                # Where it stands by the deadline rule: the ORM writes it, a direct insert must.
                row["deadline_at"], row["deadline_rank"] = sla.deadline_order_of(
                    status,
                    answer_due,
                    answered,
                    row["resolution_due_at"],
                    resolved,
                    row["sla_paused_at"],
                    now,
                )
                rows.append(row)
                made += 1
                if len(rows) >= BATCH:
                    db.session.execute(sa.insert(Complaint.__table__), rows)
                    rows = []
        if rows:
            db.session.execute(sa.insert(Complaint.__table__), rows)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # As autovacuum does after a load (PostgreSQL 13+ vacuums after inserts too): the
            # statistics, and the visibility map that lets the inbox's covering index answer
            # without reading the rows (index-only scans).
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE complaints"))
        total = db.session.scalar(sa.select(sa.func.count()).select_from(Complaint))
        db.session.remove()
        db.engine.dispose()
    return {
        "added": made,
        "total": total,
        "seconds": round(time.perf_counter() - started, 1),
        "qc_users": qc_ids,
    }


# --- scenarios ----------------------------------------------------------------------------------


def _national(e164: str) -> str:
    """The number as a caller would read it out: "8 912 345-67-89" style (national format)."""
    import phonenumbers

    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def scenarios(app, page_rows: int = 50) -> list[tuple[str, str, dict]]:
    """(name, URL, headers): every filter and search, with values taken from the data."""
    from console.extensions import db
    from console.models import Complaint, ComplaintStatus, Customer, CustomerPhone, Order
    from console.services.complaints.inbox import OPEN, Cursor

    with app.app_context():
        # A customer with an open complaint: their name, phone and order number.
        sample = db.session.execute(
            sa.select(Complaint.id, Complaint.customer_id, Complaint.order_id, Complaint.client_id)
            .where(Complaint.status.in_(OPEN))
            .order_by(Complaint.id)
            .limit(1)
            .offset(777)
        ).one()
        name = db.session.scalar(sa.select(Customer.name).where(Customer.id == sample.customer_id))
        phone = db.session.scalar(
            sa.select(CustomerPhone.e164).where(CustomerPhone.customer_id == sample.customer_id)
        )
        number = db.session.scalar(sa.select(Order.external_id).where(Order.id == sample.order_id))
        surname = name.split()[-1]
        biggest_client = db.session.execute(
            sa.select(Complaint.client_id, sa.func.count())
            .group_by(Complaint.client_id)
            .order_by(sa.func.count().desc())
            .limit(1)
        ).one()[0]
        total = db.session.scalar(sa.select(sa.func.count()).select_from(Complaint))
        # Page 2,000 of all complaints, highest number first (50 a page): the row before it.
        position = min(total, 1999 * page_rows)
        before_page = db.session.scalar(
            sa.select(Complaint.id).order_by(Complaint.id.desc()).offset(position - 1).limit(1)
        )
        cursor = Cursor(before_page, before_page).encode()
        db.session.remove()

    def url(**args) -> str:
        return "/qc/" + ("?" + urlencode(args) if args else "")

    refresh = {"HX-Request": "true", "HX-Target": "inbox-rows", "HX-Trigger": "inbox-rows"}
    return [
        ("list", url(), {}),
        ("refresh_rows_htmx", url(), refresh),
        # What an open inbox sends every 15 s: its own URL with the version it shows; 204
        # while nothing changed (the version also moves every minute).
        ("refresh_poll", None, refresh),
        ("status_all", url(status="all"), {}),
        ("status_closed", url(status=ComplaintStatus.CLOSED.value), {}),
        ("status_new", url(status=ComplaintStatus.NEW.value), {}),
        ("category", url(category="price"), {}),
        ("client", url(client=biggest_client), {}),
        ("assignee_me", url(assignee="me"), {}),
        ("unassigned", url(assignee="none"), {}),
        ("kind_poaching", url(kind="poaching"), {}),
        ("overdue", url(deadline="overdue"), {}),
        ("due_soon", url(deadline="due_soon"), {}),
        ("combined", url(category="quality", client=biggest_client, deadline="overdue"), {}),
        ("sort_newest_all", url(status="all", sort="-age"), {}),
        ("search_name_open", url(q=surname), {}),
        ("search_name_all", url(q=surname, status="all"), refresh),
        ("search_phone", url(q=_national(phone), status="all"), refresh),
        ("search_order_number", url(q=number, status="all"), refresh),
        ("search_complaint_number", url(q=f"#{sample.id}", status="all"), refresh),
        (
            "page_2000_all",
            url(status="all", sort="-number", after=cursor, start=position + 1),
            {},
        ),
    ]


# --- the run ------------------------------------------------------------------------------------


def run(dataset, *, complaints: int, rounds: int, warmup: int) -> list[dict]:
    log(f"{dataset.db}: adding complaints up to {complaints:,} ...")
    data = add_complaints(dataset.url, complaints)
    log(f"{dataset.db}: {data['added']:,} complaints added in {data['seconds']} s")

    app = make_app(dataset.url)
    timer = ServerTimer(app.wsgi_app)
    app.wsgi_app = timer
    if "qc.inbox" not in app.view_functions:
        raise Unavailable("the endpoint qc.inbox is missing")
    client = app.test_client()
    response = client.post("/login", data={"email": QC_EMAIL.format(1), "password": PASSWORD})
    if response.status_code != 302:
        raise RuntimeError(f"sign-in of the QC user failed: {response.status_code}")
    plan = scenarios(app)

    with app.app_context():
        from console.extensions import db
        from console.models import Complaint
        from console.services.complaints.inbox import OPEN

        open_count = db.session.scalar(
            sa.select(sa.func.count()).select_from(Complaint).where(Complaint.status.in_(OPEN))
        )
        db.session.remove()

    log(f"{dataset.db}: inbox, {warmup} warm-up and {rounds} measured rounds of {len(plan)} ...")
    samples: dict[str, list[float]] = {name: [] for name, _u, _h in plan}
    sizes: dict[str, list[int]] = {name: [] for name, _u, _h in plan}
    rows: dict[str, int] = {}
    poll_url = None
    statuses: dict[str, list[int]] = {name: [] for name, _u, _h in plan}
    for n in range(warmup + rounds):
        for name, url, headers in plan:
            if name == "refresh_poll":
                url = poll_url
            response = client.get(url, headers=headers)
            if response.status_code not in (200, 204):
                raise RuntimeError(f"GET {url} answered {response.status_code}")
            if response.status_code == 200 and headers.get("HX-Target") == "inbox-rows":
                found = _POLL.search(response.data)
                if found and name in ("refresh_rows_htmx", "refresh_poll"):
                    poll_url = found.group(1).decode().replace("&amp;", "&")
            if n >= warmup:
                samples[name].append(timer.last_ms)
                sizes[name].append(len(response.data))
                statuses[name].append(response.status_code)
                if response.status_code == 200:
                    rows[name] = response.data.count(b"data-complaint=")

    listing = {n: v for n, v in samples.items() if not n.startswith("search_")}
    searching = {n: v for n, v in samples.items() if n.startswith("search_")}
    every = [ms for values in listing.values() for ms in values]
    found = [ms for values in searching.values() for ms in values]
    page_bytes = int(statistics.median(sizes["list"]))

    bare, bare_bytes = make_bare_app(page_bytes)
    bare_timer = ServerTimer(bare.wsgi_app)
    bare.wsgi_app = bare_timer
    bare_client = bare.test_client()
    for _ in range(warmup * 5):
        bare_client.get("/")
    bare_ms = []
    for _ in range(len(every)):
        bare_client.get("/")
        bare_ms.append(bare_timer.last_ms)

    def breakdown(group: dict) -> dict:
        return {
            name: {
                "p50_ms": round(percentile(values, 50), 2),
                "p95_ms": round(percentile(values, 95), 2),
                "rows": rows.get(name, 0),
                "bytes": int(statistics.median(sizes[name])),
                **({"unchanged_204": statuses[name].count(204)} if 204 in statuses[name] else {}),
            }
            for name, values in group.items()
        }

    p50, p95 = percentile(every, 50), percentile(every, 95)
    floor95, floor50 = percentile(bare_ms, 95), percentile(bare_ms, 50)
    common = {
        "db": dataset.db,
        "complaints": data["total"],
        "open_complaints": open_count,
        "complaints_added_seconds": data["seconds"],
        "basis": "server time per request, one process, one thread",
    }
    listed = breakdown(listing)
    searched = breakdown(searching)
    return [
        emit(
            "complaint_inbox_p50_ms",
            round(p50, 2),
            "ms",
            **common,
            samples=len(every),
            floor=round(floor50, 3),
            ratio=round(p50 / floor50, 1),
        ),
        emit(
            "complaint_inbox_p95_ms",
            round(p95, 2),
            "ms",
            **common,
            samples=len(every),
            floor=round(floor95, 3),
            ratio=round(p95 / floor95, 1),
            floor_page="bare Flask app, one template rendered to the same byte size",
            page_bytes=page_bytes,
            floor_page_bytes=bare_bytes,
            max_ms=round(max(every), 2),
            slowest_scenario=max(listed, key=lambda k: listed[k]["p95_ms"]),
            scenarios=listed,
            target="< 50 ms on SQLite",
            met=p95 < 50 if dataset.db == "sqlite" else None,
        ),
        emit(
            "complaint_inbox_search_p95_ms",
            round(percentile(found, 95), 2),
            "ms",
            **common,
            samples=len(found),
            p50_ms=round(percentile(found, 50), 2),
            floor=round(floor95, 3),
            slowest_scenario=max(searched, key=lambda k: searched[k]["p95_ms"]),
            scenarios=searched,
            target="< 50 ms on SQLite and PostgreSQL",
            met=percentile(found, 95) < 50,
            note="a name is looked up in the customers' name search index (FTS5 trigram on "
            "SQLite, pg_trgm on PostgreSQL), then its complaints by customer",
        ),
    ]
