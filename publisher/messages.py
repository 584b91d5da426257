"""Every user-facing failure text, kept together so they read alike.

Each pair is (what failed, what to do). Placeholders are filled with
``str.format``; server text put into them is untrusted and is escaped by the
reporter, never here.
"""

from __future__ import annotations

HTTP_401 = (
    "Sample Exchange rejected the credentials (HTTP 401): {server}",
    "Check the `username`/`password` or `token` secret passed to the action.",
)
HTTP_403 = (
    "Sample Exchange refused the request (HTTP 403): {server}",
    "The account lacks permission for this sample or API; check it can publish "
    "(and owns sample {sample_id} for an update).",
)
HTTP_404_JOB = (
    "Sample Exchange has no job {job_id} (HTTP 404): {server}",
    "Is `api-url` right, and is `job-id` a job of this API (create and update jobs differ)?",
)
HTTP_404_SUBMIT = (
    "Sample Exchange answered 404 to {method} {url}: {server}",
    "Check `api-url` (it should end with the API's base path, e.g. /sampleExchange/v1)"
    " and, for an update, `sample-id`.",
)
HTTP_REJECTED = (
    "Sample Exchange rejected the contribution (HTTP {status}): {server}",
    "Fix the manifest according to the server's message and run again.",
)
HTTP_RATE_LIMITED = (
    "Sample Exchange is rate limiting (HTTP 429){retry}: {server}",
    "Wait and run again; for a job that was already submitted, set `job-id` to resume.",
)
HTTP_SERVER = (
    "Sample Exchange failed (HTTP {status}): {server}",
    "The service or its gateway is having trouble; run again later.",
)
HTTP_UNEXPECTED = (
    "Sample Exchange answered {method} {url} with unexpected HTTP {status}: {server}",
    "Check `api-url`.",
)
NOT_JSON = (
    "Sample Exchange answered HTTP {status} with something that is not JSON: {server}",
    "Check `api-url`: it may point at a web page or a proxy, not the API.",
)
NOT_A_JOB = (
    "Sample Exchange answered without a job id: {server}",
    "Check `api-url`; this does not look like the Sample Exchange API.",
)
TOO_LARGE = (
    "Sample Exchange answered with more than {limit} bytes.",
    "Check `api-url`; the API's answers are small.",
)
CONNECT = (
    "Could not connect to {url}: {reason}",
    "Check `api-url` and that the runner can reach it.",
)
TLS = (
    "TLS verification failed for {url}: {reason}",
    "For a private CA, pass its bundle as `ca-bundle`; verification is never turned off.",
)
SUBMIT_UNCERTAIN = (
    "The submit to {url} got no answer ({reason}); it may have reached the server.",
    "It was not retried, as that could publish the sample twice. Check Sample Exchange for a "
    "new job or sample before running again; to wait for a job that exists, set `job-id`.",
)
POLL_TRANSIENT = "Poll of job {job_id} failed ({reason}); trying again."
JOB_ERROR = (
    "Sample Exchange job {job_id} failed: {error}",
    "Fix what the message says and publish again; with `RUNNER_DEBUG=1` the server's stack "
    "trace is shown.",
)
JOB_UNKNOWN_STATE = (
    "Sample Exchange job {job_id} is in state {state!r}, which this action does not know.",
    "Check the job on Sample Exchange; resume with `job-id: {job_id}` when it has finished.",
)
JOB_NO_SAMPLE = (
    "Sample Exchange job {job_id} finished without a sample id.",
    "Check Sample Exchange for the sample; the job reported success but named no sample.",
)
TIMEOUT = (
    "Job {job_id} had not finished after {timeout:g} s (last state {state}).",
    "The job may still finish: run again with `job-id: {job_id}` (CLI: `status {job_id}` or "
    "`publish --job-id {job_id}`) to wait for it without submitting again, or raise `timeout`.",
)
CANCELLED = (
    "Cancelled while waiting for job {job_id} (last state {state}).",
    "Resume with `job-id: {job_id}` to wait for it without submitting again.",
)
CANCELLED_BEFORE_JOB = (
    "Cancelled before Sample Exchange answered with a job id.",
    "If the submit had already been sent, a job may exist: check Sample Exchange before "
    "running again.",
)
INSECURE_URL = (
    "Refusing plain http:// for {url}: the credentials would travel in clear.",
    "Use https:// (plain http is allowed only for loopback addresses, e.g. a local emulator).",
)
NO_CREDENTIALS = (
    "No credentials given.",
    "Pass `token`, or `username` and `password`, from repository secrets "
    "(CLI: SAMPLE_EXCHANGE_TOKEN or SAMPLE_EXCHANGE_USERNAME/SAMPLE_EXCHANGE_PASSWORD).",
)
