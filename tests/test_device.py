"""Where pipelines embed: device="auto" takes the GPU where torch sees one, else the CPU."""

import pytest

from landscape.embed.embedder import resolve_device
from landscape.errors import LandscapeError


def test_auto_device_follows_what_torch_sees(monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == "cpu"


def test_named_devices_are_kept_and_bad_ones_refused():
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("cuda:1") == "cuda:1"
    for bad in ("", None, 3):
        with pytest.raises(LandscapeError, match="device must be one of auto, cpu, cuda"):
            resolve_device(bad)
