"""Where the embarrassingly parallel stages run: in this process (``local``) or on a Ray cluster (``ray``).

Two stages are parallel paper by paper: **embedding** and **assigning papers to topics** (nearest
centroid). Both engines run the same code per batch (:class:`landscape.embed.embedder.Embedder`,
:func:`landscape.model.geometry.nearest_centroid`), so they give the same results; Ray only decides where
the batches run.

With Ray, embedding goes through Ray Data ``map_batches`` with a callable class that loads the model
once per worker (one GPU per worker when the cluster has GPUs). The driver keeps the embedding cache:
it looks every text up first and sends only the misses to the cluster, writing the results back to
the cache as they return.

``ray`` is an optional dependency: ``pip install 'landscape[ray]'``. Without ``address`` a local Ray
instance is started on this machine (no set-up); ``address="auto"`` or ``"ray://host:10001"``
connects to a running cluster.
"""

from __future__ import annotations

from landscape.errors import LandscapeError, require

ENGINES = ("local", "ray")

# Texts handed to the cluster per round trip of the driver's Embedder (the cache is written after
# each): large enough to keep every worker busy, small enough to lose little when interrupted.
RAY_CHUNK = 16_384


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


class RayEngine:
    """Ray Data engine.

    Parameters
    ----------
    address : a running cluster (``"auto"``, ``"ray://head:10001"``); None starts a local instance
    num_cpus : CPUs of the local instance (None: all of this machine's); ignored with ``address``
    batch_size : papers per ``map_batches`` batch
    cpus_per_worker : CPUs reserved by each CPU embedding worker (its torch threads)
    workers : number of model workers (None: one per GPU, else one per ``cpus_per_worker`` CPUs)
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
            ctx.enable_progress_bars = False
            ctx.print_on_execution_start = False
        # results must come back in input order (we also carry row numbers and check them)
        ray.data.DataContext.get_current().execution_options.preserve_order = True
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
        from landscape.embed.embedder import Embedder, EmbeddingBackend

        if isinstance(embedder.model, EmbeddingBackend):
            raise LandscapeError("the ray engine needs a model name or directory, not a backend object")
        backend = _RayEmbeddingBackend(self, embedder)
        proxy = Embedder(
            backend,
            cache_dir=embedder.cache_dir,
            batch_size=RAY_CHUNK,
            precision=backend.precisions[0],
            max_seq_length=embedder.max_seq_length,
            show_progress=False,
        )
        vectors = proxy.encode(texts)
        embedder.last_stats_ = {**proxy.last_stats_, "engine": "ray"}
        return vectors

    def assign(self, X, centroids, threshold: float):
        import numpy as np

        from landscape.model.geometry import unit_rows

        ray = self._ray()
        X = unit_rows(X)
        if len(X) == 0:
            return np.zeros(0, dtype=np.int64)
        res = self.resources()
        ds = ray.data.from_numpy(X).map_batches(
            _AssignWorker,
            fn_constructor_kwargs={
                "centroids": np.asarray(centroids, np.float32),
                "threshold": float(threshold),
            },
            batch_size=max(self.batch_size, 1024),
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=max(1, min(res["workers"], 4))),
            num_cpus=1,
        )
        # preserve_order keeps the batches in input order, so rows need no numbers here
        return _collect(ds, len(X), "topic").astype(np.int64)

    def _encode(self, texts, *, model, max_seq_length, precision):
        """Embeddings of ``texts`` (in order) computed by the Ray workers."""
        import numpy as np
        import pandas as pd

        ray = self._ray()
        res = self.resources()
        frame = pd.DataFrame({"row": np.arange(len(texts), dtype=np.int64), "text": list(texts)})
        ds = ray.data.from_pandas(frame).map_batches(
            _EmbedWorker,
            fn_constructor_kwargs={
                "model": model,
                "max_seq_length": max_seq_length,
                "precision": precision,
                "device": res["device"],
                "threads": res["num_cpus"],
            },
            batch_size=self.batch_size,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=res["workers"]),
            num_gpus=res["num_gpus"],
            num_cpus=res["num_cpus"],
        )
        return _collect(ds, len(texts), "embedding")


def _collect(ds, n: int, column: str):
    """The ``column`` of a dataset in input order (by its ``row`` column if any), checked complete."""
    import numpy as np

    rows, values = [], []
    done = 0
    for batch in ds.iter_batches(batch_format="numpy", batch_size=None):
        part = np.asarray(batch[column])
        rows.append(batch["row"] if "row" in batch else np.arange(done, done + len(part)))
        values.append(part)
        done += len(part)
    if not rows:
        raise LandscapeError("the Ray job returned no results")
    rows = np.concatenate(rows)
    values = np.concatenate(values)
    if len(rows) != n or not np.array_equal(np.sort(rows), np.arange(n)):
        raise LandscapeError(f"the Ray job returned {len(rows)} rows for {n} inputs")
    out = np.empty_like(values)
    out[rows] = values
    return out


class _RayEmbeddingBackend:
    """An :class:`~landscape.embed.embedder.EmbeddingBackend` whose ``encode_batch`` runs on Ray."""

    def __init__(self, engine: RayEngine, embedder):
        self.engine = engine
        self.model = str(embedder.model)
        self.model_id = embedder.model_id
        self.max_seq_length = embedder.max_seq_length
        precision = embedder.resolved_precision()
        self.precisions = tuple(dict.fromkeys((precision, "fp32")))
        self._embedder = embedder

    @property
    def dim(self) -> int:
        return self._embedder.dim

    def encode_batch(self, texts, precision):
        return self.engine._encode(
            texts, model=self.model, max_seq_length=self.max_seq_length, precision=precision
        )


class _EmbedWorker:
    """Ray Data callable class: loads the model once per worker, embeds batches of texts."""

    def __init__(self, model, max_seq_length, precision, device, threads):
        import torch

        from landscape.embed.embedder import Embedder

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

    def __call__(self, batch):
        vectors = self.embedder.encode([str(t) for t in batch["text"]])
        return {"row": batch["row"], "embedding": vectors}


class _AssignWorker:
    """Ray Data callable class: nearest-centroid topics for batches of embeddings."""

    def __init__(self, centroids, threshold):
        self.centroids = centroids
        self.threshold = threshold

    def __call__(self, batch):
        from landscape.model.geometry import nearest_centroid

        topic, _ = nearest_centroid(batch["data"], self.centroids, self.threshold)
        return {"topic": topic}
