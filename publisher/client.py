"""A thin client for the four async Sample Exchange endpoints.

One ``requests.Session`` per client. Retrying is urllib3's ``Retry`` mounted
on the session's adapter, with two policies:

* polls (GET) retry connect/read failures and 429/502/503/504, honouring
  ``Retry-After`` but never sleeping past the publish deadline;
* submits (POST/PUT) retry only what provably never created a job: connect
  errors, 429, and 503 with ``Retry-After``. A read timeout is never retried,
  since the job may exist already and a second submit would publish twice.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError
from urllib3.util.retry import Retry

from . import messages
from .errors import ApiError, ConfigError
from .models import SampleJob
from .runner import MASK, SECRET_FIELD

Kind = Literal["create", "update"]

# Where each kind of job is submitted and polled.
ENDPOINTS: Mapping[Kind, tuple[str, str]] = {
    "create": ("POST", "contributions/async"),
    "update": ("PUT", "samples/async"),
}

MAX_BODY_BYTES = 4 * 1024 * 1024
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 20.0
USER_AGENT = (
    "sample-exchange-publish/0.1 (+https://github.com/vmware-samples/sample-exchange-publish)"
)

TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})


class TransientApiError(ApiError):
    """A failure that may clear by itself (gateway blip, rate limit, reset)."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float = 0.0):
        super().__init__(message, status=status)
        self.retry_after = retry_after


class BearerAuth(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def make_auth(username: str, password: str, token: str) -> requests.auth.AuthBase | None:
    if token:
        return BearerAuth(token)
    if username or password:
        return requests.auth.HTTPBasicAuth(username, password)
    return None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_api_url(api_url: str) -> str:
    """The base URL, validated: https, or http only to a loopback host."""
    parts = urlsplit(api_url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigError(
            f"`api-url` {api_url!r} is not an http(s) URL.",
            hint="Use e.g. https://apigw.vmware.com/sampleExchange/v1.",
        )
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        what, hint = messages.INSECURE_URL
        raise ConfigError(what.format(url=api_url), hint=hint)
    return api_url.strip().rstrip("/")


def join_url(base: str, path: str) -> str:
    """Join keeping the base's path (urljoin would drop /sampleExchange/v1)."""
    return f"{base.rstrip('/')}/{path.lstrip('/')}"


SUBMIT_METHODS = frozenset({"POST", "PUT"})


class PublishRetry(Retry):
    """urllib3's ``Retry`` with a per-method policy and a deadline.

    Connect errors are retried for every method (nothing reached the server).
    Read errors and 502/504 are retried for GET only (``allowed_methods``); a
    submit is retried on a status only when the server refused it: 429, or 503
    with ``Retry-After``. No wait runs past the publish deadline.
    """

    def __init__(
        self, *args: Any, remaining: Callable[[], float] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.remaining = remaining

    def new(self, **kw: Any) -> PublishRetry:
        retry: PublishRetry = super().new(**kw)
        retry.remaining = self.remaining
        return retry

    def _left(self) -> float:
        return self.remaining() if self.remaining is not None else float("inf")

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if self._left() <= 0.1:
            return False
        if method.upper() in SUBMIT_METHODS:
            return status_code == 429 or (status_code == 503 and has_retry_after)
        return bool(super().is_retry(method, status_code, has_retry_after))

    def get_backoff_time(self) -> float:
        return max(0.0, min(float(super().get_backoff_time()), self._left() - 0.1))

    def increment(self, *args: Any, **kwargs: Any) -> PublishRetry:
        retry: PublishRetry = super().increment(*args, **kwargs)
        if self._left() <= 0.1:
            # No new attempt past the deadline, whatever the counters allow.
            raise MaxRetryError(kwargs.get("_pool"), kwargs.get("url") or "", None)  # type: ignore[arg-type]
        return retry

    def get_retry_after(self, response: Any) -> float | None:
        value = super().get_retry_after(response)
        if value is None:
            return None
        return max(0.0, min(float(value), self._left() - 0.1))


def make_retry(remaining: Callable[[], float] | None) -> PublishRetry:
    return PublishRetry(
        total=6,
        connect=4,
        read=3,
        status=4,
        other=0,
        redirect=5,
        backoff_factor=0.25,
        backoff_max=5.0,
        status_forcelist=TRANSIENT_STATUSES,
        allowed_methods=frozenset({"GET"}),
        respect_retry_after_header=True,
        raise_on_status=False,
        remaining=remaining,
    )


_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.IGNORECASE | re.DOTALL)


def server_message(response: requests.Response, body: bytes) -> str:
    """The server's own words, from JSON or an HTML/text page, kept short."""
    text = body.decode("utf-8", errors="replace")
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, Mapping):
        for key in ("message", "error", "detail", "errorMessage", "title"):
            value = data.get(key)
            if isinstance(value, str) and value.strip():
                text = value
                break
    elif "<" in text and ">" in text:
        text = _TAGS.sub(" ", text)
    text = " ".join(text.split())
    if not text:
        text = response.reason or "(empty answer)"
    return text if len(text) <= 500 else text[:497] + "..."


def _retry_after(response: requests.Response) -> float:
    value = response.headers.get("Retry-After", "")
    if not value:
        return 0.0
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    parsed = Retry().parse_retry_after(value) if value else 0.0
    return float(parsed)


class SampleExchangeClient:
    """Submits contributions and reads jobs; raises ``ApiError`` subclasses."""

    def __init__(
        self,
        api_url: str,
        *,
        username: str = "",
        password: str = "",
        token: str = "",
        ca_bundle: str = "",
        remaining: Callable[[], float] | None = None,
        session: requests.Session | None = None,
        read_timeout: float = READ_TIMEOUT,
        on_secret: Callable[[str], None] | None = None,
        debug: Callable[[str], None] | None = None,
    ) -> None:
        self.api_url = check_api_url(api_url)
        self.on_secret = on_secret
        self.debug = debug
        self.remaining = remaining
        self.read_timeout = read_timeout
        self.session = session or requests.Session()
        self.session.auth = make_auth(username, password, token)
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.headers["Accept"] = "application/json"
        # Verification is always on; a private CA is added, never bypassed.
        self.session.verify = ca_bundle or True
        adapter = HTTPAdapter(max_retries=make_retry(remaining))
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)

    def close(self) -> None:
        self.session.close()

    def _timeout(self) -> tuple[float, float]:
        left = self.remaining() if self.remaining is not None else self.read_timeout
        return (CONNECT_TIMEOUT, max(0.1, min(self.read_timeout, left)))

    def _request(
        self, method: str, path: str, *, json_body: Any = None, job_id: int | None = None
    ) -> Any:
        url = join_url(self.api_url, path)
        try:
            response = self.session.request(
                method, url, json=json_body, timeout=self._timeout(), stream=True
            )
        except requests.exceptions.SSLError as exc:
            what, hint = messages.TLS
            raise ApiError(what.format(url=url, reason=_reason(exc)), hint=hint) from None
        except (requests.exceptions.ConnectTimeout, requests.exceptions.ConnectionError) as exc:
            if method in SUBMIT_METHODS and not _never_connected(exc):
                what, hint = messages.SUBMIT_UNCERTAIN
                raise ApiError(what.format(url=url, reason=_reason(exc)), hint=hint) from None
            if method == "GET":
                raise TransientApiError(_reason(exc)) from None
            what, hint = messages.CONNECT
            raise ApiError(what.format(url=url, reason=_reason(exc)), hint=hint) from None
        except requests.exceptions.Timeout as exc:
            if method in SUBMIT_METHODS:
                what, hint = messages.SUBMIT_UNCERTAIN
                raise ApiError(what.format(url=url, reason=_reason(exc)), hint=hint) from None
            raise TransientApiError(_reason(exc)) from None
        except requests.exceptions.RequestException as exc:
            if method == "GET":
                raise TransientApiError(_reason(exc)) from None
            what, hint = messages.SUBMIT_UNCERTAIN
            raise ApiError(what.format(url=url, reason=_reason(exc)), hint=hint) from None
        with response:
            body = self._read_capped(response, method)
        data = self._decode(method, url, response, body, job_id)
        self._trace(method, url, response.status_code, data)
        return data

    def _trace(self, method: str, url: str, status: int, data: Any) -> None:
        found = secret_values(data)
        if self.on_secret is not None:
            for value in found:
                self.on_secret(value)
        if self.debug is not None:
            shown = json.dumps(redact_fields(data), indent=2, ensure_ascii=False)
            self.debug(f"{method} {url} -> HTTP {status}\n{shown}")

    def _read_capped(self, response: requests.Response, method: str) -> bytes:
        try:
            body = response.raw.read(MAX_BODY_BYTES + 1, decode_content=True)
        except Exception as exc:  # urllib3 raises several types mid-body
            if method == "GET":
                raise TransientApiError(f"connection lost while reading: {_reason(exc)}") from None
            what, hint = messages.SUBMIT_UNCERTAIN
            url = response.url
            raise ApiError(what.format(url=url, reason=_reason(exc)), hint=hint) from None
        if len(body) > MAX_BODY_BYTES:
            what, hint = messages.TOO_LARGE
            raise ApiError(what.format(limit=MAX_BODY_BYTES), hint=hint)
        return bytes(body)

    def _decode(
        self,
        method: str,
        url: str,
        response: requests.Response,
        body: bytes,
        job_id: int | None,
    ) -> Any:
        status = response.status_code
        if 200 <= status < 300:
            try:
                return json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                what, hint = messages.NOT_JSON
                server = server_message(response, body)
                if method == "GET":
                    raise TransientApiError(what.format(status=status, server=server)) from None
                raise ApiError(what.format(status=status, server=server), hint=hint) from None
        server = server_message(response, body)
        if self.debug is not None:
            self.debug(f"{method} {url} -> HTTP {status}: {server}")
        if status in TRANSIENT_STATUSES:
            retry_after = _retry_after(response)
            if status == 429:
                what, hint = messages.HTTP_RATE_LIMITED
                wait = f", retry after {retry_after:g} s" if retry_after else ""
                text = what.format(retry=wait, server=server)
            else:
                what, hint = messages.HTTP_SERVER
                text = what.format(status=status, server=server)
            if method == "GET":
                raise TransientApiError(text, status=status, retry_after=retry_after)
            raise ApiError(text, status=status, hint=hint)
        template = {
            401: messages.HTTP_401,
            403: messages.HTTP_403,
            400: messages.HTTP_REJECTED,
            409: messages.HTTP_REJECTED,
            422: messages.HTTP_REJECTED,
        }.get(status)
        if status == 404:
            template = messages.HTTP_404_JOB if job_id is not None else messages.HTTP_404_SUBMIT
        if template is None:
            template = messages.HTTP_SERVER if status >= 500 else messages.HTTP_UNEXPECTED
        what, hint = template
        fields = {
            "server": server,
            "status": status,
            "job_id": job_id,
            "method": method,
            "url": url,
            "sample_id": "",
        }
        raise ApiError(what.format(**fields), status=status, hint=hint, job_id=job_id)

    def _job(self, data: Any, job_id: int | None = None) -> SampleJob:
        if not isinstance(data, Mapping):
            what, hint = messages.NOT_A_JOB
            raise ApiError(what.format(server=str(data)[:200]), hint=hint, job_id=job_id)
        job = SampleJob.from_json(data)
        if job.id is None and job_id is None:
            what, hint = messages.NOT_A_JOB
            raise ApiError(what.format(server=json.dumps(data)[:200]), hint=hint)
        return job

    def submit(self, contribution: Mapping[str, Any], sample_id: int | None = None) -> SampleJob:
        """Create (POST) or, with ``sample_id``, update (PUT) a sample; returns the job."""
        kind: Kind = "update" if sample_id is not None else "create"
        method, path = ENDPOINTS[kind]
        body = dict(contribution)
        if sample_id is not None:
            body["id"] = sample_id
        return self._job(self._request(method, path, json_body=body))

    def get_job(self, job_id: int, kind: Kind = "create") -> SampleJob:
        _, path = ENDPOINTS[kind]
        data = self._request("GET", f"{path}/{job_id}", job_id=job_id)
        job = self._job(data, job_id)
        return job


def secret_values(data: Any) -> list[str]:
    """String values of fields named like a secret, anywhere in a JSON value."""
    found: list[str] = []
    if isinstance(data, Mapping):
        for key, value in data.items():
            if isinstance(value, str) and value and SECRET_FIELD.search(str(key)):
                found.append(value)
            else:
                found += secret_values(value)
    elif isinstance(data, list):
        for item in data:
            found += secret_values(item)
    return found


def redact_fields(data: Any) -> Any:
    """A copy with every secret-named field's value replaced by ``***``."""
    if isinstance(data, Mapping):
        return {
            key: MASK if SECRET_FIELD.search(str(key)) and value else redact_fields(value)
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [redact_fields(item) for item in data]
    return data


def _never_connected(exc: BaseException) -> bool:
    """True when the error shows no byte of the request reached the server."""
    text = repr(exc)
    markers = (
        "NewConnectionError",
        "NameResolutionError",
        "Failed to establish a new connection",
        "ConnectTimeout",
        "Connection refused",
    )
    return isinstance(exc, requests.exceptions.ConnectTimeout) or any(m in text for m in markers)


def _reason(exc: BaseException) -> str:
    """A short cause without the URL-with-credentials noise requests adds."""
    text = str(exc)
    inner = re.search(r"\((Caused by )?(\w+)\(['\"]?(.*?)['\"]?\)\)?$", text)
    if inner:
        text = f"{inner.group(2)}: {inner.group(3)}"
    text = re.sub(r"<urllib3\.[^>]*>", "", text)
    text = " ".join(text.split())
    return text[:300] if text else type(exc).__name__
