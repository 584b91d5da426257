"""Publish code samples to VMware Sample Exchange from a manifest.

Modules, one concern each: ``manifest`` (load, locate, validate, build the
Contribution), ``client`` (HTTP), ``poller`` (waiting and its schedule),
``runner`` (the Actions runner protocol), ``context`` (inputs and flags),
``publish`` (the flow), ``cli`` and ``action`` (the two ways in), ``errors``
and ``messages`` (what users are told).
"""

__version__ = "0.1.0"
