"""On-disk cache of UMAP layouts, so that re-clustering a corpus skips its slowest steps.

The 5-D clustering layout and the 2-D map depend only on the embeddings and a few layout
parameters (neighbours, dimensions, min_dist, k-NN method, seed, umap-learn version), not on the
HDBSCAN, outlier or keyword settings. On 92,705 papers they take about 190 of a build's 290 s, so
a rebuild with new clustering parameters reads them back instead.

Each layout is one ``.npy`` file named by the sha256 of the embeddings' bytes and those parameters,
read with ``allow_pickle=False``. A file with the wrong shape or non-finite values is treated as a
miss (recomputed and overwritten); files are written through a temporary name and renamed, so an
interrupted run never leaves half a layout behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path

import numpy as np

SCHEMA_VERSION = "1"


def embeddings_digest(X: np.ndarray) -> str:
    """sha256 of a float32 C-contiguous embedding matrix (shape included)."""
    X = np.ascontiguousarray(X, dtype=np.float32)
    h = hashlib.sha256(f"{X.shape}".encode())
    h.update(memoryview(X).cast("B"))
    return h.hexdigest()


class LayoutCache:
    """Directory of cached layouts; ``get`` returns None on a miss, ``put`` stores an array."""

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)

    def key(self, digest: str, **params) -> str:
        from importlib.metadata import version

        # the installed version, without importing umap (seconds of numba start-up on a cache hit)
        spec = {"schema": SCHEMA_VERSION, "umap": version("umap-learn"), "embeddings": digest, **params}
        return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:32]

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.npy"

    def get(self, key: str, shape: tuple[int, int]) -> np.ndarray | None:
        path = self._path(key)
        if not path.exists():
            return None
        try:
            array = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            warnings.warn(f"unreadable cached layout {path} ({exc}); recomputing it", stacklevel=2)
            return None
        if array.shape != tuple(shape) or not np.isfinite(array).all():
            warnings.warn(f"damaged cached layout {path}; recomputing it", stacklevel=2)
            return None
        return array.astype(np.float32, copy=False)

    def put(self, key: str, array: np.ndarray) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp = self.directory / f".{key}.{os.getpid()}.tmp.npy"
            np.save(tmp, np.ascontiguousarray(array, dtype=np.float32), allow_pickle=False)
            os.replace(tmp, self._path(key))
        except OSError as exc:  # a read-only or full disk costs speed, never the build
            warnings.warn(f"cannot write the layout cache in {self.directory}: {exc}", stacklevel=2)
