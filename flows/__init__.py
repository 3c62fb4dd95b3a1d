"""Prefect flows. They compose the stages, plain functions in ``cllr.pipeline``, and hold no logic."""

import os

# Quiet and offline unless the operator says otherwise; these must be set before
# Prefect is imported (docs/operations.md lists them).
for _name, _value in {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
}.items():
    os.environ.setdefault(_name, _value)
