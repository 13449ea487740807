"""The simulated people of the load test: operators taking calls and QC users watching the
complaint inbox, each a browser of its own (cookies, connections, address), all in one asyncio
loop with aiohttp.

They send what the pages make a browser send, read from the pages themselves (form fields,
CSRF tokens, the autosave and heartbeat addresses, the inbox's refresh address):

* operator: signs in (``GET /login``, ``POST /login``, the start page), takes a call
  (``POST /operator/next``: the answer is the call screen), ticks the answers one question at a
  time with a few seconds between ticks, each tick an autosave as ``static/call.js`` sends it
  (``token``, ``seq``, the ``q-``/``t-`` answers; ``Accept: application/json``,
  ``X-CSRFToken``), a heartbeat every 60 s unless a save went out in the last 30 s (as
  call.js), the notice bell every 20 s (``X-Console-Poll: 1``, as htmx does), then submits (htmx
  ``POST .../submit``: the answer claims the next call and redirects to it), or after ringing
  records "No answer" (htmx ``POST .../outcome``). Every page load also loads the bell.
* QC user: signs in, opens the inbox, refreshes its rows every 15 s as ``static/inbox.js``
  (htmx ``GET`` of the rows' own ``hx-get`` address: 204 when nothing changed), and polls the
  bell every 20 s.

Times are real (seconds between ticks, about two minutes a call); nothing is sped up.
"""

from __future__ import annotations

import asyncio
import html
import random
import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote, urlencode

import aiohttp

# Request outcomes besides an HTTP status.
TIMEOUT, CONNECTION = -1, -2
REQUEST_TIMEOUT = 15.0  # static/call.js gives up on a request after 15 s

HEARTBEAT_EVERY = 60.0
BELL_EVERY = 20.0
INBOX_EVERY = 15.0
NO_ANSWER_SHARE = 0.25  # calls where nobody picks up
RING_SECONDS = (20.0, 40.0)
GREETING_SECONDS = (8.0, 20.0)  # dialling, introduction, before the first answer
THINK_SECONDS = (3.0, 10.0)  # between two ticks
TYPING_SECONDS = (5.0, 15.0)  # a comment
CALL_SECONDS = (90.0, 150.0)  # an answered call, first tick to submit: about two minutes
NOTHING_DUE_WAIT = 30.0

CHROME_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
PAGE_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
)


# --- what was measured ----------------------------------------------------------------------


@dataclass
class Recorder:
    """Every request: (start, seconds, kind, status, as expected). Statuses below 0 are
    TIMEOUT and CONNECTION."""

    rows: list[tuple[float, float, str, int, bool]] = field(default_factory=list)
    events: list[tuple[float, str]] = field(default_factory=list)  # claims, submits, ...
    problems: dict[str, int] = field(default_factory=dict)  # first words of odd answers
    in_flight: dict[int, float] = field(default_factory=dict)  # request number: its start
    sent: int = 0

    def oldest_in_flight(self) -> float | None:
        return min(self.in_flight.values(), default=None)

    def add(self, start, seconds, kind, status, ok, detail=None):
        self.rows.append((start, seconds, kind, status, ok))
        if not ok and detail:
            key = f"{kind} {status}: {detail}"[:160]
            self.problems[key] = self.problems.get(key, 0) + 1

    def event(self, name: str) -> None:
        self.events.append((time.perf_counter(), name))


@dataclass
class Reply:
    status: int
    headers: dict
    text: str


class Browser:
    """One person's browser: its cookies, its connections (as Chrome: up to 6 to a host, idle
    ones dropped before the server's 2 s keep-alive would drop them), its address."""

    def __init__(self, base: str, address: str, recorder: Recorder):
        self.base = base
        self.recorder = recorder
        self.csrf = ""
        self.page = "/"  # the address in the tab (htmx's HX-Current-URL)
        self.bell_url: str | None = None
        self.loading: set[asyncio.Task] = set()  # requests a page sends by itself (the bell)
        self.session = aiohttp.ClientSession(
            base_url=base,
            connector=aiohttp.TCPConnector(limit=6, keepalive_timeout=1.0),
            cookie_jar=aiohttp.CookieJar(unsafe=True),  # 127.0.0.1 is an IP address
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
            headers={
                "User-Agent": CHROME_UA,
                "Accept-Language": "en-US,en;q=0.9",
                "Accept-Encoding": "gzip, deflate, br, zstd",
                # As the TLS proxy passes it on (the app trusts one proxy hop).
                "X-Forwarded-For": address,
            },
            auto_decompress=True,
        )

    async def close(self) -> None:
        for task in self.loading:
            task.cancel()
        await self.session.close()

    async def request(
        self, kind: str, method: str, path: str, *, body=None, headers=None, expect=(200,)
    ) -> Reply | None:
        start = time.perf_counter()
        self.recorder.sent += 1
        number = self.recorder.sent
        self.recorder.in_flight[number] = start
        try:
            async with self.session.request(
                method, path, data=body, headers=headers, allow_redirects=False
            ) as response:
                text = await response.text()
            seconds = time.perf_counter() - start
            ok = response.status in expect
            detail = None if ok else _first_words(text)
            self.recorder.add(start, seconds, kind, response.status, ok, detail)
            return Reply(response.status, dict(response.headers), text)
        except TimeoutError:
            self.recorder.add(start, time.perf_counter() - start, kind, TIMEOUT, False, "timeout")
        except aiohttp.ClientError as exc:
            self.recorder.add(
                start, time.perf_counter() - start, kind, CONNECTION, False, type(exc).__name__
            )
        finally:
            del self.recorder.in_flight[number]
        return None

    # -- what a browser does on its own ------------------------------------------------------

    async def open_page(self, kind: str, path: str) -> Reply | None:
        """A full page load (following redirects as the browser does, each one a request),
        then the bell that base.html loads once the page is there."""
        for _ in range(5):
            reply = await self.request(
                kind, "GET", path, headers={"Accept": PAGE_ACCEPT}, expect=(200, 302, 303)
            )
            if reply is None or reply.status not in (302, 303):
                break
            path = _local(reply.headers.get("Location", "/"))
            kind = "page"
        if reply is not None and reply.status == 200:
            self.page = path
            self.took_page(reply.text)
        return reply

    def took_page(self, text: str) -> None:
        found = re.search(r'<meta name="csrf-token" content="([^"]*)"', text)
        if found:
            self.csrf = found.group(1)
        bell = re.search(r'id="notice-bell"[^>]*hx-get="([^"]+)"', text)
        if bell:
            self.bell_url = html.unescape(bell.group(1))
            task = asyncio.get_running_loop().create_task(self.bell(poll=False))
            self.loading.add(task)
            task.add_done_callback(self.loading.discard)

    def htmx_headers(self, target: str | None = None, trigger: str | None = None) -> dict:
        headers = {
            "HX-Request": "true",
            "HX-Current-URL": self.base + self.page,
            "X-CSRFToken": self.csrf,  # base.html: hx-headers on <body>
            "Accept": "*/*",
        }
        if target:
            headers["HX-Target"] = target
        if trigger:
            headers["HX-Trigger"] = trigger
        return headers

    async def bell(self, *, poll: bool) -> None:
        if not self.bell_url:
            return
        headers = self.htmx_headers("notice-bell", "notice-bell")
        if poll:
            headers["X-Console-Poll"] = "1"  # templates/notifications/_bell.html
        await self.request("bell", "GET", self.bell_url, headers=headers)

    async def sign_in(
        self, email: str, password: str, gate: asyncio.Semaphore, stop: asyncio.Event
    ) -> Reply | None:
        """The sign-in page, the form, and the home page it leads to. ``gate`` paces whole
        sign-ins, as people arriving for a shift do not all press the button in one second:
        the form post is an argon2 check, and the page it lands on (an operator's start page)
        is one of the heaviest pages there is; let through all at once, hundreds of them only
        queue behind each other until they time out."""
        async with gate:
            if stop.is_set():  # the run ended while this person waited to sign in
                return None
            page = await self.request(
                "login_page", "GET", "/login", headers={"Accept": PAGE_ACCEPT}
            )
            if page is None or page.status != 200:
                return None
            token = _field(page.text, "csrf_token")
            form = urlencode({"csrf_token": token, "email": email, "password": password})
            signed = await self._post_sign_in(form)
            if signed is None or signed.status != 302:
                return None
            return await self.open_page("page", _local(signed.headers.get("Location", "/")))

    async def _post_sign_in(self, form: str) -> Reply | None:
        return await self.request(
            "sign_in",
            "POST",
            "/login",
            body=form.encode(),
            headers={
                "Accept": PAGE_ACCEPT,
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": self.base,
                "Referer": self.base + "/login",
            },
            expect=(302,),
        )


def _first_words(text: str) -> str:
    plain = re.sub(r"<[^>]+>|\s+", " ", text[:2000]).strip()
    return plain[:100]


def _local(location: str) -> str:
    """The path (and query) of a redirect, absolute or not."""
    return re.sub(r"^https?://[^/]+", "", location) or "/"


def _field(text: str, name: str) -> str:
    found = re.search(r'<input[^>]*name="' + re.escape(name) + r'"[^>]*value="([^"]*)"', text)
    return html.unescape(found.group(1)) if found else ""


async def pause(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep, or wake early when the run stops; True when it stopped."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=max(0.0, seconds))
        return True
    except TimeoutError:
        return stop.is_set()


async def poll_bell(browser: Browser, stop: asyncio.Event) -> None:
    if await pause(stop, random.uniform(0, BELL_EVERY)):
        return
    while not stop.is_set():
        await browser.bell(poll=True)
        if await pause(stop, BELL_EVERY):
            return


# --- the call screen ------------------------------------------------------------------------


@dataclass
class Question:
    key: str
    show_question: str | None
    show_any: list[str]
    kind: str = "radio"  # radio | checkbox | text
    options: list[tuple[str, bool, bool]] = field(
        default_factory=list
    )  # value, consequence, comment
    comment_box: bool = False


@dataclass
class CallScreen:
    url: str
    autosave_url: str
    heartbeat_url: str
    seq: int
    action: str  # the submit address
    outcome_url: str
    before: list[tuple[str, str]]  # the form's fields before the questions, in page order
    after: list[tuple[str, str]]  # and after them
    questions: list[Question]


class _CallParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.screen: dict = {}
        self.csrf = ""
        self.in_form = False
        self.in_select = None
        self.select_value: dict[str, str | None] = {}
        self.fields: list[tuple[str, str]] = []
        self.questions: dict[str, Question] = {}
        self.order: list[str] = []
        self.last_option: tuple[str, int] | None = None
        self.action = ""
        self.outcome_url = ""
        self.marker = None  # index in fields where the answers go

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and a.get("name") == "csrf-token":
            self.csrf = a.get("content") or ""
        if a.get("id") == "call-screen":
            self.screen = a
        if tag == "form" and a.get("id") == "call-form":
            self.in_form = True
            self.action = a.get("action", "")
            return
        if not self.in_form:
            return
        if tag == "li" and a.get("data-question"):
            key = a["data-question"]
            self.questions[key] = Question(
                key, a.get("data-show-if-question"), (a.get("data-show-if-any") or "").split()
            )
            self.order.append(key)
        elif tag == "input":
            name, kind = a.get("name") or "", a.get("type", "text")
            if name.startswith("q-"):
                if self.marker is None:
                    self.marker = len(self.fields)
                q = self.questions.get(name[2:])
                if q is not None:
                    q.kind = kind
                    q.options.append((a.get("value", ""), False, False))
                    self.last_option = (q.key, len(q.options) - 1)
            elif name and kind in ("radio", "checkbox"):
                if "checked" in a:
                    self.fields.append((name, a.get("value", "on")))
            elif name and kind not in ("submit", "button"):
                self.fields.append((name, a.get("value") or ""))
        elif tag == "button" and a.get("formaction") and not self.outcome_url:
            self.outcome_url = a["formaction"]
        elif tag == "span" and self.last_option and "hint-consequence" in (a.get("class") or ""):
            key, i = self.last_option
            value, consequence, comment = self.questions[key].options[i]
            if "hint-muted" in a["class"]:
                comment = True
            else:
                consequence = True
            self.questions[key].options[i] = (value, consequence, comment)
        elif tag == "textarea":
            name = a.get("name") or ""
            if name.startswith("t-"):
                if self.marker is None:
                    self.marker = len(self.fields)
                q = self.questions.get(name[2:])
                if q is not None:
                    if q.options:
                        q.comment_box = True
                    else:
                        q.kind = "text"
            elif name:
                self.fields.append((name, ""))
        elif tag == "select":
            self.in_select = a.get("name")
            self.select_value[self.in_select] = None
            self.fields.append((self.in_select, ""))
        elif tag == "option" and self.in_select:
            name = self.in_select
            if self.select_value[name] is None or "selected" in a:
                self.select_value[name] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form" and self.in_form:
            self.in_form = False
        elif tag == "select":
            self.in_select = None


def parse_call_screen(text: str) -> tuple[CallScreen, str] | None:
    """The call screen's addresses, form fields and questions, and its CSRF token; None when
    the page is not a call screen."""
    if 'id="call-screen"' not in text:
        return None
    parser = _CallParser()
    parser.feed(text)
    s = parser.screen
    fields = [
        (n, parser.select_value.get(n) or v) if n in parser.select_value else (n, v)
        for n, v in parser.fields
    ]
    marker = parser.marker if parser.marker is not None else len(fields)
    questions = [parser.questions[k] for k in parser.order]
    screen = CallScreen(
        url=s.get("data-url", ""),
        autosave_url=s.get("data-autosave-url", ""),
        heartbeat_url=s.get("data-heartbeat-url", ""),
        seq=int(s.get("data-seq") or 0),
        action=parser.action,
        outcome_url=parser.outcome_url,
        before=fields[:marker],
        after=fields[marker:],
        questions=questions,
    )
    return screen, parser.csrf


def _visible(q: Question, answers: dict[str, list[str]], shown: dict[str, bool]) -> bool:
    """static/call.js applyShowIf: shown when the parent is shown and one of its answers is
    ticked."""
    if not q.show_question:
        return True
    if not shown.get(q.show_question):
        return False
    return any(v in q.show_any for v in answers.get(q.show_question, []))


def _pick(q: Question) -> tuple[str, bool]:
    """An answer as most customers give it: mostly one without consequences, now and then any
    (a complaint, a repeat repair, a poaching case: work for the QC desk and the jobs)."""
    calm = [o for o in q.options if not o[1]]
    value, _consequence, comment = random.choice(
        calm if calm and random.random() < 0.92 else q.options
    )
    return value, comment


COMMENTS = ["Customer happy overall", "Asked to be called after six", "Technician was late"]


class Call:
    """One call on the call screen, from the page load to the submit or the outcome."""

    def __init__(self, browser: Browser, screen: CallScreen, stop: asyncio.Event, recorder):
        self.b = browser
        self.screen = screen
        self.stop = stop
        self.rec = recorder
        self.seq = screen.seq
        self.answers: dict[str, list[str]] = {}
        self.texts: dict[str, str] = {}
        self.saved_at: float | None = None
        self.busy = False  # a save or a heartbeat is on its way (call.js sends one at a time)
        self.lost = False
        self.token = dict(screen.before + screen.after).get("token", "")

    def _answer_pairs(self) -> list[tuple[str, str]]:
        """The answers as FormData lists them (page order), ticks then comments per question."""
        pairs = []
        for q in self.screen.questions:
            for value in self.answers.get(q.key, []):
                pairs.append((f"q-{q.key}", value))
            if q.key in self.texts:
                pairs.append((f"t-{q.key}", self.texts[q.key]))
        return pairs

    def _json_headers(self) -> dict:
        return {
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
            "X-CSRFToken": self.b.csrf,
            "Origin": self.b.base,
        }

    async def autosave(self) -> None:
        while self.busy:  # call.js waits for the request on its way, then sends the latest
            await asyncio.sleep(0.05)
        self.busy = True
        self.seq += 1
        body = "token=" + quote(self.token, safe="-_.!~*'()") + f"&seq={self.seq}"
        pairs = self._answer_pairs()
        if pairs:
            body += "&" + urlencode(pairs)
        reply = await self.b.request(
            "autosave",
            "POST",
            self.screen.autosave_url,
            body=body.encode(),
            headers=self._json_headers(),
        )
        self.busy = False
        if reply is not None and reply.status in (403, 409):
            self.lost = True
        elif reply is not None and reply.status == 200:
            self.saved_at = time.monotonic()

    async def heartbeats(self) -> None:
        while not await pause(self.stop, HEARTBEAT_EVERY):
            if self.lost:
                return
            if self.busy or (
                self.saved_at and time.monotonic() - self.saved_at < HEARTBEAT_EVERY / 2
            ):
                continue
            self.busy = True
            body = "token=" + quote(self.token, safe="-_.!~*'()")
            reply = await self.b.request(
                "heartbeat",
                "POST",
                self.screen.heartbeat_url,
                body=body.encode(),
                headers=self._json_headers(),
            )
            self.busy = False
            if reply is not None and reply.status in (403, 409):
                self.lost = True

    def _form(self, extra: list[tuple[str, str]] = ()) -> bytes:
        """The whole form as htmx sends it: every field in page order, the answers, every
        comment box (empty ones too), and the clicked button's name and value."""
        answers = []
        for q in self.screen.questions:
            for value in self.answers.get(q.key, []):
                answers.append((f"q-{q.key}", value))
            if q.kind == "text" or q.comment_box:
                answers.append((f"t-{q.key}", self.texts.get(q.key, "")))
        return urlencode(self.screen.before + answers + self.screen.after + list(extra)).encode()

    async def _finish(self, kind: str, url: str, extra=()) -> Reply | None:
        headers = self.b.htmx_headers(
            "call-script" if kind == "submit" else None, "call-form" if kind == "submit" else None
        )
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        reply = await self.b.request(kind, "POST", url, body=self._form(extra), headers=headers)
        if reply is None or reply.status != 200:
            return None
        self.rec.event(kind)
        target = reply.headers.get("HX-Redirect")
        if not target:
            return None
        return await self.b.open_page("call_page", _local(target))

    async def run(self, *, phase: float = 0.0) -> Reply | None:
        """Talk, tick, save, submit; the next page (the next call's screen) or None.

        ``phase`` (0 to 1): how far into the call the person already is. Someone who has just
        signed in joins their first call at a random point, as a shift in full swing would be
        found: the ticks before that point go with the first save, unsent on their own, and
        the rest of the call keeps its real pace. From then on every call starts at 0."""
        beat = asyncio.get_running_loop().create_task(self.heartbeats())
        try:
            started = time.monotonic()
            if random.random() < NO_ANSWER_SHARE:
                ring = random.uniform(*RING_SECONDS) * (1 - phase)
                if await pause(self.stop, ring):
                    return None
                return await self._finish(
                    "outcome", self.screen.outcome_url, [("outcome", "no_answer")]
                )
            length = random.uniform(*CALL_SECONDS)
            if not phase and await pause(self.stop, random.uniform(*GREETING_SECONDS)):
                return None
            skip = int(phase * len(self.screen.questions))
            shown: dict[str, bool] = {}
            for n, q in enumerate(self.screen.questions):
                shown[q.key] = visible = _visible(q, self.answers, shown)
                if not visible:
                    continue
                silent = n < skip  # ticked before this person joined the run
                if q.kind == "text":
                    if random.random() < 0.3:
                        if not silent and await pause(self.stop, random.uniform(*TYPING_SECONDS)):
                            return None
                        self.texts[q.key] = random.choice(COMMENTS)
                        if not silent:
                            await self.autosave()
                    continue
                if not q.options:
                    continue
                value, comment = _pick(q)
                self.answers[q.key] = [value]
                if comment and q.comment_box:
                    self.texts[q.key] = random.choice(COMMENTS)
                if silent:
                    continue
                await self.autosave()
                if comment and q.comment_box:
                    if await pause(self.stop, random.uniform(*TYPING_SECONDS)):
                        return None
                    await self.autosave()
                if self.lost:
                    return None
                if await pause(self.stop, random.uniform(*THINK_SECONDS)):
                    return None
            left = length * (1 - phase) - (time.monotonic() - started)
            if await pause(self.stop, left):
                return None
            return await self._finish("submit", self.screen.action)
        finally:
            beat.cancel()


# --- the people -----------------------------------------------------------------------------


async def operator(
    base: str,
    email: str,
    password: str,
    address: str,
    recorder: Recorder,
    stop: asyncio.Event,
    gate: asyncio.Semaphore,
) -> None:
    browser = Browser(base, address, recorder)
    poller = None
    try:
        page = await browser.sign_in(email, password, gate, stop)
        recorder.event("signed_in" if page is not None else "sign_in_failed")
        if page is None:
            return
        poller = asyncio.get_running_loop().create_task(poll_bell(browser, stop))
        first = True
        if await pause(stop, random.uniform(0, 5)):
            return
        while not stop.is_set():
            parsed = parse_call_screen(page.text) if page is not None else None
            if parsed is None:
                page = await _take_call(browser, page, stop)
                if page is None:
                    continue
                parsed = parse_call_screen(page.text)
                if parsed is None:  # nothing due: the start page says so
                    recorder.event("nothing_due")
                    if await pause(stop, NOTHING_DUE_WAIT):
                        return
                    page = await browser.open_page("page", "/operator/")
                    continue
                recorder.event("claim")
            screen, csrf = parsed
            browser.csrf = csrf or browser.csrf
            call = Call(browser, screen, stop, recorder)
            page = await call.run(phase=random.random() if first else 0.0)
            first = False
            if page is not None and parse_call_screen(page.text) is not None:
                recorder.event("claim")  # the submit claimed the next call
    finally:
        if poller:
            poller.cancel()
        await browser.close()


async def _take_call(browser: Browser, page: Reply | None, stop) -> Reply | None:
    """ "Next call" on the start page (a plain form: the answer is the call screen itself)."""
    if page is None or 'name="csrf_token"' not in page.text:
        page = await browser.open_page("page", "/operator/")
        if page is None:
            await pause(stop, 5)
            return None
    token = _field(page.text, "csrf_token")
    reply = await browser.request(
        "next",
        "POST",
        "/operator/next",
        body=urlencode({"csrf_token": token}).encode(),
        headers={
            "Accept": PAGE_ACCEPT,
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": browser.base,
            "Referer": browser.base + browser.page,
        },
        expect=(200, 303),
    )
    if reply is None:
        await pause(stop, 5)
        return None
    if reply.status == 303:
        return await browser.open_page("page", _local(reply.headers.get("Location", "/operator/")))
    browser.page = "/operator/next"
    browser.took_page(reply.text)
    return reply


async def qc_user(
    base: str,
    email: str,
    password: str,
    address: str,
    recorder: Recorder,
    stop: asyncio.Event,
    gate: asyncio.Semaphore,
) -> None:
    browser = Browser(base, address, recorder)
    poller = None
    try:
        page = await browser.sign_in(email, password, gate, stop)  # lands on the inbox
        recorder.event("signed_in" if page is not None else "sign_in_failed")
        if page is None:
            return
        poller = asyncio.get_running_loop().create_task(poll_bell(browser, stop))
        rows = _rows_url(page.text)
        while rows and not await pause(stop, INBOX_EVERY):
            reply = await browser.request(
                "inbox_refresh",
                "GET",
                rows,
                headers=browser.htmx_headers("inbox-rows", "inbox-rows"),
                expect=(200, 204),
            )
            if reply is not None and reply.status == 200:
                rows = _rows_url(reply.text) or rows
    finally:
        if poller:
            poller.cancel()
        await browser.close()


def _rows_url(text: str) -> str | None:
    found = re.search(r'<div id="inbox-rows"[^>]*hx-get="([^"]+)"', text)
    return html.unescape(found.group(1)) if found else None


# --- the floor --------------------------------------------------------------------------------


async def hammer(base: str, recorder: Recorder, stop: asyncio.Event) -> None:
    """A client asking the floor page again and again, as fast as it answers."""
    browser = Browser(base, "198.18.0.1", recorder)
    try:
        while not stop.is_set():
            await browser.request("floor", "GET", "/", headers={"Accept": PAGE_ACCEPT})
    finally:
        await browser.close()
