"""The training browser tests reuse the shared browser set-up (live server, serialized
rollback, logged-in pages) of ``tests/browser/conftest.py``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import (  # noqa: F401 - fixtures, registered by import
    _browser_db,
    _serialized_contents_survive_playwright,
    logged_in_page,
    page,
)


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)
