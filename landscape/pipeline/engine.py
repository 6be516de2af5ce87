"""Where the embarrassingly parallel stages run: in this process (``local``) or on a Ray cluster (``ray``).

Two stages are parallel paper by paper: **embedding** and **assigning papers to topics** (nearest
centroid). Both engines run the same code per batch (:class:`landscape.embed.embedder.Embedder`,
:func:`landscape.model.geometry.nearest_centroid`), so they give the same results; Ray only decides where
the batches run.

With Ray, the engine keeps a pool of long-lived worker actors (one per CPU, ``cpus_per_worker`` torch
threads each and no more, or one per GPU), started on first use and reused by every later call:
embedding, assignment, and further embeddings (``update``) in the same session. A worker loads the
model once, when first asked for it, and resolves ``"auto"`` precision for its own hardware (int8
on CPUs with VNNI, bf16 where it is native without VNNI, CUDA bf16 on GPUs); a cluster of mixed hardware
reports each precision it used (``"bf16+int8"``). The driver cuts the rows into blocks that shrink
towards the end (guided scheduling: each block is a share of the rows not yet sent) and hands the
next block to whichever worker has a free slot, two blocks per worker, so every worker stays busy
until the end and none is left with a large last block. The driver keeps the embedding cache: it
looks every text up first (served by what ``auto`` resolves to on the driver, so int8 never mixes
with fp32), sends only the misses (longest first), and writes each returned block into one
preallocated array and the cache as it arrives (with a progress bar), so it never holds the vectors
twice, and the object store holds only the blocks in flight.

``ray`` is an optional dependency: ``pip install 'landscape[ray]'``. Without ``address`` a local Ray
instance is started on this machine (no set-up); ``address="auto"`` or ``"ray://host:10001"``
connects to a running cluster.
"""

from __future__ import annotations

import math
import os
import time
from collections import Counter, deque

from landscape.embed.embedder import Embedder, EmbeddingBackend
from landscape.errors import LandscapeError, require

ENGINES = ("local", "ray")

# Blocks queued per worker: one running and one waiting, so that a worker never waits for the driver.
SLOTS_PER_WORKER = 2
# Guided scheduling: a block is 1/(GUIDED_SHARE x workers) of the rows not yet sent, so blocks shrink
# and the workers finish together.
GUIDED_SHARE = 2
# Rows per block at most (bounds the object store: texts or vectors of SLOTS_PER_WORKER blocks per worker).
MAX_BLOCK_ROWS = 4096
# Rows per assignment block at least (while every worker can still get one); an embedding block is
# at least one forward pass (the batch size).
MIN_ASSIGN_ROWS = 1024


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


def block_bounds(n: int, workers: int, min_rows: int = 1) -> list[tuple[int, int]]:
    """``(start, stop)`` of the blocks ``n`` rows are cut into for ``workers`` workers, in the order
    they are sent: each is ``1/(GUIDED_SHARE x workers)`` of the rows left, at least ``min_rows``
    (fewer when that would leave a worker without a block), at most :data:`MAX_BLOCK_ROWS`."""
    workers = max(1, workers)
    floor = max(1, min(min_rows, math.ceil(n / workers)))
    bounds, start = [], 0
    while start < n:
        left = n - start
        size = min(left, MAX_BLOCK_ROWS, max(floor, math.ceil(left / (GUIDED_SHARE * workers))))
        bounds.append((start, start + size))
        start += size
    return bounds


class RayEngine:
    """Ray engine: a pool of long-lived worker actors fed block by block.

    Parameters
    ----------
    address : a running cluster (``"auto"``, ``"ray://head:10001"``); None starts a local instance
    num_cpus : CPUs of the local instance (None: all of this machine's); ignored with ``address``
    batch_size : texts per forward pass on a worker (None: the embedder's ``batch_size``)
    cpus_per_worker : CPUs reserved by each CPU worker, and its number of torch threads
    workers : number of workers (None: one per GPU, else one per ``cpus_per_worker`` CPUs)

    The workers live until :meth:`close` (or :meth:`shutdown`, which also disconnects from Ray); while
    they live they hold their CPUs or GPUs on the cluster. After :meth:`embed` or :meth:`assign`,
    ``last_run_`` holds ``blocks, workers, device, rows_per_node`` (node id -> rows it computed),
    ``seconds``, ``ready_s`` (until the first worker could start: actor start and model load),
    ``threads_per_worker`` and, for embedding, ``precisions`` (precision -> texts) and
    ``worker_docs_per_s`` (texts per second of the workers' busy time, summed over workers).
    """

    name = "ray"

    def __init__(self, address=None, *, num_cpus=None, batch_size=None, cpus_per_worker=1, workers=None):
        self.address = address
        self.num_cpus = num_cpus
        self.batch_size = batch_size
        self.cpus_per_worker = cpus_per_worker
        self.workers = workers

    # -- cluster ---------------------------------------------------------------------------------
    def _ray(self):
        ray = require("ray", extra="ray")
        for name in ("batch_size", "cpus_per_worker", "workers"):
            value = getattr(self, name)
            if name != "cpus_per_worker" and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise LandscapeError(f"{name} must be a positive integer, got {value!r}")
        if not ray.is_initialized():
            import logging

            options = {"include_dashboard": False, "logging_level": logging.WARNING, "log_to_driver": False}
            if self.address is None:
                options["num_cpus"] = self.num_cpus
            try:
                ray.init(address=self.address, **options)
            except Exception as exc:  # noqa: BLE001 (Ray raises bare Exception when a node fails to start)
                raise LandscapeError(
                    f"cannot start or reach Ray at {self.address or 'local'}: {exc}"
                ) from exc
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

    def _pool(self) -> _WorkerPool:
        pool = getattr(self, "_pool_value", None)
        if pool is None:
            pool = self._pool_value = _WorkerPool(self._ray(), self.resources())
        return pool

    def start(self, embedder=None) -> dict:
        """Start the workers now and wait until every one is ready, with ``embedder``'s model loaded
        (calls start them on demand otherwise, and send work to each as soon as it is ready).
        Returns the workers, their nodes and the seconds since the pool was started."""
        pool = self._pool()
        key = None if embedder is None else _RayEmbedder(self, embedder).key
        try:
            infos = pool.ray.get(list(pool.prepare(key)))
        except pool.ray.exceptions.RayError as exc:
            raise LandscapeError(f"a Ray worker failed to start: {exc}") from exc
        pool.ready_s = pool.ready_s or time.perf_counter() - pool.started
        return {
            "workers": len(infos),
            "nodes": len({i["node"] for i in infos}),
            "seconds": round(time.perf_counter() - pool.started, 3),
        }

    def close(self) -> None:
        """Stop the workers (their CPUs or GPUs go back to the cluster); the next call starts new ones."""
        pool, self._pool_value = getattr(self, "_pool_value", None), None
        if pool is not None:
            pool.stop()

    def shutdown(self) -> None:
        """Stop the workers and disconnect from Ray (stopping a local instance)."""
        import ray

        self.close()
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
        """Like :meth:`LocalEngine.assign`, block by block on the workers."""
        import numpy as np

        from landscape.model.geometry import unit_rows

        X = unit_rows(X)
        if len(X) == 0:
            return np.zeros(0, dtype=np.int64)
        pool = self._pool()
        shared = pool.ray.put((np.asarray(centroids, np.float32), float(threshold)))
        topics = np.full(len(X), -2, dtype=np.int64)
        nodes = Counter()
        started = time.perf_counter()
        bounds = block_bounds(len(X), pool.count, MIN_ASSIGN_ROWS)
        for (a, b), (topic, node, _busy) in pool.run(
            bounds, None, lambda actor, a, b: actor.assign.remote(X[a:b], shared)
        ):
            topics[a:b] = topic
            nodes[node] += b - a
        _check_complete(topics != -2, "assignment")
        self.last_run_ = {
            **pool.describe(),
            "blocks": len(bounds),
            "rows_per_node": dict(nodes),
            "seconds": round(time.perf_counter() - started, 3),
        }
        return topics

    def stream_embeddings(self, texts, key):
        """Yield ``((start, stop), unit vectors, precision, node, busy seconds)`` for blocks of
        ``texts`` as the workers finish them, in any order. ``key`` is ``(model, max_seq_length,
        precision, batch_size)``; precision ``"auto"`` is resolved by each worker for its hardware."""
        pool = self._pool()
        bounds = block_bounds(len(texts), pool.count, key[3])
        self.blocks_sent_ = len(bounds)
        for (a, b), (vectors, used, node, busy) in pool.run(
            bounds, key, lambda actor, a, b: actor.embed.remote(key, texts[a:b])
        ):
            yield (a, b), vectors, used, node, busy

    def model_dim(self, key) -> int:
        """The embedding width of the model of ``key`` (see :meth:`stream_embeddings`), from the
        first worker that has loaded it."""
        refs = self._pool().prepare(key)
        ready, _ = self._pool().ray.wait(list(refs), num_returns=1)
        return int(self._pool().ray.get(ready[0])["dim"])


def _check_complete(done, what: str) -> None:
    if not done.all():
        raise LandscapeError(f"the Ray {what} job returned {int(done.sum())} rows for {len(done)} inputs")


class _WorkerPool:
    """The engine's worker actors and the dispatch of blocks to whichever has a free slot."""

    def __init__(self, ray, res: dict):
        self.ray, self.res, self.count = ray, res, int(res["workers"])
        actor = ray.remote(_Worker).options(
            num_cpus=res["num_cpus"],
            num_gpus=res["num_gpus"],
            scheduling_strategy="SPREAD",  # one per node first: every node's cores are used
            max_restarts=1,  # a lost worker is replaced (and loads its model again on first use)
            max_task_retries=1,
        )
        started = time.perf_counter()
        self.actors = [actor.remote(res["device"], res["num_cpus"]) for _ in range(self.count)]
        self.started, self.ready_s = started, None
        self.prepared: dict = {}  # model key -> {ref of prepare(): actor}
        self.info: dict = {}  # model key -> what the first ready worker said (dim, threads)

    def prepare(self, key) -> dict:
        """Ask every worker to load the model of ``key`` (None: nothing to load), once per key."""
        if key not in self.prepared:
            self.prepared[key] = {a.prepare.remote(key): a for a in self.actors}
        return self.prepared[key]

    def run(self, bounds, key, submit):
        """Yield ``((start, stop), result)`` of ``submit(actor, start, stop)`` for every block, each
        sent to a worker once it is ready (model loaded) and has a free slot."""
        ray = self.ray
        waiting = dict(self.prepare(key))
        todo, running, slots = deque(bounds), {}, deque()
        while todo or running:
            while slots and todo:
                actor = slots.popleft()
                a, b = todo.popleft()
                running[submit(actor, a, b)] = (actor, a, b)
            try:
                (ref,), _ = ray.wait([*waiting, *running], num_returns=1)
                if ref in waiting:  # every worker ready by now gets its slots, in turns: A, B, A, B
                    ready, _ = ray.wait(list(waiting), num_returns=len(waiting), timeout=0)
                    self.info[key] = ray.get(ready[0])
                    if self.ready_s is None:
                        self.ready_s = time.perf_counter() - self.started
                    slots.extend([waiting.pop(r) for r in ready] * SLOTS_PER_WORKER)
                    continue
                actor, a, b = running.pop(ref)
                result = ray.get(ref)
            except ray.exceptions.RayError as exc:
                raise LandscapeError(f"a Ray worker failed: {exc}") from exc
            slots.append(actor)
            yield (a, b), result

    def describe(self) -> dict:
        threads = {i.get("threads") for i in self.info.values()} - {None}
        return {
            "workers": self.count,
            "device": self.res["device"],
            "ready_s": None if self.ready_s is None else round(self.ready_s, 3),
            "threads_per_worker": max(threads) if threads else None,
        }

    def stop(self) -> None:
        for actor in self.actors:
            self.ray.kill(actor)
        self.actors, self.prepared = [], {}


class _ClusterModel:
    """What the driver's Embedder sees as its backend: the model's width, from the workers (the
    driver never loads the model; encoding happens through :meth:`_RayEmbedder._encode_missing`)."""

    def __init__(self, engine, key):
        self.engine, self.key = engine, key

    @property
    def dim(self) -> int:
        return self.engine.model_dim(self.key)


class _RayEmbedder(Embedder):
    """The driver's side of a Ray embedding: the :class:`~landscape.embed.embedder.Embedder`'s
    deduplication and cache, with the misses encoded on the cluster and streamed into place."""

    def __init__(self, engine: RayEngine, embedder):
        # "auto": each worker picks for its own hardware; the cache serves what auto picks here (on a
        # cluster of one kind of machine, what the workers compute), so int8 never mixes with fp32
        lookup = embedder.resolved_precision()
        super().__init__(
            embedder.model,
            cache_dir=embedder.cache_dir,
            batch_size=engine.batch_size or embedder.batch_size,
            precision=lookup,
            max_seq_length=embedder.max_seq_length,
            show_progress=embedder.show_progress,
        )
        self.engine = engine
        requested = embedder.precision  # what the workers are asked for (auto: their own choice)
        self.key = (str(embedder.model), int(self.max_seq_length), requested, int(self.batch_size))
        self.precisions, self.nodes, self.blocks, self.timing = Counter(), Counter(), 0, {}

    def _backend(self):
        """Never the model itself: the driver does not load it."""
        return _ClusterModel(self.engine, self.key)

    def run_stats(self) -> dict:
        """The run's blocks, nodes and precisions (also kept in the engine's ``last_run_``)."""
        self.engine.last_run_ = {
            **self.engine._pool().describe(),
            "blocks": self.blocks,
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
        stream = self.engine.stream_embeddings([texts[k] for k in order], self.key)
        done = np.zeros(len(texts), bool)
        busy = Counter()
        started = time.perf_counter()
        with self._progress(len(texts), f"embedding on ray ({self.key[2]})") as bar:
            for (a, b), out, used, node, seconds in stream:
                idx = order[a:b]
                vectors[rows[idx]] = out
                done[idx] = True
                self.precisions[used] += len(idx)
                self.nodes[node] += len(idx)
                busy[node] += seconds
                unit = np.linalg.norm(out, axis=1) > 0.5  # an all-zero vector is not cached
                if cache is not None and unit.any():
                    cache = self._cache_put(cache, [keys[k] for k in idx[unit]], out[unit], used)
                bar.update(len(idx))
        _check_complete(done, "embedding")
        self.blocks = self.engine.blocks_sent_
        rate = sum(self.nodes[n] / s for n, s in busy.items() if s > 0)
        self.timing = {
            "seconds": round(time.perf_counter() - started, 3),
            "worker_docs_per_s": round(rate, 1),
        }


class _Worker:
    """A Ray actor that lives as long as its engine's pool: it embeds with models it loads once each
    (``"auto"`` precision resolved for this worker's hardware by the Embedder's own rule) and assigns
    vectors to topics, using ``threads`` CPU threads and no more."""

    def __init__(self, device: str, threads: int):
        # the tokenizer's thread pool too (Rust/rayon, read when first used), not only torch's
        os.environ["RAYON_NUM_THREADS"] = str(threads)
        os.environ["TOKENIZERS_PARALLELISM"] = "false"
        import torch

        if device == "cpu":
            torch.set_num_threads(threads)
            try:
                torch.set_num_interop_threads(1)
            except RuntimeError:  # only settable before the first parallel work; then it stays
                pass
        self.device, self.backends, self.embedders = device, {}, {}
        import ray

        self.node = ray.get_runtime_context().get_node_id()

    def _embedder(self, key) -> Embedder:
        model, max_seq_length, precision, batch_size = key
        if key not in self.embedders:
            probe = Embedder(model, max_seq_length=max_seq_length, device=self.device)
            backend = self.backends.get((model, max_seq_length))
            if backend is None:  # one model in memory per (model, length), whatever the precision
                backend = self.backends[(model, max_seq_length)] = probe._backend()
            self.embedders[key] = Embedder(
                backend,
                cache_dir=False,
                batch_size=batch_size,
                precision=precision,
                max_seq_length=max_seq_length,
                device=self.device,
                show_progress=False,
            )
        return self.embedders[key]

    def prepare(self, key) -> dict:
        """Load the model of ``key`` (None: nothing to load) and say what this worker runs."""
        import torch

        info = {"node": self.node, "threads": torch.get_num_threads()}
        if key is not None:
            embedder = self._embedder(key)
            info |= {"dim": embedder.dim, "precision": embedder.resolved_precision()}
        return info

    def embed(self, key, texts):
        started = time.perf_counter()
        embedder = self._embedder(key)
        vectors = embedder.encode(list(texts))
        return vectors, embedder.resolved_precision(), self.node, time.perf_counter() - started

    def assign(self, X, shared):
        from landscape.model.geometry import nearest_centroid

        started = time.perf_counter()
        centroids, threshold = shared
        topic, _ = nearest_centroid(X, centroids, threshold)
        return topic, self.node, time.perf_counter() - started
