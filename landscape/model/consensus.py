"""Consensus topics: several UMAP + HDBSCAN runs agreed on the k-nearest-neighbour graph.

One UMAP layout depends on its seed (and on the last bits of the embeddings: fp32 and bf16
embeddings of the same papers gave topic assignments with ARI ~0.5), so a single run's topics
move between random states. Here each run's topics vote on the edges of the papers' k-NN graph:
an edge keeps UMAP's fuzzy membership weight ``w`` (deterministic for a given k-NN graph) scaled
by ``co + ANCHOR``, where ``co`` is the share of runs that put both papers in one topic. Spectral
clustering of that graph (``cluster_qr``, no k-means restarts) gives the final topics; the fixed
``ANCHOR`` part keeps the result from swinging with any single run.

Measured (``bench/quality.py`` and the sets of ``bench/labelled.py``, 40 topics, 2,000-2,300
papers; ARI between two independent sets of seeds; the first table from the 5-run version):

=========  ===================  ====================  =====================
set        NMI one run → cons.  seed ARI              fp32 vs bf16 ARI
=========  ===================  ====================  =====================
primary20  0.545 → 0.539-0.546  0.76 → 0.86
rarest20   0.383 → 0.392-0.395  0.68 → 0.91
2,000 rnd  0.308 → 0.299-0.300  0.59 → 0.87          0.56 → 0.91
=========  ===================  ====================  =====================

fp32 and bf16 embeddings (cosine ~0.99998 per paper) differ at near-ties of the exact k-NN graph,
and the UMAP runs then diverge as with another seed, so precision ARI follows seed ARI: only
fewer chaotic parts help. Variants of the final step, seeds 0-2 with true fp32 and bf16 vectors
of each set (NMI mean over the 6 builds; ARI mean, fp32 vs bf16 per seed and between seeds):

=================================  =============  ===========  =============  ===========
variant                            primary20 NMI  prec / seed  rarest20 NMI*  prec / seed
=================================  =============  ===========  =============  ===========
one run (no consensus)             0.544          0.77 / 0.76
5 runs, anchor 1 (before)          0.537          0.87 / 0.88  0.388          0.85 / 0.86
5 runs, anchor 2                   0.533          0.84 / 0.88
5 runs, anchor 4                   0.531          0.91 / 0.92
5 runs, graph only (anchor 100)    0.525          0.92 / 0.96
5 runs + TF-IDF LSA (weight 0.5)   0.536          0.88 / 0.89
10 runs, anchor 1                  0.538          0.90 / 0.91  0.389          0.87 / 0.88
10 runs at 200 epochs, anchor 2    0.537          0.91 / 0.93  0.382          0.90 / 0.91
15 runs at 200 epochs, anchor 1    0.538          0.89 / 0.92  0.389          0.92 / 0.92
20 runs at 200 epochs, anchor 1    0.539          0.90 / 0.92  0.391          0.93 / 0.94
=================================  =============  ===========  =============  ===========

(*) rarest20: every run at 200 epochs. 200 epochs vote as well as 500 (``primary20``, 5 runs: NMI
0.537, ARI 0.86 / 0.87 against 0.537, 0.87 / 0.88) at about 0.4 of the cost of a run.

So the runs after the seed's own layout use ``RUN_EPOCHS`` = 200 and there are 20 of them in all
(``CONSENSUS_RUNS``): NMI +0.002 / +0.004 and precision ARI 0.87 → 0.90 (min 0.88) on
``primary20``, 0.85 → 0.93 (min 0.91) on ``rarest20``, seed ARI 0.88 → 0.92 and 0.86 → 0.94.
More weight on the k-NN graph (anchor 1.5-4, or the graph alone) buys stability with NMI
(-0.003 to -0.013), a 30-neighbour graph under the votes lost both (NMI 0.536, ARI 0.85 / 0.87),
a 10-neighbour one changed nothing (0.538, 0.87 / 0.88), and spectral clustering to the runs'
fine HDBSCAN count (~70) on their fine votes, merged to 40 by centroids, was less stable (ARI
0.82 / 0.80). ``ANCHOR`` 0.25 (earlier) scored NMI +0.005 on the ~20-class sets but seed ARI
0.74-0.88; 0 (votes only) 0.65-0.84. On the bundled 100-paper sample (topics of 3-5 papers),
fp32 vs bf16 ARI was 0.63-0.81 for random states 0-4 with 5 runs; the four seed-page topics hold.

Cost: UMAP + HDBSCAN per extra run (200 epochs: about 1 s per 1,000 papers at 2,000 papers on
the 2-core development machine, quiet; a full 500-epoch layout about 2.5 s) plus the spectral step
(eigenvectors of the sparse graph: about 2 s at 2,000 papers and 40 topics; at 10,000 papers and
65 topics it took 283 s of wall time under a load of 15, nice'd): 1 x 500 + 19 x 200 epochs is
about 1.7 times the UMAP work of the earlier 5 x 500. So the runs fall with the corpus size
(:func:`default_consensus_runs`): ``CONSENSUS_RUNS`` up to 5,000 papers, 3 up to 10,000, a single
run above, where one run is already steadier (10,000 random dev papers: ARI 0.80 between two
seeds, against 0.59 at 2,000) and a 92,705-paper build keeps its cost (two UMAPs, about 130 s).
"""

from __future__ import annotations

from landscape.schema import UNASSIGNED_TOPIC

# Runs agreed on up to CONSENSUS_FULL papers; fewer above, none (one run) above CONSENSUS_MAX.
CONSENSUS_RUNS = 20
CONSENSUS_FULL = 5_000
CONSENSUS_MAX = 10_000

# Weight of the k-NN graph itself beside the runs' votes (module doc).
ANCHOR = 1.0

# UMAP epochs of the runs after the seed's own layout (which keeps UMAP's default, 500 up to
# 10,000 papers): as good for voting at 0.4 of the cost (module doc).
RUN_EPOCHS = 200


def default_consensus_runs(n: int) -> int:
    """UMAP + HDBSCAN runs for ``n`` papers: ``CONSENSUS_RUNS`` up to ``CONSENSUS_FULL``, 3 up to
    ``CONSENSUS_MAX``, then 1 (a single run, no consensus step)."""
    if n <= CONSENSUS_FULL:
        return CONSENSUS_RUNS
    return 3 if n <= CONSENSUS_MAX else 1


def run_seeds(random_state: int, runs: int) -> list[int]:
    """Seeds of the runs: ``random_state`` first, then seeds drawn from it, so two random states
    share no run (their agreement measures stability, not shared layouts)."""
    import numpy as np

    drawn = np.random.default_rng(random_state).integers(0, 2**31 - 1, size=max(0, runs - 1))
    return [int(random_state), *(int(s) for s in drawn)]


def fuzzy_graph(X, knn):
    """UMAP's symmetric fuzzy k-NN graph of the papers (sparse, deterministic for a k-NN graph)."""
    import numpy as np
    from umap.umap_ import fuzzy_simplicial_set

    idx, dist = knn
    graph, _, _ = fuzzy_simplicial_set(
        X, idx.shape[1], np.random.RandomState(0), "cosine", knn_indices=idx, knn_dists=dist
    )
    return graph.tocoo()


def agreed_graph(graph, partitions, anchor: float = ANCHOR):
    """``graph`` with each edge's weight scaled by (share of partitions that join its ends + anchor).

    An unassigned paper (-1) is joined to nobody."""
    import numpy as np
    import scipy.sparse as sp

    rows, cols = graph.row, graph.col
    together = np.zeros(len(rows))
    for labels in partitions:
        together += (labels[rows] == labels[cols]) & (labels[rows] != UNASSIGNED_TOPIC)
    weight = graph.data * (together / max(1, len(partitions)) + anchor)
    agreed = sp.csr_matrix((weight, (rows, cols)), shape=graph.shape)
    return agreed.maximum(agreed.T)


def consensus_labels(graph, partitions, n_topics: int, random_state: int):
    """Topic per paper (0..n_topics-1) from the runs' ``partitions`` agreed on ``graph``; papers
    that most runs left unassigned stay unassigned."""
    import warnings

    import numpy as np
    import scipy.sparse as sp
    from sklearn.cluster import SpectralClustering

    n = graph.shape[0]
    if n_topics <= 1 or n_topics >= n:
        labels = np.zeros(n, dtype=np.int64) if n_topics <= 1 else np.arange(n, dtype=np.int64)
    else:
        # a tiny self-loop keeps isolated papers from making the Laplacian singular
        affinity = agreed_graph(graph, partitions) + sp.identity(n, format="csr") * 1e-6
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "graph is not fully connected": handled by the self-loops
            model = SpectralClustering(
                n_clusters=n_topics,
                affinity="precomputed",
                assign_labels="cluster_qr",
                random_state=random_state,
            )
            labels = np.asarray(model.fit_predict(affinity), dtype=np.int64)
    unassigned = sum((p == UNASSIGNED_TOPIC).astype(int) for p in partitions)
    labels = np.where(2 * unassigned > len(partitions), UNASSIGNED_TOPIC, labels)
    # ids 0..k-1 without gaps (a cluster may lose every paper to the unassigned rule)
    kept = np.unique(labels[labels != UNASSIGNED_TOPIC])
    remap = np.full(int(labels.max(initial=0)) + 2, UNASSIGNED_TOPIC, dtype=np.int64)
    remap[kept] = np.arange(len(kept))
    return np.where(labels == UNASSIGNED_TOPIC, UNASSIGNED_TOPIC, remap[labels]).astype(np.int64)
