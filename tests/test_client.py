"""The API client, each status path, with ``responses`` standing in for the server."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
import responses

from publisher.client import (
    SampleExchangeClient,
    TransientApiError,
    check_api_url,
    join_url,
    make_retry,
)
from publisher.errors import ApiError, ConfigError

API = "https://api.example.test/sampleExchange/v1"


def job(**fields: Any) -> dict[str, Any]:
    return {"id": 77, "state": "NEW", "progress": 0} | fields


def client(**kwargs: Any) -> SampleExchangeClient:
    return SampleExchangeClient(API, username="u", password="p", **kwargs)


def test_join_keeps_the_base_path() -> None:
    assert join_url(API + "/", "/contributions/async") == API + "/contributions/async"


@pytest.mark.parametrize(
    "url",
    ["http://example.com/api", "ftp://example.com", "not a url", "http://10.0.0.1/api"],
)
def test_refuses_cleartext_or_odd_urls(url: str) -> None:
    with pytest.raises(ConfigError):
        check_api_url(url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/x", "http://localhost/x", "http://[::1]/"])
def test_plain_http_allowed_on_loopback(url: str) -> None:
    assert check_api_url(url) == url.rstrip("/")


@responses.activate
def test_create_posts_the_contribution_with_basic_auth() -> None:
    responses.post(f"{API}/contributions/async", json=job(), status=202)
    result = client().submit({"name": "x"})
    assert result.id == 77
    assert result.state == "NEW"
    sent = responses.calls[0].request
    assert json.loads(sent.body or b"") == {"name": "x"}
    assert sent.headers["Authorization"].startswith("Basic ")


@responses.activate
def test_update_puts_with_the_sample_id_and_bearer() -> None:
    responses.put(f"{API}/samples/async", json=job(id=8), status=202)
    result = SampleExchangeClient(API, token="tok").submit({"name": "x"}, sample_id=1234)
    assert result.id == 8
    sent = responses.calls[0].request
    assert json.loads(sent.body or b"") == {"name": "x", "id": 1234}
    assert sent.headers["Authorization"] == "Bearer tok"


@responses.activate
def test_get_job_reads_a_finished_sample_leniently() -> None:
    body = job(
        state="FINISHED",
        progress="100",
        sampleId=5,
        extra={"ignored": True},
        sample={
            "id": 5,
            "name": "S",
            "webUrl": "https://code.example/samples/5",
            "downloadUrl": "https://d/5.zip",
            "score": "number",
            "author": {"gitHubToken": "gho_secret"},
        },
    )
    responses.get(f"{API}/contributions/async/77", json=body)
    result = client().get_job(77)
    assert (result.state, result.progress, result.sample_id) == ("FINISHED", 100, 5)
    assert result.sample_url == "https://code.example/samples/5"
    assert result.download_url == "https://d/5.zip"
    assert "gho_secret" not in repr(result)


@responses.activate
def test_sample_url_falls_back_to_code_vmware_com() -> None:
    responses.get(f"{API}/samples/async/3", json=job(id=3, state="FINISHED", sampleId=9))
    assert client().get_job(3, "update").sample_url == "https://code.vmware.com/samples/9"


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (401, {"message": "bad credentials"}, "check the `username`/`password` or `token`"),
        (403, "<html><body><h1>Forbidden</h1></body></html>", "Forbidden"),
        (400, {"message": "name is required"}, "name is required"),
        (422, {"error": "tags invalid"}, "tags invalid"),
        (404, "nope", "Check `api-url`"),
        (418, "teapot", "unexpected HTTP 418"),
        (500, {"message": "db down"}, "db down"),
    ],
)
@responses.activate
def test_submit_errors_say_what_to_do(status: int, body: Any, expected: str) -> None:
    kwargs = {"json": body} if isinstance(body, dict) else {"body": body}
    responses.post(f"{API}/contributions/async", status=status, **kwargs)
    with pytest.raises(ApiError) as caught:
        client().submit({"name": "x"})
    assert caught.value.status == status
    assert expected.lower() in str(caught.value).lower()
    assert len(responses.calls) == 1


@responses.activate
def test_404_on_a_job_names_the_job() -> None:
    responses.get(f"{API}/contributions/async/99", status=404, body="")
    with pytest.raises(ApiError, match="no job 99") as caught:
        client().get_job(99)
    assert "job-id" in caught.value.hint


@pytest.mark.parametrize("status", [429, 502, 503, 504])
@responses.activate
def test_poll_gateway_errors_are_transient(status: int) -> None:
    responses.get(
        f"{API}/contributions/async/1",
        status=status,
        body="<html>Bad gateway</html>",
        headers={"Retry-After": "7"},
    )
    with pytest.raises(TransientApiError) as caught:
        client().get_job(1)
    assert caught.value.status == status
    assert caught.value.retry_after == 7.0


@responses.activate
def test_retry_after_as_http_date() -> None:
    responses.get(
        f"{API}/contributions/async/1",
        status=429,
        headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"},
    )
    with pytest.raises(TransientApiError) as caught:
        client().get_job(1)
    assert caught.value.retry_after == 0.0  # a date in the past: no wait


@responses.activate
def test_submit_gateway_error_is_final_not_transient() -> None:
    responses.post(f"{API}/contributions/async", status=502, body="<html>502</html>")
    with pytest.raises(ApiError) as caught:
        client().submit({"name": "x"})
    assert not isinstance(caught.value, TransientApiError)


@responses.activate
def test_200_that_is_not_json() -> None:
    responses.post(f"{API}/contributions/async", status=202, body="<html>Login</html>")
    with pytest.raises(ApiError, match="not JSON"):
        client().submit({"name": "x"})
    responses.get(f"{API}/contributions/async/1", status=200, body='{"id": 1, "sta')
    with pytest.raises(TransientApiError):
        client().get_job(1)


@responses.activate
def test_answer_without_job_id_is_refused() -> None:
    responses.post(f"{API}/contributions/async", status=202, json={"hello": "world"})
    with pytest.raises(ApiError, match="without a job id"):
        client().submit({"name": "x"})


@responses.activate
def test_oversized_answer_is_refused() -> None:
    from publisher import client as module

    responses.get(f"{API}/contributions/async/1", body=b"x" * (module.MAX_BODY_BYTES + 10))
    with pytest.raises(ApiError, match="more than"):
        client().get_job(1)


@responses.activate
def test_read_timeout_on_submit_is_never_retried() -> None:
    responses.post(
        f"{API}/contributions/async", body=requests.exceptions.ReadTimeout("read timed out")
    )
    with pytest.raises(ApiError) as caught:
        client().submit({"name": "x"})
    assert "may have reached the server" in str(caught.value)
    assert "twice" in caught.value.hint
    assert len(responses.calls) == 1


@responses.activate
def test_connection_refused_on_submit_says_nothing_was_sent() -> None:
    responses.post(
        f"{API}/contributions/async",
        body=requests.exceptions.ConnectionError("Failed to establish a new connection"),
    )
    with pytest.raises(ApiError, match="Could not connect"):
        client().submit({"name": "x"})


def test_verification_is_always_on_and_ca_bundle_is_used() -> None:
    assert client().session.verify is True
    assert client(ca_bundle="/etc/my-ca.pem").session.verify == "/etc/my-ca.pem"


class TestRetryPolicy:
    """urllib3's Retry decides; these pin the per-method policy."""

    def test_submit_retries_only_refusals(self) -> None:
        retry = make_retry(None)
        assert retry.is_retry("POST", 429)
        assert retry.is_retry("PUT", 503, has_retry_after=True)
        assert not retry.is_retry("POST", 503)
        assert not retry.is_retry("POST", 502)
        assert not retry.is_retry("POST", 504)
        assert not retry._is_method_retryable("POST")  # no retry after a read error

    def test_poll_retries_gateway_errors(self) -> None:
        retry = make_retry(None)
        for status in (429, 502, 503, 504):
            assert retry.is_retry("GET", status)
        assert not retry.is_retry("GET", 500)
        assert retry._is_method_retryable("GET")

    def test_no_retry_and_no_wait_past_the_deadline(self) -> None:
        left = [100.0]
        retry = make_retry(lambda: left[0])
        assert retry.is_retry("GET", 503)
        left[0] = 0.05
        assert not retry.is_retry("GET", 503)
        left[0] = 3.0
        response = type("R", (), {"headers": {"Retry-After": "3600"}})()
        wait = retry.get_retry_after(response)
        assert wait is not None
        assert wait <= 3.0
        assert retry.new().remaining is retry.remaining


@responses.activate
def test_redirect_to_another_host_drops_the_authorization_header() -> None:
    other = "https://elsewhere.example.org/landing"
    responses.get(f"{API}/contributions/async/1", status=302, headers={"Location": other})
    responses.get(other, json=job(id=1))
    client().get_job(1)
    first, second = responses.calls
    assert "Authorization" in first.request.headers
    assert "Authorization" not in second.request.headers


@responses.activate
def test_every_request_has_connect_and_read_timeouts() -> None:
    responses.post(f"{API}/contributions/async", json=job(), status=202)
    responses.get(f"{API}/contributions/async/77", json=job())
    c = SampleExchangeClient(API, token="t", remaining=lambda: 4.0)
    c.submit({"name": "x"})
    c.get_job(77)
    for call in responses.calls:
        connect, read = call.request.req_kwargs["timeout"]
        assert connect > 0
        assert 0 < read <= 4.0  # never longer than what is left of the deadline


@responses.activate
def test_secret_named_fields_are_reported_and_redacted_in_debug() -> None:
    body = job(sample={"author": {"gitHubToken": "gho_planted"}, "name": "n"}, password="pw1")
    responses.get(f"{API}/contributions/async/77", json=body)
    found: list[str] = []
    debug: list[str] = []
    SampleExchangeClient(API, token="t", on_secret=found.append, debug=debug.append).get_job(77)
    assert sorted(found) == ["gho_planted", "pw1"]
    assert "gho_planted" not in debug[0]
    assert "pw1" not in debug[0]
    assert '"gitHubToken": "***"' in debug[0]
