"""Page weight, counted on the wire: the call screen's HTML, and one autosave round trip.

The console runs under gunicorn (one gthread worker, as ``make run`` uses) with production-like
settings: HTTPS mode on, so the HSTS header and secure cookies are there as behind a TLS
proxy. A raw-socket HTTP/1.1 client signs in, claims a call, fetches the call screen, then
sends the autosave exactly as ``static/call.js`` builds it (``token``, ``seq`` and the
``q-``/``t-`` answers, with the ``X-CSRFToken`` and ``Accept: application/json`` headers) plus
the headers Chrome adds to a same-origin ``fetch`` POST. Every byte of the request and the
response is counted, HTTP/1.1 without compression; ``autosave_http2_bytes`` gives the same
exchange as it would go over HTTP/2 (header compression by the ``hpack`` library).
"""

from __future__ import annotations

import gzip
import os
import re
import socket
import subprocess
import sys
import time
from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urlsplit

from bench.common import OPERATOR_EMAIL, PASSWORD, ROOT, emit, log

# What Chrome sends with a same-origin fetch() POST besides what call.js sets (Chrome 131 on
# Windows; the sec-ch-ua headers go to secure origins, which production is).
CHROME_HEADERS = [
    ("sec-ch-ua-platform", '"Windows"'),
    (
        "User-Agent",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
        "Gecko) Chrome/131.0.0.0 Safari/537.36",
    ),
    ("sec-ch-ua", '"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"'),
    ("sec-ch-ua-mobile", "?0"),
    ("Sec-Fetch-Site", "same-origin"),
    ("Sec-Fetch-Mode", "cors"),
    ("Sec-Fetch-Dest", "empty"),
    ("Accept-Encoding", "gzip, deflate, br, zstd"),
    ("Accept-Language", "ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7"),
]


class RawHTTP:
    """A keep-alive HTTP/1.1 connection that keeps every byte it sent and received."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.sock = socket.create_connection((host, port), timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, headers=(), body: bytes = b""):
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            "Connection: keep-alive",
        ]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        lines += [f"{k}: {v}" for k, v in headers]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.sock.sendall(head + body)
        raw, status, response_headers, response_body = self._read()
        for name, value in response_headers:
            if name.lower() == "set-cookie":
                cookie = value.split(";", 1)[0]
                key, _, val = cookie.partition("=")
                self.cookies[key.strip()] = val.strip()
        sent = [(k, v) for k, v in (line.split(": ", 1) for line in lines[1:])]
        return {
            "method": method,
            "path": path,
            "request_headers": sent,
            "request_head": len(head),
            "request_body": len(body),
            "response_head": len(raw) - len(response_body),
            "response_body": len(response_body),
            "status": status,
            "headers": response_headers,
            "body": response_body,
        }

    def _read(self):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:]]
        length = next((int(v) for k, v in headers if k.lower() == "content-length"), None)
        if length is None:
            raise ValueError("the benchmark expects Content-Length responses")
        while len(rest) < length:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            rest += chunk
        body = rest[:length]
        raw = head + b"\r\n\r\n" + body
        return raw, status, headers, body

    def close(self):
        self.sock.close()


class _CallForm(HTMLParser):
    """The inputs of ``form#call-form``, the CSRF meta token, the autosave URL."""

    def __init__(self):
        super().__init__()
        self.in_form = False
        self.depth = 0
        self.inputs: list[dict] = []
        self.csrf = None
        self.autosave_url = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and a.get("name") == "csrf-token":
            self.csrf = a.get("content")
        if a.get("data-autosave-url"):
            self.autosave_url = a["data-autosave-url"]
        if tag == "form" and a.get("id") == "call-form":
            self.in_form, self.depth = True, 0
        elif self.in_form and tag == "form":
            self.depth += 1
        if self.in_form and tag in ("input", "textarea", "select"):
            self.inputs.append({"tag": tag, **a})

    def handle_endtag(self, tag):
        if tag == "form" and self.in_form:
            if self.depth:
                self.depth -= 1
            else:
                self.in_form = False


# HTTP/1.1 connection headers have no place in HTTP/2 (RFC 9113, 8.2.2); Host becomes :authority.
_NOT_IN_H2 = {"connection", "keep-alive", "transfer-encoding", "host", "upgrade"}


def http2_round_trips(exchanges: list[dict], authority: str) -> list[int]:
    """Bytes each exchange would take on one HTTP/2 connection (a browser talking to an HTTPS
    proxy in front of gunicorn): a HEADERS frame and, with a body, a DATA frame each way (9
    bytes of frame header apiece), the header blocks compressed by HPACK with each side's
    dynamic table carried from one exchange to the next, as on a real connection. TLS record
    overhead is not counted (nor is it in the HTTP/1.1 figure)."""
    from hpack import Encoder

    browser, server = Encoder(), Encoder()
    sizes = []
    for x in exchanges:
        request = [
            (":method", x["method"]),
            (":scheme", "https"),
            (":authority", authority),
            (":path", x["path"]),
        ] + [(k.lower(), v) for k, v in x["request_headers"] if k.lower() not in _NOT_IN_H2]
        response = [(":status", str(x["status"]))] + [
            (k.lower(), v) for k, v in x["headers"] if k.lower() not in _NOT_IN_H2
        ]
        size = 9 + len(browser.encode(request)) + 9 + len(server.encode(response))
        size += sum(9 + n for n in (x["request_body"], x["response_body"]) if n)
        sizes.append(size)
    return sizes


def _autosave_body(token: str, seq: int, answers: list[tuple[str, str]]) -> bytes:
    """As call.js: ``"token=" + encodeURIComponent(token) + "&seq=" + seq + "&" + answers``
    (answers through URLSearchParams)."""
    body = "token=" + quote(token, safe="-_.!~*'()") + f"&seq={seq}"
    if answers:
        body += "&" + urlencode(answers)
    return body.encode()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(url: str) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    env = dict(
        os.environ,
        BENCH_DATABASE_URL=url,
        BENCH_HTTPS="1",
        PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    )
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    proc = subprocess.Popen(
        [
            gunicorn,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "2",
            "--log-level",
            "warning",
            "bench.serve:app",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("gunicorn did not start") from None
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("gunicorn did not answer within 60 s")


def run(dataset) -> list[dict]:
    from bench.claim_render import Unavailable

    log(f"{dataset.db}: page weight over HTTP (gunicorn) ...")
    proc, port = _start_server(dataset.url)
    try:
        http = RawHTTP("127.0.0.1", port)
        email = OPERATOR_EMAIL.format(50)
        form = urlencode({"email": email, "password": PASSWORD}).encode()
        signed = http.request(
            "POST", "/login", [("Content-Type", "application/x-www-form-urlencoded")], form
        )
        if signed["status"] != 302:
            raise RuntimeError(f"sign-in answered {signed['status']}")
        claimed = http.request(
            "POST", "/operator/next", [("Content-Type", "application/x-www-form-urlencoded")], b""
        )
        if claimed["status"] in (404, 405):
            raise Unavailable(f"POST /operator/next answered {claimed['status']}")
        # The answer is the call screen itself (older versions redirected to it): its address,
        # which a reload of the tab opens, is weighed below as the browser gets it.
        location = dict((k.lower(), v) for k, v in claimed["headers"]).get("location", "")
        path = urlsplit(location).path
        if claimed["status"] == 200:
            found = re.search(rb'data-url="(/operator/call/\d+)"', claimed["body"])
            path = found.group(1).decode() if found else ""
        if not re.search(r"/operator/call/\d+$", path):
            raise RuntimeError(f"no call claimed (answered {claimed['status']} {location!r})")
        page_headers = [
            (
                "Accept",
                "text/html,application/xhtml+xml,application/xml;q=0.9,"
                "image/avif,image/webp,*/*;q=0.8",
            )
        ] + CHROME_HEADERS
        screen = http.request("GET", path, page_headers)
        if screen["status"] != 200:
            raise RuntimeError(f"GET {path} answered {screen['status']}")
        html = screen["body"]
        parser = _CallForm()
        parser.feed(html.decode("utf-8"))
        token = next(i["value"] for i in parser.inputs if i.get("name") == "token")
        choices = [
            i
            for i in parser.inputs
            if i["tag"] == "input" and (i.get("name") or "").startswith("q-")
        ]
        if not choices or not parser.autosave_url:
            raise RuntimeError("the call screen has no answers to tick or no autosave URL")
        # The first tick of a call: the first option of the first question.
        first = choices[0]
        one_tick = [(first["name"], first["value"])]
        # The last autosave of a call: one option ticked in every question shown.
        every: dict[str, str] = {}
        for i in choices:
            every.setdefault(i["name"], i["value"])
        origin = f"http://127.0.0.1:{port}"
        # No Referer: call.js sends its saves with referrerPolicy "no-referrer".
        save_headers = [
            ("Accept", "application/json"),
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("X-CSRFToken", parser.csrf or ""),
            ("Origin", origin),
        ] + CHROME_HEADERS
        first_save = http.request(
            "POST", parser.autosave_url, save_headers, _autosave_body(token, 1, one_tick)
        )
        full_save = http.request(
            "POST", parser.autosave_url, save_headers, _autosave_body(token, 2, list(every.items()))
        )
        # The page, then its saves, on one HTTP/2 connection: what each save costs there.
        h2_screen, h2_first, h2_full = http2_round_trips(
            [screen, first_save, full_save], authority=f"127.0.0.1:{port}"
        )
        for save in (first_save, full_save):
            if save["status"] != 200:
                raise RuntimeError(f"autosave answered {save['status']}: {save['body'][:200]!r}")
        http.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    def total(r):
        return r["request_head"] + r["request_body"] + r["response_head"] + r["response_body"]

    cookie_bytes = len("Cookie: " + "; ".join(f"{k}={v}" for k, v in http.cookies.items()))
    set_cookie = sum(
        len(f"{k}: {v}\r\n") for k, v in first_save["headers"] if k.lower() == "set-cookie"
    )
    csp = sum(
        len(f"{k}: {v}\r\n")
        for k, v in first_save["headers"]
        if k.lower() == "content-security-policy"
    )
    value = total(first_save)
    # What the browser adds whatever the app does: Host, Connection, Content-Length, Origin,
    # Referer and Chrome's own headers (the rest is the app's: URL, cookie, CSRF header, the
    # two headers call.js sets, the body, and the whole response).
    host = f"Host: 127.0.0.1:{port}\r\n"
    browser_added = (
        len(host)
        + len("Connection: keep-alive\r\n")
        + len(f"Content-Length: {first_save['request_body']}\r\n")
        + len(f"Origin: {origin}\r\n")
        + sum(len(f"{k}: {v}\r\n") for k, v in CHROME_HEADERS)
    )
    return [
        emit(
            "call_screen_bytes",
            len(html),
            "bytes",
            db=dataset.db,
            gzip_bytes=len(gzip.compress(html, 6)),
            response_headers_bytes=screen["response_head"],
            note="HTML of GET /operator/call/<id>, uncompressed; CSS/JS are separate, cached",
        ),
        emit(
            "autosave_bytes",
            value,
            "bytes",
            db=dataset.db,
            request_headers=first_save["request_head"],
            request_body=first_save["request_body"],
            response_headers=first_save["response_head"],
            response_body=first_save["response_body"],
            body_sent=_autosave_body(token, 1, one_tick).decode(),
            response_sent=first_save["body"].decode(),
            browser_headers_bytes=sum(len(f"{k}: {v}\r\n") for k, v in CHROME_HEADERS),
            browser_added_bytes=browser_added,
            app_controlled_bytes=value - browser_added,
            cookie_header_bytes=cookie_bytes,
            set_cookie_bytes=set_cookie,
            csp_header_bytes=csp,
            all_answers_total=total(full_save),
            all_answers_request_body=full_save["request_body"],
            counted="HTTP/1.1 on the wire, request + response, first tick of a call",
            target="< 1024 bytes",
            met=value < 1024,
        ),
        emit(
            "autosave_http2_bytes",
            h2_first,
            "bytes",
            db=dataset.db,
            all_answers_total=h2_full,
            call_screen_exchange=h2_screen,
            counted="the same autosave on one HTTP/2 connection after the call screen: frame "
            "headers + HPACK header blocks (hpack library, dynamic tables carried over) + bodies",
            target="< 1024 bytes",
            met=h2_first < 1024,
        ),
    ]
