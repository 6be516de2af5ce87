"""The Ray engine gives the same embeddings and topic assignments as the local engine: on a local Ray
instance, and (slow) on a real two-node cluster, where the work must be spread over both nodes."""

import numpy as np
import pytest

from landscape.embed.embedder import Embedder
from landscape.errors import LandscapeError
from landscape.pipeline.engine import (
    GUIDED_SHARE,
    MAX_BLOCK_ROWS,
    LocalEngine,
    RayEngine,
    block_bounds,
    get_engine,
)

TEXTS = [
    "Sparse attention for long documents. We reduce the quadratic cost of self-attention.",
    "Surface code decoding with matching. Logical error rates fall below threshold.",
    "Diffusion models for image synthesis. A denoising process generates images from noise.",
    "Reinforcement learning from human feedback aligns language models with preferences.",
    "Graph neural networks for molecules. Message passing predicts molecular properties.",
    "Federated learning with differential privacy protects client data during training.",
    "Diffusion models for image synthesis. A denoising process generates images from noise.",  # repeated
    "Robot navigation with vision-language models follows spoken instructions indoors.",
]


@pytest.fixture(scope="module")
def ray_engine():
    pytest.importorskip("ray")
    engine = RayEngine(num_cpus=2, workers=1, batch_size=4)
    yield engine
    engine.shutdown()


def test_ray_assignments_equal_local(ray_engine):
    rng = np.random.default_rng(0)
    centroids = rng.normal(size=(6, 24)).astype(np.float32)
    X = np.vstack([centroids[rng.integers(0, 6, 400)] + rng.normal(scale=0.9, size=(400, 24))])
    local = LocalEngine().assign(X, centroids, 0.45)
    remote = ray_engine.assign(X, centroids, 0.45)
    assert (local == -1).any() and (local >= 0).any()  # both outcomes are exercised
    assert np.array_equal(local, remote)
    assert ray_engine.last_run_["threads_per_worker"] == 1  # a worker of 1 CPU runs 1 torch thread


def test_ray_embeddings_equal_local_and_fill_the_cache(ray_engine, tmp_path):
    local = Embedder(cache_dir=False).encode(TEXTS)
    embedder = Embedder(cache_dir=tmp_path)
    remote = ray_engine.embed(embedder, TEXTS)
    assert remote.shape == local.shape
    # same vectors up to the batch composition, which moves bf16 results (precision="auto" on a
    # CPU with native bf16) in the last bits: cosine, not exact equality
    assert (np.sum(remote * local, axis=1) >= 0.999).all()
    assert embedder.last_stats_["n_encoded"] == 7 and embedder.last_stats_["engine"] == "ray"
    # the driver's cache now has them: nothing goes to the cluster the second time
    again = ray_engine.embed(Embedder(cache_dir=tmp_path), TEXTS)
    assert np.allclose(again, remote, atol=1e-6)
    assert ray_engine.describe()["device"] == "cpu"
    # the workers outlive a call: a new text is embedded by the same, already loaded worker
    pool = ray_engine._pool()
    more = ray_engine.embed(Embedder(cache_dir=False), TEXTS[:1] + ["Quantum error correction codes."])
    assert ray_engine._pool() is pool and len(pool.actors) == 1
    assert (np.sum(more[:1] * local[:1], axis=1) >= 0.999).all()


@pytest.mark.parametrize(
    "n, workers, min_rows",
    [
        (1, 4, 64),
        (7, 2, 4),
        (1000, 2, 64),
        (1000, 1, 64),
        (3 * MAX_BLOCK_ROWS * 8 + 5, 2, 64),
        (10**6, 100, 64),
    ],
)
def test_blocks_cover_every_row_feed_every_worker_and_shrink(n, workers, min_rows):
    bounds = block_bounds(n, workers, min_rows)
    sizes = [b - a for a, b in bounds]
    assert bounds[0][0] == 0 and bounds[-1][1] == n
    assert all(s > 0 for s in sizes) and all(
        b == c for (_, b), (c, _) in zip(bounds[:-1], bounds[1:], strict=True)
    )
    assert len(bounds) >= min(n, workers)  # every worker has a block to take
    assert max(sizes) <= MAX_BLOCK_ROWS
    assert sizes == sorted(sizes, reverse=True)  # shrinking: no large block left for the end
    # the last blocks are small: the workers finish within about one small block of each other
    assert sizes[-1] <= max(min_rows, n / (GUIDED_SHARE * workers * 2))


# Runs in its own process (a driver of its own, like a real job), so that a stuck cluster can be
# stopped as a whole: a head and a worker node of one CPU each, then the Ray engine with 2 workers.
TWO_NODE_JOB = """
import json, sys
import numpy as np
from ray.cluster_utils import Cluster
from landscape.embed.embedder import Embedder
from landscape.pipeline.engine import RayEngine

texts = json.loads(sys.stdin.read())
cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
engine = RayEngine(address=cluster.address, workers=2, batch_size=4)
try:
    cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes(timeout=120)
    started = engine.start(Embedder(cache_dir=False))  # both workers up, model loaded: both get blocks
    vectors = engine.embed(Embedder(cache_dir=False), texts)
    run = {**engine.last_run_, "started": started}
finally:
    engine.shutdown()
    cluster.shutdown()
np.save(sys.argv[1], vectors)
print(json.dumps(run))
"""


@pytest.mark.slow
def test_ray_on_a_two_node_cluster_spreads_blocks_over_both_nodes(tmp_path):
    """A real cluster (two raylets), not one process: blocks > 1, both nodes embed, and the vectors
    equal the local engine's at the same precision."""
    pytest.importorskip("ray")
    import json
    import os
    import signal
    import subprocess
    import sys

    texts = [f"{t} Variant {i}." for i in range(3) for t in TEXTS]
    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}  # a throw-away cluster on this machine
    out = tmp_path / "vectors.npy"
    proc = subprocess.Popen(
        [sys.executable, "-c", TWO_NODE_JOB, str(out)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # its own process group: stopped as a whole if it hangs
    )
    try:
        stdout, stderr = proc.communicate(json.dumps(texts), timeout=420)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("the two-node Ray job did not finish in 420 s")
    assert proc.returncode == 0, stderr[-3000:]
    run = json.loads(stdout.strip().splitlines()[-1])
    remote = np.load(out)
    local = Embedder(cache_dir=False).encode(texts)
    assert run["blocks"] > 1
    assert run["started"]["nodes"] == 2 and run["threads_per_worker"] == 1
    assert len(run["rows_per_node"]) == 2, run["rows_per_node"]  # both nodes got work
    assert sum(run["rows_per_node"].values()) == len(set(texts))
    assert (np.sum(remote * local, axis=1) >= 0.9999).all()


def test_engine_names_are_checked():
    assert isinstance(get_engine("local"), LocalEngine)
    with pytest.raises(LandscapeError, match="engine must be one of local, ray"):
        get_engine("spark")
    with pytest.raises(LandscapeError, match="only used with --engine ray"):
        get_engine("local", address="auto")
    with pytest.raises(LandscapeError, match="batch_size"):
        RayEngine(batch_size=0)._ray()


def test_fit_sample_fits_on_a_sample_and_assigns_the_rest(tmp_path):
    from pathlib import Path

    from landscape.model.geometry import nearest_centroid
    from landscape.pipeline.build import build

    sample = Path(__file__).resolve().parents[1] / "landscape" / "data" / "hf_papers_sample.csv"
    land = build(sample, None, cache_dir=tmp_path, fit_sample=70, taxonomy=False)
    docs = land.documents
    assert land.meta["parameters"]["fit_sample"] == 70 and len(docs) == 100
    # the 30 papers outside the sample follow the transform rule with the fitted centroids
    rng_rows = np.sort(np.random.default_rng(42).choice(100, 70, replace=False))
    rest = np.setdiff1d(np.arange(100), rng_rows)
    threshold = land.meta["parameters"]["topic_model"]["assign_threshold"]
    expected, _ = nearest_centroid(land.embeddings[rest], land.centroids, threshold)
    assert np.array_equal(docs["topic"].to_numpy()[rest], expected)
    sizes = docs.loc[docs["topic"] >= 0, "topic"].value_counts()
    assert land.topics.set_index("topic")["size"].to_dict() == {
        t: int(sizes[t]) for t in land.topics["topic"]
    }
    assert np.isfinite(docs[["x", "y"]].to_numpy()).all()
    with pytest.raises(LandscapeError, match="fit_sample"):
        build(sample, None, cache_dir=tmp_path, fit_sample=5)


def test_auto_fit_sample_only_samples_large_corpora():
    from landscape.pipeline.build import AUTO_FIT_SAMPLE, AUTO_FIT_THRESHOLD, _fit_rows

    assert _fit_rows(AUTO_FIT_THRESHOLD, "auto", 0) is None
    rows = _fit_rows(AUTO_FIT_THRESHOLD + 1, "auto", 0)
    assert len(rows) == AUTO_FIT_SAMPLE == len(np.unique(rows))
    assert np.array_equal(rows, _fit_rows(AUTO_FIT_THRESHOLD + 1, "auto", 0)), "seeded"
    assert _fit_rows(10**6, None, 0) is None


def test_build_cli_refuses_a_bad_fit_sample(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "landscape.cli",
            "build",
            "x.csv",
            "-o",
            str(tmp_path / "o"),
            "--fit-sample",
            "half",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "--fit-sample must be a number of papers, 'auto' or 'all'" in proc.stderr
    assert "Traceback" not in proc.stderr
