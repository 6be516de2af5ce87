"""The on-disk embedding cache: hits, misses, resume after an interruption, damaged entries and files."""

from __future__ import annotations

import hashlib
import sqlite3
import zlib

import numpy as np
import pytest

from landscape.embed.cache import (
    FILE_NAME,
    EmbeddingCache,
    EmbeddingCacheWarning,
    default_cache_dir,
    text_key,
)
from landscape.embed.embedder import Embedder
from landscape.errors import LandscapeError

DIM = 8


def fake_vector(model_id: str, text: str) -> np.ndarray:
    """A deterministic unit vector per (model, text), like a real model but instant."""
    seed = int.from_bytes(hashlib.sha256(f"{model_id}\0{text}".encode()).digest()[:8], "little")
    v = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
    return v / np.linalg.norm(v)


class FakeBackend:
    """Implements the EmbeddingBackend protocol; counts what it encodes; can fail after some batches."""

    precisions = ("fp32", "bf16")
    dim = DIM

    def __init__(self, model_id: str = "fake/model", fail_after_batches: int | None = None):
        self.model_id = model_id
        self.fail_after_batches = fail_after_batches
        self.batches: list[list[str]] = []

    @property
    def encoded(self) -> list[str]:
        return [t for batch in self.batches for t in batch]

    def encode_batch(self, texts, precision):
        if self.fail_after_batches is not None and len(self.batches) >= self.fail_after_batches:
            raise KeyboardInterrupt("simulated interruption")
        self.batches.append(list(texts))
        # not normalised on purpose: the Embedder must normalise
        return np.stack([3.0 * fake_vector(self.model_id, t) for t in texts])


def texts_(n: int, prefix: str = "paper") -> list[str]:
    # varied lengths so that length sorting matters
    return [f"{prefix} {i}: " + "word " * (i % 7) for i in range(n)]


def expected(texts, model_id="fake/model"):
    return np.stack([fake_vector(model_id, t) for t in texts])


def vectors_table(cache_dir) -> sqlite3.Connection:
    return sqlite3.connect(cache_dir / FILE_NAME)


# ---- the cache itself -----------------------------------------------------------------------------


def test_put_get_round_trip_exact_and_misses(tmp_path):
    texts = texts_(5)
    keys = [text_key(t) for t in texts]
    vecs = expected(texts)
    with EmbeddingCache(tmp_path) as cache:
        cache.put("m", 256, keys[:3], vecs[:3])
        got, found = cache.get("m", 256, keys + [keys[0]])
    assert found.tolist() == [True, True, True, False, False, True]
    np.testing.assert_array_equal(got[:3], vecs[:3])
    np.testing.assert_array_equal(got[5], vecs[0])  # a repeated key is served twice
    assert not got[3:5].any()
    assert got.dtype == np.float32


def test_keys_are_per_model_and_max_seq_length(tmp_path):
    keys = [text_key(t) for t in texts_(3)]
    with EmbeddingCache(tmp_path) as cache:
        cache.put("model-a", 256, keys, expected(texts_(3)))
        assert cache.get("model-a", 256, keys)[1].all()
        assert not cache.get("model-b", 256, keys)[1].any()
        assert not cache.get("model-a", 128, keys)[1].any()
        assert cache.count() == 3 and cache.count("model-a") == 3 and cache.count("model-b") == 0


def test_text_key_is_sha256_of_exact_text():
    assert text_key("abc") == hashlib.sha256(b"abc").digest()
    assert text_key("abc") != text_key("abc ")


def test_fp32_entries_serve_bf16_requests_but_not_the_reverse(tmp_path):
    texts = texts_(4)
    keys = [text_key(t) for t in texts]
    with EmbeddingCache(tmp_path) as cache:
        cache.put("m", 256, keys[:2], expected(texts[:2]), precision="fp32")
        cache.put("m", 256, keys[2:], expected(texts[2:]), precision="bf16")
        assert cache.get("m", 256, keys, precision="bf16")[1].tolist() == [True] * 4
        assert cache.get("m", 256, keys, precision="fp32")[1].tolist() == [True, True, False, False]


def test_many_keys_in_one_lookup(tmp_path):
    # more keys than one SQL statement takes, and reads come back in the asked order
    n = 2500
    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((n, DIM)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    keys = [text_key(f"text {i}") for i in range(n)]
    with EmbeddingCache(tmp_path) as cache:
        cache.put("m", 256, keys, vecs)
        order = rng.permutation(n)
        got, found = cache.get("m", 256, [keys[i] for i in order])
    assert found.all()
    np.testing.assert_array_equal(got, vecs[order])


def test_default_cache_dir_honours_env(monkeypatch, tmp_path):
    monkeypatch.setenv("LANDSCAPE_CACHE_DIR", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c" / "embeddings"
    monkeypatch.delenv("LANDSCAPE_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert default_cache_dir().parts[-3:] == (".cache", "landscape", "embeddings")


def test_cache_dir_that_cannot_be_created_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(LandscapeError, match="cannot create the embedding cache directory.*cache_dir=False"):
        EmbeddingCache(blocker / "sub").get("m", 256, [text_key("x")])


def test_put_refuses_non_finite_vectors(tmp_path):
    bad = np.full((1, DIM), np.nan, dtype=np.float32)
    with EmbeddingCache(tmp_path) as cache, pytest.raises(ValueError, match="non-finite"):
        cache.put("m", 256, [text_key("x")], bad)


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        ("garbled", "checksum mismatch"),
        ("truncated", "bytes instead of"),
        ("nan", "non-finite"),
        ("not_unit", "norm"),
    ],
)
def test_damaged_rows_are_reported_deleted_and_missed(tmp_path, damage, reason):
    texts = texts_(4)
    keys = [text_key(t) for t in texts]
    with EmbeddingCache(tmp_path) as cache:
        cache.put("m", 256, keys, expected(texts))
    good = expected(texts)[1].tobytes()
    bad = {
        "garbled": (bytes(b ^ 0x5A for b in good[:8]) + good[8:], zlib.crc32(good)),
        "truncated": (good[:20], zlib.crc32(good[:20])),
        "nan": (np.full(DIM, np.nan, "<f4").tobytes(), zlib.crc32(np.full(DIM, np.nan, "<f4").tobytes())),
        "not_unit": ((2 * expected(texts)[1]).tobytes(), zlib.crc32((2 * expected(texts)[1]).tobytes())),
    }[damage]
    with vectors_table(tmp_path) as conn:
        conn.execute("UPDATE vectors SET vec = ?, crc = ? WHERE key = ?", (*bad, keys[1]))
    with EmbeddingCache(tmp_path) as cache:
        with pytest.warns(EmbeddingCacheWarning, match=f"1 damaged entry.*{reason}"):
            got, found = cache.get("m", 256, keys)
        assert found.tolist() == [True, False, True, True]
        np.testing.assert_array_equal(got[[0, 2, 3]], expected(texts)[[0, 2, 3]])
        assert cache.count("m") == 3  # the damaged row is gone


def test_garbled_database_file_is_moved_aside_and_replaced(tmp_path):
    keys = [text_key(t) for t in texts_(3)]
    with EmbeddingCache(tmp_path) as cache:
        cache.put("m", 256, keys, expected(texts_(3)))
    path = tmp_path / FILE_NAME
    for suffix in ("-wal", "-shm"):
        (tmp_path / (FILE_NAME + suffix)).unlink(missing_ok=True)
    data = bytearray(path.read_bytes())
    data[:100] = b"\x17" * 100  # the SQLite header
    path.write_bytes(bytes(data))
    with EmbeddingCache(tmp_path) as cache:
        with pytest.warns(EmbeddingCacheWarning, match="is damaged.*recomputed"):
            got, found = cache.get("m", 256, keys)
        assert not found.any()
        cache.put("m", 256, keys, expected(texts_(3)))  # the new file works
        assert cache.get("m", 256, keys)[1].all()
    assert (tmp_path / (FILE_NAME + ".corrupt")).exists()


# ---- the Embedder with a cache (fake model) -------------------------------------------------------


def test_second_encode_encodes_nothing_and_matches_uncached(tmp_path):
    texts = texts_(50)
    backend = FakeBackend()
    emb = Embedder(backend, cache_dir=tmp_path, batch_size=8)
    first = emb.encode(texts)
    assert emb.last_stats_["n_encoded"] == 50 and emb.last_stats_["n_cached"] == 0
    second = emb.encode(texts)
    assert emb.last_stats_["n_encoded"] == 0 and emb.last_stats_["n_cached"] == 50
    assert len(backend.encoded) == 50
    uncached = Embedder(FakeBackend(), cache_dir=False, batch_size=8).encode(texts)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(second, uncached)
    np.testing.assert_allclose(first, expected(texts), rtol=1e-6)  # normalised, input order restored


def test_partial_overlap_encodes_only_new_texts(tmp_path):
    old, new = texts_(30), texts_(10, prefix="new")
    Embedder(FakeBackend(), cache_dir=tmp_path).encode(old)
    backend = FakeBackend()
    emb = Embedder(backend, cache_dir=tmp_path)
    out = emb.encode(new[:5] + old + new[5:])
    assert sorted(backend.encoded) == sorted(new)
    assert (emb.last_stats_["n_cached"], emb.last_stats_["n_encoded"]) == (30, 10)
    np.testing.assert_allclose(out, expected(new[:5] + old + new[5:]), rtol=1e-6)


def test_duplicate_texts_are_encoded_once(tmp_path):
    texts = ["same text"] * 5 + ["other"]
    backend = FakeBackend()
    emb = Embedder(backend, cache_dir=False)
    out = emb.encode(texts)
    assert backend.encoded == ["same text", "other"]
    assert emb.last_stats_["n_unique"] == 2 and emb.last_stats_["n_total"] == 6
    np.testing.assert_array_equal(out[0], out[4])


def test_different_model_id_means_different_keys(tmp_path):
    texts = texts_(12)
    Embedder(FakeBackend("fake/a"), cache_dir=tmp_path).encode(texts)
    other = FakeBackend("fake/b")
    out = Embedder(other, cache_dir=tmp_path).encode(texts)
    assert len(other.encoded) == 12
    np.testing.assert_allclose(out, expected(texts, "fake/b"), rtol=1e-6)


def test_max_seq_length_is_part_of_the_key(tmp_path):
    texts = texts_(6)
    Embedder(FakeBackend(), cache_dir=tmp_path, max_seq_length=256).encode(texts)
    backend = FakeBackend()
    Embedder(backend, cache_dir=tmp_path, max_seq_length=128).encode(texts)
    assert len(backend.encoded) == 6


def test_interrupted_run_resumes_with_the_rest(tmp_path):
    texts = texts_(40)
    crashing = FakeBackend(fail_after_batches=3)
    with pytest.raises(KeyboardInterrupt):
        Embedder(crashing, cache_dir=tmp_path, batch_size=8).encode(texts)
    done = crashing.encoded
    assert len(done) == 24
    backend = FakeBackend()
    emb = Embedder(backend, cache_dir=tmp_path, batch_size=8)
    out = emb.encode(texts)
    assert sorted(backend.encoded) == sorted(set(texts) - set(done))
    assert emb.last_stats_["n_cached"] == 24 and emb.last_stats_["n_encoded"] == 16
    np.testing.assert_allclose(out, expected(texts), rtol=1e-6)


def test_damaged_entry_is_recomputed_with_correct_values(tmp_path):
    texts = texts_(10)
    Embedder(FakeBackend(), cache_dir=tmp_path).encode(texts)
    with vectors_table(tmp_path) as conn:
        conn.execute("UPDATE vectors SET vec = ? WHERE key = ?", (b"\0" * 7, text_key(texts[3])))
    backend = FakeBackend()
    emb = Embedder(backend, cache_dir=tmp_path)
    with pytest.warns(EmbeddingCacheWarning, match="damaged"):
        out = emb.encode(texts)
    assert backend.encoded == [texts[3]]
    np.testing.assert_allclose(out, expected(texts), rtol=1e-6)
    backend2 = FakeBackend()
    Embedder(backend2, cache_dir=tmp_path).encode(texts)  # repaired: nothing left to do
    assert backend2.encoded == []


def test_truncated_cache_file_is_detected_and_everything_recomputed(tmp_path):
    texts = [f"a much longer text number {i} " * 20 for i in range(300)]  # a file of many pages
    Embedder(FakeBackend(), cache_dir=tmp_path).encode(texts)
    with sqlite3.connect(tmp_path / FILE_NAME) as conn:  # fold the WAL into the main file
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    path = tmp_path / FILE_NAME
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.truncate(size // 2)
    backend = FakeBackend()
    with pytest.warns(EmbeddingCacheWarning, match="damaged"):
        out = Embedder(backend, cache_dir=tmp_path).encode(texts)
    assert len(backend.encoded) == 300
    np.testing.assert_allclose(out, expected(texts), rtol=1e-6)


def test_texts_are_batched_longest_first(tmp_path):
    texts = texts_(30)
    backend = FakeBackend()
    Embedder(backend, cache_dir=False, batch_size=4).encode(texts)
    lengths = [len(t) for t in backend.encoded]
    assert lengths == sorted(lengths, reverse=True)
    assert [len(b) for b in backend.batches] == [4] * 7 + [2]


def test_cache_disabled_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("LANDSCAPE_CACHE_DIR", str(tmp_path / "default"))
    backend = FakeBackend()
    emb = Embedder(backend, cache_dir=False)
    emb.encode(texts_(5))
    emb.encode(texts_(5))
    assert len(backend.encoded) == 10
    assert not (tmp_path / "default").exists()


def test_default_cache_location_is_used(tmp_path, monkeypatch):
    monkeypatch.setenv("LANDSCAPE_CACHE_DIR", str(tmp_path / "default"))
    Embedder(FakeBackend(), cache_dir=None).encode(texts_(5))
    assert (tmp_path / "default" / "embeddings" / FILE_NAME).exists()


def test_failing_cache_writes_warn_and_the_run_goes_on(tmp_path, monkeypatch):
    def disk_full(self, *args, **kwargs):
        raise LandscapeError(f"embedding cache {self.path}: database or disk is full")

    monkeypatch.setattr(EmbeddingCache, "put", disk_full)
    backend = FakeBackend()
    with pytest.warns(EmbeddingCacheWarning, match="disk is full; continuing without caching"):
        out = Embedder(backend, cache_dir=tmp_path, batch_size=4).encode(texts_(10))
    assert len(backend.encoded) == 10
    np.testing.assert_allclose(out, expected(texts_(10)), rtol=1e-6)
