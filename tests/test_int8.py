"""precision="int8": the bundled MiniLM on ONNX Runtime with int8 weights, auto's choice on CPUs without
native bf16; built once and cached, rebuilt when damaged; its vectors never mix with fp32 ones.

The quantized model is built once per test session (tens of seconds) in the session's cache folder.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import warnings
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("onnxruntime")

from landscape.embed import onnx_int8  # noqa: E402
from landscape.embed import precision as precision_mod  # noqa: E402
from landscape.embed.cache import EmbeddingCache, text_key  # noqa: E402
from landscape.embed.embedder import (  # noqa: E402
    Embedder,
    SentenceTransformerBackend,
    paper_text,
    resolve_model,
)
from landscape.errors import LandscapeError  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[1] / "landscape" / "data" / "hf_papers_sample.csv"
NO_BF16 = {"avx2", "avx512f", "avx512bw", "avx512_vnni"}  # an Ice Lake server: bf16 is emulated


@pytest.fixture(scope="module")
def spec():
    return resolve_model("all-MiniLM-L6-v2")


@pytest.fixture(scope="module")
def texts():
    sample = pd.read_csv(SAMPLE)
    return [paper_text(t, a) for t, a in zip(sample["title"], sample["abstract"], strict=True)]


@pytest.fixture(scope="module")
def int8(spec):
    """The int8 backend, built in the session's cache folder on first use."""
    return onnx_int8.OnnxBackend(spec)


@pytest.fixture(scope="module")
def fp32(spec):
    return SentenceTransformerBackend(spec, device="cpu", max_seq_length=256)


def test_int8_agrees_with_fp32_on_real_abstracts(int8, fp32, texts):
    reference = Embedder(fp32, cache_dir=False, precision="fp32").encode(texts)
    emb = Embedder(int8, cache_dir=False, precision="int8")
    quantized = emb.encode(texts)
    assert emb.last_stats_["precision"] == "int8"
    assert quantized.shape == reference.shape == (len(texts), 384)
    np.testing.assert_allclose(np.linalg.norm(quantized, axis=1), 1.0, atol=1e-5)
    cosines = (quantized * reference).sum(axis=1)
    assert cosines.min() >= 0.99, np.sort(cosines)[:5]
    assert cosines.mean() >= 0.993, cosines.mean()
    assert not np.allclose(quantized, reference, atol=1e-3)  # it really ran quantized

    # what a map is made of, each paper's nearest neighbour, mostly stays the same
    def nearest(x):
        sims = x @ x.T
        np.fill_diagonal(sims, -1)
        return sims.argmax(axis=1)

    assert (nearest(quantized) == nearest(reference)).mean() >= 0.9


def test_auto_picks_int8_without_native_bf16_and_bf16_with_it(monkeypatch):
    monkeypatch.delenv(precision_mod.PRECISION_ENV, raising=False)
    monkeypatch.setattr(precision_mod, "cpu_flags", lambda: NO_BF16)
    assert Embedder("all-MiniLM-L6-v2").resolved_precision() == "int8"
    for flags in ({"avx512f", "avx512_bf16"}, {"avx512f", "amx_bf16", "amx_tile"}):
        monkeypatch.setattr(precision_mod, "cpu_flags", lambda flags=flags: flags)
        assert Embedder("all-MiniLM-L6-v2").resolved_precision() == "bf16"
    # without VNNI int8 loses too much: fp32
    monkeypatch.setattr(precision_mod, "cpu_flags", lambda: {"avx2", "fma"})
    assert Embedder("all-MiniLM-L6-v2").resolved_precision() == "fp32"
    # fp32 on request, on any CPU
    monkeypatch.setattr(precision_mod, "cpu_flags", lambda: NO_BF16)
    assert Embedder("all-MiniLM-L6-v2", precision="fp32").resolved_precision() == "fp32"


def test_auto_falls_back_to_fp32_for_models_without_an_int8_export(monkeypatch):
    class Torch:
        model_id, dim, precisions = "other/model", 4, ("fp32", "bf16")

        def encode_batch(self, texts, precision):
            return np.ones((len(texts), 4), np.float32)

    monkeypatch.delenv(precision_mod.PRECISION_ENV, raising=False)
    monkeypatch.setattr(precision_mod, "cpu_flags", lambda: NO_BF16)
    assert Embedder(Torch(), cache_dir=False).resolved_precision() == "fp32"
    with pytest.raises(LandscapeError, match="does not support precision 'int8'"):
        Embedder(Torch(), precision="int8", cache_dir=False).resolved_precision()
    with pytest.raises(LandscapeError, match="int8' runs on the CPU only"):
        Embedder("all-MiniLM-L6-v2", precision="int8", device="cuda").resolved_precision()


def test_precision_env_var_accepts_int8(monkeypatch):
    monkeypatch.setattr(precision_mod, "cpu_flags", lambda: {"avx512_bf16"})  # auto alone: bf16
    monkeypatch.setenv(precision_mod.PRECISION_ENV, "int8")
    assert Embedder("all-MiniLM-L6-v2").resolved_precision() == "int8"
    assert Embedder("all-MiniLM-L6-v2", precision="fp32").resolved_precision() == "fp32"


def test_quantized_model_is_built_once_and_reused(int8, spec, texts, monkeypatch):
    built = int8.path
    stamp = built.stat().st_mtime_ns

    def no_build(*args, **kwargs):
        raise AssertionError("the cached int8 model was rebuilt")

    monkeypatch.setattr(onnx_int8, "_build", no_build)
    emb = Embedder("all-MiniLM-L6-v2", precision="int8", cache_dir=False)
    first = emb.encode(texts[:4])
    backend = emb._backend()
    second = emb.encode(texts[:4])
    assert emb._backend() is backend and backend.path == built  # one session per Embedder
    assert built.stat().st_mtime_ns == stamp
    np.testing.assert_allclose(first, second, atol=1e-6)
    np.testing.assert_allclose(first, Embedder(int8, cache_dir=False).encode(texts[:4]), atol=1e-5)


def test_a_damaged_cached_model_is_rebuilt_not_loaded(int8, spec, texts, tmp_path):
    # a copy of the built model (same cache key), then damaged in two ways
    for source in (int8.path, int8.path.with_suffix(".json")):
        shutil.copy(source, tmp_path / source.name)
    path = tmp_path / int8.path.name
    assert onnx_int8.cached_model(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # a partial file: its checksum no longer matches
    assert not onnx_int8.cached_model(path)
    path.with_suffix(".json").unlink()  # a build stopped before its manifest
    path.write_bytes(data)
    assert not onnx_int8.cached_model(path)

    # garbage that its manifest vouches for: ONNX Runtime refuses it, and it is rebuilt
    garbage = b"not an onnx model" * 100
    path.write_bytes(garbage)
    manifest = {"sha256": onnx_int8._sha256(path)}
    path.with_suffix(".json").write_text(json.dumps(manifest), encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rebuilt = onnx_int8.OnnxBackend(spec, directory=tmp_path)
    assert any(issubclass(w.category, onnx_int8.OnnxModelWarning) for w in caught)
    assert rebuilt.path == path and onnx_int8.cached_model(path)
    np.testing.assert_allclose(
        Embedder(rebuilt, cache_dir=False).encode(texts[:3]),
        Embedder(int8, cache_dir=False).encode(texts[:3]),
        atol=1e-5,
    )


def test_the_recipe_keeps_its_fp32_nodes_and_quantizes_the_rest(int8):
    onnx = pytest.importorskip("onnx")
    ops = {node.name: node.op_type for node in onnx.load(str(int8.path)).graph.node}
    assert all(ops.get(name) == "MatMul" for name in onnx_int8.KEEP_FP32)  # left in fp32
    assert list(ops.values()).count("MatMul") == len(onnx_int8.KEEP_FP32)  # every other one int8
    assert "QAttention" in ops.values()


def test_a_recipe_naming_nodes_the_export_lacks_is_refused(tmp_path):
    onnx = pytest.importorskip("onnx")
    helper, FLOAT = onnx.helper, onnx.TensorProto.FLOAT
    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"], name="only")],
        "g",
        [helper.make_tensor_value_info("x", FLOAT, [1])],
        [helper.make_tensor_value_info("y", FLOAT, [1])],
    )
    path = tmp_path / "model.onnx"
    onnx.save(helper.make_model(graph), str(path))
    onnx_int8._check_nodes(path, ["only"])
    with pytest.raises(LandscapeError, match="lacks the nodes"):
        onnx_int8._check_nodes(path, ["only", *onnx_int8.KEEP_FP32])


def test_int8_vectors_of_an_older_quantization_recipe_are_not_served(int8, texts, tmp_path, monkeypatch):
    first = Embedder(int8, cache_dir=tmp_path, precision="int8")
    first.encode(texts[:3])
    again = Embedder(int8, cache_dir=tmp_path, precision="int8")
    again.encode(texts[:3])
    assert (first.last_stats_["n_encoded"], again.last_stats_["n_cached"]) == (3, 3)
    # the recipe changes (e.g. other nodes kept fp32): its vectors are computed anew, not served
    monkeypatch.setattr(onnx_int8, "vector_tag", lambda: "int8-another-recipe")
    changed = Embedder(int8, cache_dir=tmp_path, precision="int8")
    changed.encode(texts[:3])
    assert changed.last_stats_["n_encoded"] == 3
    with EmbeddingCache(tmp_path) as cache:  # both recipes' vectors count as the model's
        assert cache.count(int8.model_id) == 6
        assert cache.clear(int8.model_id) == 6 and cache.count() == 0


def test_an_int8_vector_depends_on_its_text_not_its_batch_mates(int8, texts):
    # dynamic quantization scales a whole activation tensor: each text runs alone, so an update or a
    # Ray worker (other batches) gives a paper the vector a full build gave it
    together = int8.encode_batch(texts[:6], "int8")
    alone = np.vstack([int8.encode_batch([t], "int8") for t in texts[:6]])
    shuffled = int8.encode_batch(texts[5::-1], "int8")[::-1]
    np.testing.assert_allclose(together, alone, atol=1e-5)
    np.testing.assert_allclose(together, shuffled, atol=1e-5)


def test_int8_vectors_of_cpus_with_and_without_vnni_never_mix():
    # without VNNI the weights keep 7 bits: other vectors, so another cache key, and a stable one
    with_vnni, without = {"avx512_vnni"}, {"avx2"}
    assert onnx_int8.vector_tag(with_vnni) == onnx_int8.vector_tag(with_vnni)
    assert onnx_int8.vector_tag(with_vnni) != onnx_int8.vector_tag(without)


# ---- the embedding cache keeps int8 and fp32 apart -----------------------------------------------


def _unit(seed: int, dim: int = 8) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(1, dim)).astype(np.float32)
    return v / np.linalg.norm(v)


def test_cache_never_serves_int8_for_fp32_or_the_reverse(tmp_path):
    key = [text_key("one paper")]
    v32, v8 = _unit(0), _unit(1)
    with EmbeddingCache(tmp_path) as cache:
        cache.put("m", 256, key, v32, precision="fp32")
        assert not cache.get("m", 256, key, precision="int8")[1].any()
        cache.put("m", 256, key, v8, precision="int8")
        for asked, expected in (("fp32", v32), ("bf16", v32), ("int8", v8)):
            vectors, found = cache.get("m", 256, key, precision=asked)
            assert found.all()
            np.testing.assert_array_equal(vectors, expected)
        assert cache.count("m") == 2  # both kept, side by side


def test_embedder_keeps_int8_and_fp32_vectors_of_one_text_apart(tmp_path):
    class ByPrecision:
        """A fake model whose vectors say which precision made them."""

        model_id, dim, precisions = "fake/model", 3, ("fp32", "bf16", "int8")

        def __init__(self):
            self.calls = []

        def encode_batch(self, texts, precision):
            self.calls.append(precision)
            return np.tile(np.eye(3, dtype=np.float32)[COMPUTE.index(precision)], (len(texts), 1))

    COMPUTE = ("fp32", "bf16", "int8")
    model = ByPrecision()
    texts = ["a paper", "another paper"]
    fp32 = Embedder(model, cache_dir=tmp_path, precision="fp32").encode(texts)
    emb = Embedder(model, cache_dir=tmp_path, precision="int8")
    int8 = emb.encode(texts)
    assert emb.last_stats_["n_encoded"] == 2  # the cached fp32 vectors did not serve int8
    assert (fp32[:, 0] == 1).all() and (int8[:, 2] == 1).all()
    model.calls.clear()
    for precision, column in (("fp32", 0), ("int8", 2), ("bf16", 0)):
        again = Embedder(model, cache_dir=tmp_path, precision=precision).encode(texts)
        assert (again[:, column] == 1).all(), precision
    assert model.calls == []  # all served from the cache, each by its own precision


def test_cache_of_schema_version_1_is_upgraded_in_place(tmp_path):
    """A cache written before int8 (one row per text) keeps its vectors and takes int8 ones too."""
    key, v32, v8 = [text_key("old paper")], _unit(2), _unit(3)
    conn = sqlite3.connect(tmp_path / "embeddings.sqlite")
    with conn:
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.execute(
            "CREATE TABLE spaces (id INTEGER PRIMARY KEY, model TEXT NOT NULL, "
            "max_seq_length INTEGER NOT NULL, dim INTEGER, UNIQUE (model, max_seq_length))"
        )
        conn.execute(
            "CREATE TABLE vectors (id INTEGER PRIMARY KEY, space INTEGER NOT NULL, "
            "key BLOB NOT NULL, precision TEXT NOT NULL, crc INTEGER NOT NULL, vec BLOB NOT NULL)"
        )
        conn.execute("CREATE UNIQUE INDEX vectors_key ON vectors (space, key)")
        conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
        conn.execute("INSERT INTO spaces VALUES (1, 'm', 256, 8)")
        blob = v32.astype("<f4").tobytes()
        conn.execute("INSERT INTO vectors VALUES (1, 1, ?, 'fp32', ?, ?)", (key[0], zlib.crc32(blob), blob))
    conn.close()
    with EmbeddingCache(tmp_path) as cache:
        cache.put("m", 256, key, v8, precision="int8")
        np.testing.assert_array_equal(cache.get("m", 256, key, precision="fp32")[0], v32)
        np.testing.assert_array_equal(cache.get("m", 256, key, precision="int8")[0], v8)
