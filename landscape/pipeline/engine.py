"""Where the embarrassingly parallel stages run: in this process (``local``) or on a Ray cluster (``ray``).

Two stages are parallel paper by paper: **embedding** and **assigning papers to topics** (nearest
centroid). Both engines run the same code per batch (:class:`landscape.embed.embedder.Embedder`,
:func:`landscape.model.geometry.nearest_centroid`), so they give the same results; Ray only decides where
the batches run.

With Ray, the work is cut into blocks, several per worker (sized from ``ray.cluster_resources()``),
and goes through one Ray Data ``map_batches`` job per call: embedding with a callable class that loads
the model once per worker (one GPU per worker when the cluster has GPUs) and resolves ``"auto"``
precision for its own hardware (bf16 where it is native, int8 on other CPUs with VNNI, CUDA bf16 on GPUs); a
cluster of mixed hardware reports each precision it used (``"bf16+int8"``). The driver keeps the
embedding cache: it looks every text up first (served by what ``auto`` resolves to on the driver),
sends only the misses, and streams the results back
into one preallocated array and the cache as they return (with a progress bar), so it never holds
the vectors twice. Texts go out in waves of at most :data:`RAY_WAVE` to bound the object store.

``ray`` is an optional dependency: ``pip install 'landscape[ray]'``. Without ``address`` a local Ray
instance is started on this machine (no set-up); ``address="auto"`` or ``"ray://host:10001"``
connects to a running cluster.
"""

from __future__ import annotations

import math
import time
from collections import Counter

from landscape.embed.embedder import Embedder, EmbeddingBackend
from landscape.errors import LandscapeError, require

ENGINES = ("local", "ray")

# Texts sent to the cluster per Ray Data job: the object store holds one wave of texts at a time
# (about 1.2 GB of abstracts); each worker loads the model once per wave.
RAY_WAVE = 1_000_000
# Blocks per worker: more than one so that fast workers take over the slow ones' share.
BLOCKS_PER_WORKER = 4
# Rows per block at most (large inputs get more blocks than BLOCKS_PER_WORKER x workers).
MAX_BLOCK_ROWS = 4096


def get_engine(engine="local", *, address: str | None = None, **options):
    """An engine object from its name (``"local"`` or ``"ray"``), or ``engine`` itself if it is one."""
    if isinstance(engine, (LocalEngine, RayEngine)):
        return engine
    if engine not in ENGINES:
        raise LandscapeError(f"engine must be one of {', '.join(ENGINES)}; got {engine!r}")
    if engine == "local":
        if address is not None:
            raise LandscapeError("--address is only used with --engine ray")
        return LocalEngine()
    return RayEngine(address=address, **options)


class LocalEngine:
    """Everything in this process."""

    name = "local"

    def embed(self, embedder, texts):
        """Unit-norm embeddings of ``texts`` with ``embedder`` (its cache included)."""
        return embedder.encode(texts)

    def assign(self, X, centroids, threshold: float):
        """Topic per row of ``X``: nearest centroid at or above ``threshold``, else -1."""
        from landscape.model.geometry import nearest_centroid

        return nearest_centroid(X, centroids, threshold)[0]

    def describe(self) -> dict:
        return {"engine": self.name}


def block_bounds(n: int, workers: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of the blocks ``n`` rows are cut into for ``workers`` workers:
    :data:`BLOCKS_PER_WORKER` per worker (rows permitting), at most :data:`MAX_BLOCK_ROWS` rows each."""
    blocks = max(1, min(n, max(workers * BLOCKS_PER_WORKER, math.ceil(n / MAX_BLOCK_ROWS))))
    edges = [round(i * n / blocks) for i in range(blocks + 1)]
    return list(zip(edges[:-1], edges[1:], strict=True))


class RayEngine:
    """Ray Data engine.

    Parameters
    ----------
    address : a running cluster (``"auto"``, ``"ray://head:10001"``); None starts a local instance
    num_cpus : CPUs of the local instance (None: all of this machine's); ignored with ``address``
    batch_size : papers per ``map_batches`` batch
    cpus_per_worker : CPUs reserved by each CPU embedding worker (its torch threads)
    workers : number of model workers (None: one per GPU, else one per ``cpus_per_worker`` CPUs)

    After :meth:`embed` or :meth:`assign`, ``last_run_`` holds ``blocks, workers, device,
    rows_per_node`` (node id -> rows it computed) and, for embedding, ``precisions`` (precision ->
    texts).
    """

    name = "ray"

    def __init__(self, address=None, *, num_cpus=None, batch_size=256, cpus_per_worker=1, workers=None):
        self.address = address
        self.num_cpus = num_cpus
        self.batch_size = batch_size
        self.cpus_per_worker = cpus_per_worker
        self.workers = workers

    # -- cluster ---------------------------------------------------------------------------------
    def _ray(self):
        ray = require("ray", extra="ray")
        require("ray.data", extra="ray")
        for name in ("batch_size", "cpus_per_worker"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise LandscapeError(f"{name} must be a positive integer, got {value!r}")
        if not ray.is_initialized():
            import logging

            options = {"include_dashboard": False, "logging_level": logging.WARNING, "log_to_driver": False}
            if self.address is None:
                options["num_cpus"] = self.num_cpus
            try:
                ray.init(address=self.address, **options)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise LandscapeError(
                    f"cannot start or reach Ray at {self.address or 'local'}: {exc}"
                ) from exc
            ctx = ray.data.DataContext.get_current()
            ctx.enable_progress_bars = False  # the driver shows its own bar, in papers
            ctx.print_on_execution_start = False
            logging.getLogger("ray.data").setLevel(logging.WARNING)  # a line per job is noise here
        return ray

    def resources(self) -> dict:
        """Per-worker resources and the number of workers for this cluster."""
        ray = self._ray()
        cluster = ray.cluster_resources()
        gpus = int(cluster.get("GPU", 0))
        if gpus:
            workers = self.workers or gpus
            return {"num_gpus": 1, "num_cpus": 1, "workers": workers, "device": "cuda"}
        cpus = max(1, int(cluster.get("CPU", 1)))
        workers = self.workers or max(1, cpus // self.cpus_per_worker)
        return {"num_gpus": 0, "num_cpus": self.cpus_per_worker, "workers": workers, "device": "cpu"}

    def describe(self) -> dict:
        res = self.resources()
        return {"engine": self.name, "address": self.address, **res}

    def shutdown(self) -> None:
        import ray

        if ray.is_initialized():
            ray.shutdown()

    # -- stages ----------------------------------------------------------------------------------
    def embed(self, embedder, texts):
        """Like :meth:`LocalEngine.embed`, with the misses of the driver's cache encoded on Ray workers."""
        if isinstance(embedder.model, EmbeddingBackend):
            raise LandscapeError("the ray engine needs a model name or directory, not a backend object")
        proxy = _RayEmbedder(self, embedder)
        vectors = proxy.encode(texts)
        embedder.last_stats_ = {**proxy.last_stats_, "engine": "ray", **proxy.run_stats()}
        return vectors

    def assign(self, X, centroids, threshold: float):
        import numpy as np
        import pyarrow as pa
        from ray.data.extensions import ArrowTensorArray

        from landscape.model.geometry import unit_rows

        ray = self._ray()
        X = unit_rows(X)
        if len(X) == 0:
            return np.zeros(0, dtype=np.int64)
        res = self.resources()
        bounds = block_bounds(len(X), res["workers"])
        blocks = [
            pa.table({"row": np.arange(a, b, dtype=np.int64), "data": ArrowTensorArray.from_numpy(X[a:b])})
            for a, b in bounds
        ]
        ds = ray.data.from_blocks(blocks).map_batches(
            _assign_batch,
            fn_kwargs={"centroids": np.asarray(centroids, np.float32), "threshold": float(threshold)},
            batch_size=None,  # one block per task
            batch_format="numpy",
            num_cpus=1,
        )
        topics = np.full(len(X), -2, dtype=np.int64)
        nodes = Counter()
        for batch in ds.iter_batches(batch_format="numpy", batch_size=None):
            topics[batch["row"]] = batch["topic"]
            nodes[str(batch["node"][0])] += len(batch["row"])  # a block comes from one task
        _check_complete(topics != -2, "assignment")
        self.last_run_ = {
            "blocks": len(bounds),
            "workers": res["workers"],
            "device": "cpu",
            "rows_per_node": dict(nodes),
        }
        return topics

    def stream_embeddings(self, texts, *, model, max_seq_length, precision):
        """Yield ``(rows, unit vectors, precision, node)`` for ``texts`` as Ray workers finish
        them, in any order; ``precision`` ``"auto"`` is resolved by each worker for its hardware."""
        import numpy as np
        import pyarrow as pa

        ray = self._ray()
        res = self.resources()
        self.blocks_sent_ = 0
        for start in range(0, len(texts), RAY_WAVE):
            wave = texts[start : start + RAY_WAVE]
            bounds = block_bounds(len(wave), res["workers"])
            blocks = [
                pa.table({"row": np.arange(start + a, start + b, dtype=np.int64), "text": wave[a:b]})
                for a, b in bounds
            ]
            ds = ray.data.from_blocks(blocks).map_batches(
                _EmbedWorker,
                fn_constructor_kwargs={
                    "model": model,
                    "max_seq_length": max_seq_length,
                    "precision": precision,
                    "device": res["device"],
                    "threads": res["num_cpus"],
                },
                batch_size=min(self.batch_size, min(b - a for a, b in bounds)),  # a block per batch at least
                batch_format="numpy",
                # two blocks in flight per worker: the next is ready, the rest go to whoever is free first
                compute=ray.data.ActorPoolStrategy(
                    size=min(res["workers"], len(bounds)), max_tasks_in_flight_per_actor=2
                ),
                num_gpus=res["num_gpus"],
                num_cpus=res["num_cpus"],
            )
            self.blocks_sent_ += len(bounds)
            for batch in ds.iter_batches(batch_format="numpy", batch_size=None):
                yield batch["row"], batch["embedding"], str(batch["precision"][0]), str(batch["node"][0])


def _check_complete(done, what: str) -> None:
    if not done.all():
        raise LandscapeError(f"the Ray {what} job returned {int(done.sum())} rows for {len(done)} inputs")


def _node_id() -> str:
    import ray

    return ray.get_runtime_context().get_node_id()


class _DriverModel:
    """What the driver's Embedder sees as its model: the real model's id and width (encoding
    happens on the workers, through :meth:`_RayEmbedder._encode_missing`)."""

    def __init__(self, embedder):
        self.model = str(embedder.model)
        self.model_id = embedder.model_id
        self.max_seq_length = embedder.max_seq_length
        self.precisions = embedder.supported_precisions()
        self._embedder = embedder

    @property
    def dim(self) -> int:
        return self._embedder.dim

    def encode_batch(self, texts, precision):
        raise LandscapeError("the ray engine encodes on its workers, not through encode_batch")


class _RayEmbedder(Embedder):
    """The driver's side of a Ray embedding: the :class:`~landscape.embed.embedder.Embedder`'s
    deduplication and cache, with the misses encoded on the cluster and streamed into place."""

    def __init__(self, engine: RayEngine, embedder):
        model = _DriverModel(embedder)
        # "auto": each worker picks for its own hardware; the cache serves what auto picks here (on a
        # cluster of one kind of machine, what the workers compute), so int8 never mixes with fp32
        lookup = embedder.resolved_precision()
        super().__init__(
            model,
            cache_dir=embedder.cache_dir,
            precision=lookup,
            max_seq_length=embedder.max_seq_length,
            show_progress=embedder.show_progress,
        )
        self.engine = engine
        self.requested = embedder.precision  # what the workers are asked for (auto: their own choice)
        self.precisions, self.nodes, self.blocks, self.timing = Counter(), Counter(), 0, {}

    def run_stats(self) -> dict:
        """The run's blocks, nodes and precisions (also kept in the engine's ``last_run_``)."""
        res = self.engine.resources()
        self.engine.last_run_ = {
            "blocks": self.blocks,
            "workers": res["workers"],
            "device": res["device"],
            "rows_per_node": dict(self.nodes),
            "precisions": dict(self.precisions),
            **self.timing,
        }
        used = "+".join(sorted(self.precisions)) or self.last_stats_["precision"]
        return {"precision": used, "blocks": self.blocks, "nodes": len(self.nodes)}

    def _encode_missing(self, backend, texts, rows, vectors, cache, keys, precision) -> None:

        import numpy as np

        if not texts:
            return
        # longest first: blocks of similar lengths pad less, and the slowest blocks start first
        order = np.argsort([-len(t) for t in texts], kind="stable")
        stream = self.engine.stream_embeddings(
            [texts[k] for k in order],
            model=backend.model,
            max_seq_length=self.max_seq_length,
            precision=self.requested,
        )
        done = np.zeros(len(texts), bool)
        started, first, first_rows = time.perf_counter(), None, 0
        with self._progress(len(texts), f"embedding on ray ({self.requested})") as bar:
            for part, out, used, node in stream:
                idx = order[part]
                vectors[rows[idx]] = out
                done[idx] = True
                self.precisions[used] += len(idx)
                self.nodes[node] += len(idx)
                unit = np.linalg.norm(out, axis=1) > 0.5  # an all-zero vector is not cached
                if cache is not None and unit.any():
                    cache = self._cache_put(cache, [keys[k] for k in idx[unit]], out[unit], used)
                bar.update(len(idx))
                if first is None:
                    first, first_rows = time.perf_counter(), len(idx)
        ended = time.perf_counter()
        _check_complete(done, "embedding")
        self.blocks = self.engine.blocks_sent_
        # the rate once the workers run (after actor start and model load), for throughput reports
        rest = len(texts) - first_rows
        steady = rest / (ended - first) if rest and ended > first else None
        self.timing = {
            "seconds": round(ended - started, 3),
            "first_result_s": round(first - started, 3),
            "steady_docs_per_s": None if steady is None else round(steady, 1),
        }


class _EmbedWorker:
    """Ray Data callable class: loads the model once per worker, resolves the precision for this
    worker's hardware (``"auto"``: bf16 where native, CUDA bf16 on GPUs), embeds batches of texts."""

    def __init__(self, model, max_seq_length, precision, device, threads):
        import torch

        if device == "cpu":
            torch.set_num_threads(max(1, int(threads)))
        self.embedder = Embedder(
            model,
            cache_dir=False,
            precision=precision,
            max_seq_length=max_seq_length,
            device=device,
            show_progress=False,
        )
        self.precision = self.embedder.resolved_precision()  # the embedder's own rule, run here
        self.node = _node_id()

    def __call__(self, batch):
        import numpy as np

        vectors = self.embedder.encode([str(t) for t in batch["text"]])
        n = len(vectors)
        return {
            "row": batch["row"],
            "embedding": vectors,
            "precision": np.full(n, self.precision),
            "node": np.full(n, self.node),
        }


def _assign_batch(batch, centroids, threshold):
    """Ray Data task: nearest-centroid topics for one block of embeddings."""
    import numpy as np

    from landscape.model.geometry import nearest_centroid

    topic, _ = nearest_centroid(batch["data"], centroids, threshold)
    return {"row": batch["row"], "topic": topic, "node": np.full(len(topic), _node_id())}
