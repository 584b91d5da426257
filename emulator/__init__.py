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

Faults (``emu.add_fault(...)``, ``POST /_admin/faults``, CLI ``--fault SPEC``): see
``FaultRule``; targeted by op (submit|poll|search|defaults|any) and limited by count.
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
