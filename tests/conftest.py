"""Every test session gets its own cache folder (embeddings, layouts, landscapes built by notebooks),
so tests never read what an earlier session (or the user's own work) left in ``~/.cache/landscape``."""

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _isolated_caches(tmp_path_factory):
    saved = {k: os.environ.get(k) for k in ("LANDSCAPE_CACHE_DIR",)}
    os.environ["LANDSCAPE_CACHE_DIR"] = str(tmp_path_factory.mktemp("landscape-cache"))
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
