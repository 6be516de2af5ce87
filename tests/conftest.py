"""Every test session gets its own embedding/layout cache and notebook build folder, so tests never
read what an earlier session (or the user's own work) left in ``~/.cache/landscape``."""

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _isolated_caches(tmp_path_factory):
    saved = {k: os.environ.get(k) for k in ("LANDSCAPE_CACHE_DIR", "LANDSCAPE_BUILD_DIR")}
    os.environ["LANDSCAPE_CACHE_DIR"] = str(tmp_path_factory.mktemp("landscape-cache"))
    os.environ["LANDSCAPE_BUILD_DIR"] = str(tmp_path_factory.mktemp("landscape-builds"))
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
