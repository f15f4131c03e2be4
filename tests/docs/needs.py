"""What the site and notebook tests need: the docs extra (``pip install -e ".[docs]"``) and, for
the browser test, Chromium. Locally a missing piece skips with the command that installs it; on
CI (the CI environment variable is set: .ci/run installs everything) it fails instead, so a broken
install step cannot pass as a skip."""

from __future__ import annotations

import importlib.util
import os

import pytest

DOCS_EXTRA = 'pip install -e ".[docs]"'


def missing(what: str, install: str) -> None:
    """Skip (locally) or fail (on CI) because ``what`` is not installed."""
    message = f"{what} is not installed ({install})"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI must have it: .ci/run installs it", pytrace=False)
    pytest.skip(message)


def need_modules(*names: str, install: str = DOCS_EXTRA) -> None:
    for name in names:
        if importlib.util.find_spec(name) is None:
            missing(f"the Python package {name}", install)
