"""A local VMware Sample Exchange: a real HTTP server on loopback, in memory, stdlib only.

Serves under ``base_path`` (default ``/sampleExchange/v1``):
``POST /contributions/async`` and ``PUT /samples/async`` (202 + SampleJob),
``GET /contributions/async/{jobId}`` and ``GET /samples/async/{jobId}`` (200 SampleJob),
``GET /search/samples/{id}`` and ``GET /search/samples?keyword=&tag=&limit=&offset=`` (public),
``POST /contributions/defaults`` and ``POST /contributions`` (both inferred paths).
Outside it: ``GET /samples/{id}`` (the webUrl page) and the unauthenticated admin API
``GET /_admin/health``, ``GET /_admin/state``, ``POST /_admin/configure``,
``POST|DELETE /_admin/faults``, ``POST /_admin/reset``, ``POST /_admin/samples``.

Settings (``Emulator(**kw)``, ``emu.configure(**kw)``, ``POST /_admin/configure``; CLI flag
in brackets): base_path [--base-path], username/password [--username/--password; "" disables
Basic], token [--token; "" disables Bearer], job_seconds [--job-seconds; creation→FINISHED],
start_delay [--start-delay; NEW before RUNNING], progress linear|stepped|none [--progress],
fail_jobs MESSAGE [--fail-jobs; FINISHED with error + stackTrace], stack_trace,
job_mode normal|stuck|regress|unknown|no-sample-id [--job-mode], unknown_state [--unknown-state],
web_url [--no-web-url], web_url_base [--web-url-base], github_token [--github-token; planted in
sample.author.gitHubToken], bearer_user, defaults_enabled [--no-defaults].

Process options (``Emulator(...)`` keyword; CLI): host [--host, default 127.0.0.1],
port [--port, 0 = free port], clock (tests inject a fake one), access_log [on unless --quiet],
advertise_host [--advertise-host; the host named in URLs], faults [--fault SPEC, repeatable].

Faults (``emu.add_fault(...)``, ``POST /_admin/faults``, ``--fault``; see ``FaultRule``),
each targeted by op (submit|poll|search|download|defaults|any) and limited by count:
HTTP kinds ``status`` (any code, JSON ``{"message"}``, optional Retry-After in seconds or as
an HTTP date), ``html`` (gateway page, 502 or even 200), ``truncated`` (cut JSON), ``reset``
(RST via SO_LINGER 0), ``stall`` (sleep N s; by default after the request took effect, so a
stalled submit has created its job); job kinds for the next submits: ``fail``, ``stuck``,
``regress`` (RUNNING→NEW), ``unknown`` (state "PAUSED"), ``no-sample-id``, ``script``
(states per poll, e.g. FINISHED then RUNNING). ``HOSTILE_TEXT`` holds workflow-command bait.
Job times come from an injectable clock, so the state machine is deterministic in tests.
"""

from emulator.model import (
    BASE_PATH,
    HOSTILE_TEXT,
    PLANTED_GITHUB_TOKEN,
    FaultRule,
    RequestRecord,
    Settings,
    Store,
    job_phase,
    parse_fault_spec,
)
from emulator.server import Emulator

__all__ = [
    "BASE_PATH",
    "HOSTILE_TEXT",
    "PLANTED_GITHUB_TOKEN",
    "Emulator",
    "FaultRule",
    "RequestRecord",
    "Settings",
    "Store",
    "job_phase",
    "parse_fault_spec",
]
