"""The action's way in: the runner's environment, handed to the shared flow."""

from __future__ import annotations

from collections.abc import Mapping

from .context import repo_context, settings_from_inputs
from .errors import ConfigError
from .publish import Run, plan, publish, report_failure
from .runner import ActionsReporter, is_debug


def main(env: Mapping[str, str]) -> int:
    reporter = ActionsReporter(env, debug=is_debug(env))
    # Mask before anything else can print, even before inputs are checked.
    for name in ("INPUT_PASSWORD", "INPUT_TOKEN"):
        if env.get(name):
            reporter.mask(env[name])
    try:
        settings = settings_from_inputs(env)
    except ConfigError as exc:
        report_failure(reporter, exc, Run())
        return 1
    if settings.mode == "plan":  # validate and fan out; nothing is sent
        return plan(settings, repo_context(env), reporter)
    return publish(settings, repo_context(env), reporter)
