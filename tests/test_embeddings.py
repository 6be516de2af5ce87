"""Embedder: offline model loading (no socket), options, precision rule, precomputed embeddings.

Most tests use a fake backend; the real bundled MiniLM is loaded once per module (~7 s) plus once in a
subprocess for the no-network test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from landscape.embed import embedder as emb_mod
from landscape.embed import precision as precision_mod
from landscape.embed.cache import FILE_NAME
from landscape.embed.embedder import (
    BUNDLED_MODEL_ID,
    Embedder,
    SentenceTransformerBackend,
    auto_precision,
    load_embeddings,
    paper_text,
    resolve_model,
)
from landscape.errors import LandscapeError

SAMPLE = Path(__file__).resolve().parents[1] / "landscape" / "data" / "hf_papers_sample.csv"
REPO = Path(__file__).resolve().parents[1]


class TinyBackend:
    def __init__(self, precisions=("fp32", "bf16"), dim=4):
        self.model_id = "tiny/model"
        self.dim = dim
        self.precisions = precisions
        self.calls = []

    def encode_batch(self, texts, precision):
        self.calls.append((list(texts), precision))
        return np.ones((len(texts), self.dim), dtype=np.float32)


@pytest.fixture(scope="module")
def sample():
    return pd.read_csv(SAMPLE)


# ---- options and model resolution -----------------------------------------------------------------


def test_importing_the_module_loads_no_heavy_library():
    code = (
        "import sys, landscape.embed.embedder, landscape.embed.cache; "
        "heavy = {'torch', 'sentence_transformers', 'transformers', 'onnxruntime', 'onnx'}; "
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.stdout.strip() == "[]", out.stderr


def test_paper_text():
    assert paper_text("Machine Unlearning", "We forget data.") == "Machine Unlearning. We forget data."


def test_invalid_precision_is_a_helpful_error():
    with pytest.raises(LandscapeError, match=r"precision must be one of auto, fp32, bf16, int8.*got 'fp16'"):
        Embedder(TinyBackend(), precision="fp16", cache_dir=False).encode(["x"])


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("batch_size", 0, "batch_size must be a positive integer"),
        ("max_seq_length", "256", "max_seq_length must be a positive integer"),
        ("show_progress", "yes", "show_progress must be None, True or False"),
        ("cache_dir", True, "cache_dir must be a directory"),
    ],
)
def test_invalid_options(option, value, message):
    with pytest.raises(LandscapeError, match=message):
        Embedder(TinyBackend(), **{"cache_dir": False, option: value}).encode(["x"])


def test_init_keeps_arguments_verbatim():
    emb = Embedder("all-MiniLM-L6-v2", precision="nonsense", batch_size=-1)
    assert (emb.model, emb.precision, emb.batch_size) == ("all-MiniLM-L6-v2", "nonsense", -1)


def test_non_string_text_is_named():
    with pytest.raises(LandscapeError, match="text 1 is float"):
        Embedder(TinyBackend(), cache_dir=False).encode(["ok", float("nan")])
    with pytest.raises(LandscapeError, match="sequence of texts"):
        Embedder(TinyBackend(), cache_dir=False).encode("a single string")


def test_default_model_id_without_loading_the_model():
    assert Embedder().model_id == BUNDLED_MODEL_ID
    assert Embedder("sentence-transformers/all-MiniLM-L6-v2").model_id == BUNDLED_MODEL_ID
    assert not hasattr(Embedder(), "_backend_value")


def test_local_directory_model_id_is_its_absolute_path(monkeypatch):
    model_dir = resolve_model("all-MiniLM-L6-v2").path
    monkeypatch.chdir(model_dir.parent)
    assert Embedder(model_dir.name).model_id == str(model_dir.resolve())


def test_missing_local_directory_is_a_clear_error(tmp_path):
    with pytest.raises(LandscapeError, match="does not exist"):
        _ = Embedder(str(tmp_path / "nope" / "model")).model_id
    (tmp_path / "empty").mkdir()
    with pytest.raises(LandscapeError, match="not a sentence-transformers model directory"):
        _ = Embedder(str(tmp_path / "empty")).model_id


def test_unknown_model_is_not_available_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    with pytest.raises(
        LandscapeError, match="'no-such-model' is not available offline.*never downloads"
    ) as err:
        Embedder("no-such-model", cache_dir=False).encode(["x"])
    assert "sentence-transformers/no-such-model" in str(err.value)
    assert "local model directory" in str(err.value)


def test_model_in_local_hf_cache_is_found_offline(tmp_path, monkeypatch):
    # the layout huggingface_hub writes: models--org--name/{refs/main, snapshots/<commit>/...}
    bundled = resolve_model("all-MiniLM-L6-v2").path
    repo = tmp_path / "models--myorg--mini"
    snapshot = repo / "snapshots" / "0123abcd"
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123abcd")
    for name in ("config.json", "modules.json"):
        (snapshot / name).write_bytes((bundled / name).read_bytes())
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    spec = resolve_model("myorg/mini")
    assert spec.model_id == "myorg/mini"
    assert spec.path == snapshot
    assert Embedder("myorg/mini").model_id == "myorg/mini"


# ---- precision ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({"avx2", "avx512f", "avx512bw", "avx512_vnni"}, "int8"),  # Ice Lake: emulated bf16
        ({"avx512f", "avx512_bf16", "avx512_vnni"}, "int8"),  # Cooper Lake, Zen 4: int8 is faster
        ({"avx512f", "amx_bf16", "amx_int8", "amx_tile"}, "int8"),  # Sapphire Rapids and later
        ({"avx512f", "avx512_bf16"}, "bf16"),  # native bf16 without VNNI
        ({"fp", "asimd", "bf16"}, "bf16"),  # ARMv8.6 (Graviton 3, Neoverse V1)
        ({"avx2", "fma"}, "fp32"),  # no VNNI: int8 would need 7-bit weights, below cosine 0.99
        (set(), "fp32"),
    ],
)
def test_auto_precision_rule(flags, expected):
    assert auto_precision("cpu", flags) == expected


def test_auto_precision_gives_a_model_without_int8_the_next_fastest():
    bf16_cpu = {"avx512f", "avx512_bf16", "avx512_vnni"}
    assert auto_precision("cpu", bf16_cpu, supported=("fp32", "bf16")) == "bf16"
    assert auto_precision("cpu", {"avx512_vnni"}, supported=("fp32", "bf16")) == "fp32"


def test_auto_precision_respects_what_the_backend_supports(monkeypatch):
    monkeypatch.delenv("LANDSCAPE_PRECISION", raising=False)
    monkeypatch.setattr(precision_mod, "cpu_flags", lambda: {"avx512_bf16"})
    assert Embedder(TinyBackend(), cache_dir=False).resolved_precision() == "bf16"
    assert Embedder(TinyBackend(precisions=("fp32",)), cache_dir=False).resolved_precision() == "fp32"
    monkeypatch.setattr(precision_mod, "cpu_flags", lambda: {"avx512f"})
    backend = TinyBackend()
    emb = Embedder(backend, cache_dir=False)
    emb.encode(["x"])
    assert backend.calls[0][1] == "fp32" and emb.last_stats_["precision"] == "fp32"
    with pytest.raises(LandscapeError, match="does not support precision 'bf16'"):
        Embedder(TinyBackend(precisions=("fp32",)), precision="bf16", cache_dir=False).encode(["x"])


def test_precision_env_var_forces_what_auto_runs(monkeypatch):
    monkeypatch.setattr(precision_mod, "cpu_flags", lambda: {"avx512f"})  # auto alone: fp32 (no int8 here)
    monkeypatch.setenv("LANDSCAPE_PRECISION", "bf16")
    backend = TinyBackend()
    emb = Embedder(backend, cache_dir=False)
    emb.encode(["x"])
    assert backend.calls[0][1] == "bf16" and emb.last_stats_["precision"] == "bf16"
    # an explicit precision wins over the variable
    assert Embedder(TinyBackend(), precision="fp32", cache_dir=False).resolved_precision() == "fp32"
    monkeypatch.setattr(precision_mod, "cpu_flags", lambda: {"avx512_bf16"})
    monkeypatch.setenv("LANDSCAPE_PRECISION", "fp32")
    assert Embedder(TinyBackend(), cache_dir=False).resolved_precision() == "fp32"
    monkeypatch.setenv("LANDSCAPE_PRECISION", "fp16")
    with pytest.raises(LandscapeError, match="LANDSCAPE_PRECISION must be one of fp32, bf16"):
        Embedder(TinyBackend(), cache_dir=False).resolved_precision()


# ---- progress and stats ---------------------------------------------------------------------------


def test_progress_bar_shows_docs_per_second(capsys):
    emb = Embedder(TinyBackend(), cache_dir=False, show_progress=True, batch_size=2)
    emb.encode([f"t{i}" for i in range(6)])
    err = capsys.readouterr().err
    assert "embedding (" in err and "doc/s" in err and "6/6" in err
    stats = emb.last_stats_
    assert {"n_total", "n_cached", "n_encoded", "seconds", "docs_per_s", "precision", "model_id"} <= set(
        stats
    )
    Embedder(TinyBackend(), cache_dir=False).encode([f"t{i}" for i in range(600)])  # default: off in tests
    assert capsys.readouterr().err == ""


def test_empty_input_gives_an_empty_matrix():
    out = Embedder(TinyBackend(dim=5), cache_dir=False).encode([])
    assert out.shape == (0, 5) and out.dtype == np.float32


# ---- precomputed embeddings -----------------------------------------------------------------------


def test_load_embeddings_formats(tmp_path):
    from safetensors.numpy import save_file

    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    np.save(tmp_path / "e.npy", x)
    pd.DataFrame({"id": list("abcd"), "embedding": list(x.astype(np.float64))}).to_parquet(
        tmp_path / "l.parquet"
    )
    pd.DataFrame(x, columns=["d0", "d1", "d2"]).to_parquet(tmp_path / "w.parquet")
    save_file({"embeddings": x, "other": x[:1]}, str(tmp_path / "e.safetensors"))
    for name in ("e.npy", "l.parquet", "w.parquet", "e.safetensors"):
        got = load_embeddings(tmp_path / name, 4)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, x, rtol=1e-6, err_msg=name)


def test_load_embeddings_errors_name_the_file(tmp_path):
    x = np.ones((3, 2), dtype=np.float32)
    np.save(tmp_path / "ok.npy", x)
    with pytest.raises(LandscapeError, match=r"ok\.npy: 3 embedding rows for 5 papers"):
        load_embeddings(tmp_path / "ok.npy", 5)
    x[1, 1] = np.nan
    np.save(tmp_path / "nan.npy", x)
    with pytest.raises(LandscapeError, match=r"nan\.npy: 1 embedding rows have NaN.*rows 1"):
        load_embeddings(tmp_path / "nan.npy", 3)
    np.save(tmp_path / "flat.npy", np.ones(3))
    with pytest.raises(LandscapeError, match=r"flat\.npy: embeddings must be a 2-D array"):
        load_embeddings(tmp_path / "flat.npy")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(LandscapeError, match=r"obj\.npy: cannot read embeddings"):
        load_embeddings(tmp_path / "obj.npy")  # pickled objects are never loaded
    (tmp_path / "garbage.npy").write_bytes(b"not numpy at all")
    with pytest.raises(LandscapeError, match=r"garbage\.npy: cannot read"):
        load_embeddings(tmp_path / "garbage.npy")
    (tmp_path / "e.csv").write_text("1,2\n")
    with pytest.raises(
        LandscapeError, match=r"e\.csv: embeddings must be a \.npy, \.parquet or \.safetensors"
    ):
        load_embeddings(tmp_path / "e.csv")
    with pytest.raises(LandscapeError, match="not found"):
        load_embeddings(tmp_path / "missing.npy")
    pd.DataFrame({"embedding": [[1.0, 2.0], [1.0]]}).to_parquet(tmp_path / "ragged.parquet")
    with pytest.raises(
        LandscapeError, match=r"ragged\.parquet: column 'embedding' has embeddings of different"
    ):
        load_embeddings(tmp_path / "ragged.parquet")


# ---- the real bundled model ---------------------------------------------------------------------

NO_NETWORK_SCRIPT = """
import json, socket, sys
calls = []
def refuse(name):
    def f(*args, **kwargs):
        calls.append(name)
        raise OSError(f"network access attempted: {name}")
    return f
socket.socket.connect = refuse("connect")
socket.socket.connect_ex = refuse("connect_ex")
socket.create_connection = refuse("create_connection")
socket.getaddrinfo = refuse("getaddrinfo")
from landscape.embed.embedder import Embedder
emb = Embedder(cache_dir=sys.argv[1])
out = emb.encode(["Machine unlearning removes the influence of training data.", "Speech recognition."])
import os
print(json.dumps({"shape": list(out.shape), "norms": out.astype(float).__pow__(2).sum(1).tolist(),
                  "calls": calls, "model_id": emb.model_id, "offline": os.environ.get("HF_HUB_OFFLINE")}))
"""


def test_default_model_loads_and_encodes_without_any_network(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    result = subprocess.run(
        [sys.executable, "-c", NO_NETWORK_SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["calls"] == []
    assert report["shape"] == [2, 384]
    assert np.allclose(report["norms"], 1.0, atol=1e-5)
    assert report["model_id"] == BUNDLED_MODEL_ID
    assert report["offline"] == "1"
    assert (tmp_path / FILE_NAME).exists()


@pytest.fixture(scope="module")
def minilm():
    """The bundled model, loaded once; Embedders share it by taking the backend as their model."""
    backend = SentenceTransformerBackend(resolve_model("all-MiniLM-L6-v2"), device="cpu", max_seq_length=256)
    assert backend.dim == 384 and backend.model_id == BUNDLED_MODEL_ID
    return backend


def test_real_model_embeds_papers_sensibly(minilm, sample):
    texts = [paper_text(t, a) for t, a in zip(sample["title"], sample["abstract"], strict=True)]
    unlearning = [t for t in texts if "unlearning" in t.lower()][:3]
    others = [t for t in texts if "unlearning" not in t.lower()][:6]
    emb = Embedder(minilm, cache_dir=False, precision="fp32", batch_size=16)
    out = emb.encode(unlearning + others)
    assert out.shape == (9, 384) and out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    sims = out @ out.T
    within = sims[:3, :3][~np.eye(3, dtype=bool)].mean()
    across = sims[:3, 3:].mean()
    assert within > across + 0.2, (within, across)
    # batching and length sorting do not change a vector
    alone = emb.encode([others[2]])
    np.testing.assert_allclose(alone[0], out[5], atol=1e-5)


def test_real_model_cached_equals_uncached(minilm, sample, tmp_path, monkeypatch):
    texts = [paper_text(t, a) for t, a in zip(sample["title"][:8], sample["abstract"][:8], strict=True)]
    reference = Embedder(minilm, cache_dir=False, precision="fp32").encode(texts)
    first = Embedder(minilm, cache_dir=tmp_path, precision="fp32", batch_size=4).encode(texts)

    class NoLoading(SentenceTransformerBackend):
        def __init__(self, *args, **kwargs):
            raise AssertionError("the model was loaded although every text is cached")

    monkeypatch.setitem(emb_mod._BACKENDS, "sentence-transformers", NoLoading)
    fresh = Embedder("all-MiniLM-L6-v2", cache_dir=tmp_path, precision="fp32")
    second = fresh.encode(texts)
    assert fresh.last_stats_["n_cached"] == 8 and fresh.last_stats_["n_encoded"] == 0
    np.testing.assert_array_equal(first, reference)
    np.testing.assert_array_equal(second, reference)


def test_bf16_autocast_agrees_with_fp32(minilm, sample):
    texts = [paper_text(t, a) for t, a in zip(sample["title"][:8], sample["abstract"][:8], strict=True)]
    fp32 = Embedder(minilm, cache_dir=False, precision="fp32").encode(texts)
    emb = Embedder(minilm, cache_dir=False, precision="bf16")
    bf16 = emb.encode(texts)
    assert emb.last_stats_["precision"] == "bf16"
    cosines = (fp32 * bf16).sum(axis=1)
    assert cosines.min() >= 0.9999, cosines.min()
    assert not np.array_equal(fp32, bf16)  # autocast really ran in bf16


def test_backend_object_must_match_max_seq_length(minilm):
    with pytest.raises(LandscapeError, match="max_seq_length=256"):
        Embedder(minilm, cache_dir=False, max_seq_length=128).encode(["x"])
