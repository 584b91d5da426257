"""The HTTP side: routing, auth, fault injection, and the ``Emulator`` test handle."""

from __future__ import annotations

import base64
import binascii
import hmac
import io
import json
import socket
import struct
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from emulator.model import (
    JSON,
    BadRequest,
    FaultRule,
    NotFound,
    RequestRecord,
    Settings,
    Store,
    retry_after_value,
)

Clock = Callable[[], float]
MAX_BODY: Final = 10 * 1024 * 1024
ADMIN_PREFIX: Final = "/_admin"

GATEWAY_HTML: Final = (
    "<!DOCTYPE html>\n<html><head><title>{status} {reason}</title></head>\n"
    "<body><center><h1>{status} {reason}</h1></center>\n"
    "<hr><center>apigw</center>\n</body></html>\n"
)


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, data: Any, **headers: str) -> Response:
    return Response(status, json.dumps(data).encode(), headers=dict(headers))


def message(status: int, text: str, **headers: str) -> Response:
    return json_response(status, {"message": text}, **headers)


def redact_authorization(value: str) -> str:
    scheme, _, _ = value.partition(" ")
    return f"{scheme} <redacted>" if scheme else "<redacted>"


def check_auth(settings: Settings, header: str | None) -> str | None:
    """The communitiesUser for valid Basic/Bearer credentials, else None."""
    if not header:
        return None
    scheme, _, credential = header.strip().partition(" ")
    credential = credential.strip()
    if scheme.lower() == "basic" and settings.username and settings.password is not None:
        try:
            decoded = base64.b64decode(credential, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, sep, password = decoded.partition(":")
        # compare_digest: no timing oracle on the credentials.
        ok_user = hmac.compare_digest(user.encode(), settings.username.encode())
        ok_password = hmac.compare_digest(password.encode(), settings.password.encode())
        return user if sep and ok_user and ok_password else None
    bearer = scheme.lower() == "bearer" and bool(settings.token)
    if bearer and hmac.compare_digest(credential.encode(), str(settings.token).encode()):
        return settings.bearer_user
    return None


def classify(method: str, rel: str) -> str:
    """The operation a request is, for fault targeting."""
    if rel.startswith("/search/"):
        return "search"
    if rel.startswith("/downloads/"):
        return "download"
    if rel == "/contributions/defaults":
        return "defaults"
    if method in ("POST", "PUT"):
        return "submit"
    if method == "GET" and rel.startswith(("/contributions/async/", "/samples/async/")):
        return "poll"
    return "other"


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a stalled handler must not hold up shutdown
    request_queue_size = 256  # the default 5 resets connections under 100 concurrent clients
    emulator: Emulator


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real gateway
    server_version = "SampleExchangeEmulator/1.0"
    server: _Server
    _entry: RequestRecord | None = None
    _fault_kind: str | None = None

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.emulator.access_log:
            sys.stderr.write(f"emulator: {format % args}\n")

    # --- pipeline ------------------------------------------------------------------

    def _handle(self) -> None:
        emu = self.server.emulator
        self._entry, self._fault_kind = None, None  # one handler serves a keep-alive connection
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self.close_connection = True
            self._send(message(413 if length > 0 else 400, "Bad or too large Content-Length."))
            return
        raw = self.rfile.read(length) if length > 0 else b""
        url = urlsplit(self.path)
        if url.path == ADMIN_PREFIX or url.path.startswith(ADMIN_PREFIX + "/"):
            self._send(emu._admin(self.command, url.path, raw))
            return
        base = emu.store.settings.base_path
        rel = url.path[len(base) :] if url.path.startswith(base + "/") else None
        op = classify(self.command, rel) if rel is not None else "other"
        auth = self.headers.get("Authorization")
        headers = {
            k: (redact_authorization(v) if k.lower() == "authorization" else v)
            for k, v in self.headers.items()
        }
        entry = emu.store.record(
            RequestRecord(
                time=emu.clock(),
                method=self.command,
                path=self.path,
                op=op,
                headers=headers,
                body=raw.decode("utf-8", "replace"),
                auth=auth.split(" ", 1)[0].lower() if auth else None,
            )
        )
        rule = emu.store.take_fault(op, http=True)
        # The log entry is completed before the answer is written, so a client that has
        # its answer always finds it in the log.
        self._entry, self._fault_kind = entry, (rule.kind if rule else None)
        if rule is not None and rule.when == "before":
            if rule.kind == "stall":
                emu._stall(rule.seconds)
            else:
                self._fault(rule, None)
                return
        if rel is None:
            response = emu._outside(self.command, url.path)
        else:
            response = emu._api(self.command, rel, url.query, auth, raw)
        if rule is not None and rule.when == "after":
            if rule.kind == "stall":
                emu._stall(rule.seconds)
            else:
                self._fault(rule, response)
                return
        self._send(response)

    def _fault(self, rule: FaultRule, response: Response | None) -> None:
        """Answer with the fault instead of (or spoiling) the application's answer."""
        emu = self.server.emulator
        extra: dict[str, str] = {}
        if rule.retry_after is not None:
            extra["Retry-After"] = retry_after_value(
                rule.retry_after, as_date=rule.retry_after_date, now=emu.clock()
            )
        if rule.kind == "reset":
            self._reset()
            return
        if rule.kind == "html":
            status = rule.status or 502
            reason = self.responses.get(status, ("Error",))[0]
            page = GATEWAY_HTML.format(status=status, reason=reason).encode()
            self._send(Response(status, page, "text/html; charset=utf-8", extra))
            return
        if rule.kind == "truncated":
            base = response or json_response(200, {"id": 0, "state": "RUNNING", "progress": 0})
            cut = base.body[: max(1, len(base.body) // 2)]
            self._send(Response(rule.status or base.status, cut, "application/json", extra))
            return
        self._send(message(rule.status or 503, rule.message, **extra))

    def _reset(self) -> None:
        self._log_answer(None)
        # SO_LINGER 0 makes close() send RST: the client sees "connection reset by peer".
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def _log_answer(self, status: int | None) -> None:
        if self._entry is not None:
            self.server.emulator.store.answered(self._entry, status, self._fault_kind)

    def _send(self, response: Response) -> None:
        self._log_answer(response.status)
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. after a stall)


class Emulator:
    """A Sample Exchange on 127.0.0.1 for tests, the demo and act runs.

    ``Emulator(job_seconds=0.3, token="t")`` takes any ``Settings`` field as a keyword.
    Use as a context manager, or ``start()`` / ``stop()``.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Clock = time.time,
        access_log: bool = False,
        faults: Iterable[FaultRule] = (),
        advertise_host: str | None = None,
        **overrides: Any,
    ) -> None:
        self.store = Store((settings or Settings()).updated(overrides))
        self.store.add_faults(faults)
        self.clock = clock
        self.access_log = access_log
        self._host = host
        self._port = port
        self._advertise = advertise_host
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # --- lifecycle -------------------------------------------------------------------

    def start(self) -> Emulator:
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server((self._host, self._port), _Handler)
        server.emulator = self
        self._server = server
        host, port = server.server_address[:2]
        # URLs (base_url, webUrl, downloadUrl) name the advertised host: a wildcard
        # bind (0.0.0.0) is no address a client can use.
        shown = self._advertise or ("127.0.0.1" if host in ("0.0.0.0", "::") else str(host))  # noqa: S104
        self.store.origin = f"http://{_url_host(shown)}:{port}"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes stalled handlers
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- addresses -------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        return int(self._server.server_address[1])

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT``."""
        self.port  # noqa: B018 -- raises when not started
        return self.store.origin

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/sampleExchange/v1``: what clients get as api-url."""
        return self.origin + self.store.settings.base_path

    @property
    def admin_url(self) -> str:
        return self.origin + ADMIN_PREFIX

    # --- control and inspection ------------------------------------------------------

    @property
    def settings(self) -> Settings:
        return self.store.settings

    def configure(self, **changes: Any) -> Settings:
        """Change settings at runtime (jobs already created keep theirs)."""
        return self.store.configure(changes)

    def add_fault(self, rule: FaultRule | None = None, /, **fields: Any) -> FaultRule:
        """Queue a fault: ``add_fault(kind="status", status=503, op="poll", count=3)``."""
        made = rule if rule is not None else FaultRule.from_json(fields)
        self.store.add_faults([made])
        return made

    def clear_faults(self) -> None:
        self.store.clear_faults()

    @property
    def faults(self) -> list[FaultRule]:
        """Live rules with their remaining counts."""
        return self.store.faults()

    def reset(self, *, settings: bool = False) -> None:
        self.store.reset(settings=settings)

    @property
    def jobs(self) -> list[JSON]:
        """Snapshot of every job: id, kind, state, polls, finishedAt, the SampleJob as ``job``."""
        return self.store.jobs(self.clock())

    def job(self, job_id: int) -> JSON | None:
        return self.store.job(job_id, self.clock())

    @property
    def samples(self) -> list[JSON]:
        return self.store.samples(self.clock())

    def sample(self, sample_id: int) -> JSON | None:
        return self.store.sample(sample_id, self.clock())

    def add_sample(self, contribution: JSON) -> JSON:
        """Create a sample at once (no job), e.g. as the target of an update."""
        return self.store.add_sample(contribution, self.clock())

    @property
    def requests(self) -> list[RequestRecord]:
        """The API request log (admin requests excluded), Authorization redacted."""
        return self.store.requests()

    def requests_for(
        self, *, method: str | None = None, op: str | None = None
    ) -> list[RequestRecord]:
        return [
            r
            for r in self.store.requests()
            if (method is None or r.method == method) and (op is None or r.op == op)
        ]

    @property
    def request_count(self) -> int:
        return len(self.store.requests())

    def state(self) -> JSON:
        """What ``GET /_admin/state`` answers."""
        return self.store.snapshot(self.clock())

    # --- request handling (called by the handler threads) ---------------------------

    def _stall(self, seconds: float) -> None:
        self._stopping.wait(seconds)

    def _api(self, method: str, rel: str, query: str, auth: str | None, raw: bytes) -> Response:
        store, now = self.store, self.clock()
        parts = rel.strip("/").split("/")
        if method == "GET" and parts[:2] == ["search", "samples"]:
            return self._search(parts[2:], query, now)
        if method == "GET" and parts[:2] == ["downloads", "samples"] and len(parts) == 3:
            return self._download(parts[2], now)
        routes = {
            ("POST", "contributions/async"),
            ("PUT", "samples/async"),
            ("POST", "contributions/defaults"),
            ("POST", "contributions"),
        }
        polling = method == "GET" and len(parts) == 3 and parts[1] == "async"
        polling = polling and parts[0] in ("contributions", "samples")
        known = (method, "/".join(parts)) in routes or polling
        if not known:
            return message(404, f"No route for {method} {rel}.")
        user = check_auth(store.settings, auth)
        if user is None:
            return message(
                401,
                "Full authentication is required to access this resource.",
                **{"WWW-Authenticate": 'Basic realm="Sample Exchange"'},
            )
        try:
            if polling:
                if not parts[2].isdigit():
                    raise BadRequest("jobId must be an integer.")
                kind = "create" if parts[0] == "contributions" else "update"
                return json_response(200, store.poll(int(parts[2]), kind, now))
            body = _parse_json(raw)
            path = "/".join(parts)
            if path == "contributions/defaults":
                if not store.settings.defaults_enabled:
                    return message(404, f"No route for {method} {rel}.")
                return json_response(200, store.defaults(body))
            if path == "contributions":
                return json_response(200, store.create_sync(body, user=user, now=now))
            view = store.submit(body, user=user, now=now, update=method == "PUT")
            location = f"{self.base_url}/{parts[0]}/async/{view['id']}"
            return json_response(202, view, Location=location)
        except BadRequest as exc:
            return message(400, str(exc))
        except NotFound as exc:
            return message(404, str(exc))

    def _search(self, rest: list[str], query: str, now: float) -> Response:
        if len(rest) == 1:
            if not rest[0].isdigit():
                return message(400, "Sample id must be an integer.")
            found = self.store.sample(int(rest[0]), now)
            if found is None:
                return message(404, f"Sample {rest[0]} not found.")
            return json_response(200, found)
        if rest:
            return message(404, "No such search.")
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        try:
            limit = int(params.get("limit", "20"))
            offset = int(params.get("offset", "0"))
        except ValueError:
            return message(400, "limit and offset must be integers.")
        hits, total = self.store.search(
            now,
            keyword=params.get("keyword", ""),
            tag=params.get("tag", ""),
            limit=limit,
            offset=offset,
        )
        return json_response(200, hits, **{"X-Total-Count": str(total)})

    def _download(self, name: str, now: float) -> Response:
        """The sample's downloadUrl (public): a small zip naming its paths."""
        stem = name.removesuffix(".zip")
        found = self.store.sample(int(stem), now) if stem.isdigit() else None
        if found is None:
            return message(404, f"Sample {stem} not found.")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            listing = "\n".join(str(p) for p in found.get("paths") or [])
            archive.writestr("README.md", f"# {found['name']}\n\n{listing}\n")
        return Response(200, buffer.getvalue(), "application/zip")

    def _outside(self, method: str, path: str) -> Response:
        """Outside the base path: the sample's web page (webUrl) and nothing else."""
        parts = path.strip("/").split("/")
        if method == "GET" and len(parts) == 2 and parts[0] == "samples" and parts[1].isdigit():
            found = self.store.sample(int(parts[1]), self.clock())
            if found is not None:
                page = f"<html><body><h1>Sample {found['id']}</h1></body></html>".encode()
                return Response(200, page, "text/html; charset=utf-8")
        return message(404, f"No route for {method} {path}.")

    def _admin(self, method: str, path: str, raw: bytes) -> Response:
        """``/_admin/...``: unauthenticated control for tests driving a subprocess emulator."""
        action = path[len(ADMIN_PREFIX) :].strip("/")
        now = self.clock()
        try:
            if method == "GET" and action == "health":
                return json_response(200, {"ok": True, "baseUrl": self.base_url})
            if method == "GET" and action == "state":
                return json_response(200, self.store.snapshot(now))
            if method == "POST" and action == "configure":
                body = _parse_json(raw) if raw else {}
                if not isinstance(body, dict):
                    raise BadRequest("configure takes a JSON object of settings.")
                self.store.configure(body)
                return json_response(200, {"settings": self.store.snapshot(now)["settings"]})
            if method == "POST" and action == "faults":
                body = _parse_json(raw)
                replace_all = isinstance(body, dict) and body.get("replace") is True
                items = body.get("faults") if isinstance(body, dict) and "faults" in body else body
                if isinstance(items, dict):
                    items = [items]
                if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                    raise BadRequest("faults takes a rule object, a list, or {faults, replace}.")
                rules = [FaultRule.from_json(i) for i in items]
                self.store.add_faults(rules, replace_all=replace_all)
                return json_response(200, {"faults": [r.to_json() for r in self.store.faults()]})
            if method == "DELETE" and action == "faults":
                self.store.clear_faults()
                return json_response(200, {"faults": []})
            if method == "POST" and action == "reset":
                body = _parse_json(raw) if raw else {}
                self.store.reset(settings=isinstance(body, dict) and body.get("settings") is True)
                return json_response(200, {"ok": True})
            if method == "POST" and action == "samples":
                return json_response(201, self.store.add_sample(_parse_json(raw), now))
        except (BadRequest, ValueError, TypeError) as exc:
            return message(400, str(exc))
        return message(404, f"No admin route for {method} {path}.")


def _parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"The request body is not valid JSON: {exc}.") from exc


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
