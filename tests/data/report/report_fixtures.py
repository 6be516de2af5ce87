"""A synthetic saved landscape for the report tests: real structure, made-up papers, hostile text.

Used where the whole build pipeline would be too slow or is not the point: maps, tables, the
notebooks' helpers. Titles, a topic label, an area name and urls carry script and markup that must
stay inert text in every page.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

HOSTILE_TITLE = '<script>window.__pwned = "title"</script>Robust <b>bold</b> claims & 100% {x} gains'
HOSTILE_IMG = "<img src=x onerror=\"window.__pwned = 'img'\">Vision transformers"
HOSTILE_LABEL = "<img src=y onerror=\"window.__pwned = 'label'\">"
HOSTILE_AREA = '<script>window.__pwned = "area"</script>'
HOSTILE_URL = "javascript:window.__pwned='url'"

WORDS = [
    ["diffusion", "image", "generation", "denoising", "sampling"],
    ["language", "model", "reasoning", "prompting", "instruction"],
    ["reinforcement", "policy", "reward", "agent", "robot"],
    ["graph", "node", "message", "passing", "molecule"],
    ["speech", "audio", "recognition", "acoustic", "speaker"],
    ["federated", "privacy", "client", "differential", "secure"],
]
AREAS = [
    "generative models",
    "natural language processing",
    "reinforcement learning",
    "graph learning",
    "speech and audio",
    HOSTILE_AREA,
]


def synthetic_landscape(n: int = 300, n_topics: int = 6, seed: int = 0, name: str = "synthetic"):
    from landscape.store import Landscape

    rng = np.random.default_rng(seed)
    topic = rng.integers(0, n_topics, n)
    topic[rng.random(n) < 0.1] = -1  # some unassigned papers
    topic[:2] = 0  # the hostile titles belong to topic 0 and represent it
    centers = rng.normal(0, 6, (n_topics, 2))
    xy = np.where(topic[:, None] >= 0, centers[topic.clip(0)], 0) + rng.normal(0, 1, (n, 2))
    xy[0] = xy.max(axis=0) + 2  # the hostile titles sit apart, so a test can hover them alone
    xy[1] = xy.min(axis=0) - 2
    months = rng.integers(0, 72, n)
    dates = pd.to_datetime([f"{2019 + m // 12}-{m % 12 + 1:02d}-01" for m in months])
    words = [WORDS[t % len(WORDS)] if t >= 0 else ["misc", "study", "things"] for t in topic]
    titles = [f"{w[0].title()} {w[1]} with {w[2]} {i}" for i, w in enumerate(words)]
    titles[0], titles[1] = HOSTILE_TITLE, HOSTILE_IMG
    urls = [f"https://arxiv.org/abs/2101.{i:05d}" for i in range(n)]
    urls[0] = HOSTILE_URL
    labels = [" ".join(WORDS[t % len(WORDS)][:2]) for t in range(n_topics)]
    labels[min(3, n_topics - 1)] = HOSTILE_LABEL
    ids = [f"syn:{i}" for i in range(n)]
    documents = pd.DataFrame(
        {
            "id": ids,
            "title": titles,
            "abstract": [f"We study {' '.join(w)}. <script>alert('abstract')</script>" for w in words],
            "date": dates.astype("datetime64[ns]"),
            "date_precision": np.where(np.arange(n) % 10 == 0, "year", "month"),
            "authors": ["A. Author; B. Author"] * n,
            "categories": ["cs.LG"] * n,
            "url": urls,
            "source": ["synthetic"] * n,
            "topic": topic.astype("int64"),
            "topic_hdbscan": topic.astype("int64"),
            "topic_label": [labels[t] if t >= 0 else "unassigned" for t in topic],
            "area": [AREAS[t % len(AREAS)] if t >= 0 else "unassigned" for t in topic],
            "group": np.where(topic >= 0, topic // 2, -1).astype("int64"),
            "group_label": [f"group {t // 2}" if t >= 0 else "unassigned" for t in topic],
            "x": xy[:, 0].astype("float32"),
            "y": xy[:, 1].astype("float32"),
        }
    )
    documents.loc[5, "date"] = pd.NaT  # one undated paper
    documents.loc[5, "date_precision"] = None
    rows = []
    for t in range(n_topics):
        members = documents.index[documents["topic"] == t]
        rows.append(
            {
                "topic": t,
                "label": labels[t],
                "size": int(len(members)),
                "keywords": WORDS[t % len(WORDS)] + ([HOSTILE_LABEL] if t == 0 else []),
                "area": AREAS[t % len(AREAS)],
                "area_score": 0.5,
                "group": t // 2,
                "group_label": f"group {t // 2}",
                "representative_ids": [ids[i] for i in ([0, 1] if t == topic[0] else [])]
                + [ids[i] for i in members[:3]],
            }
        )
    topics = pd.DataFrame(rows)
    centroids = rng.normal(0, 1, (n_topics, 8)).astype("float32")
    centroids[1] = centroids[0] + 0.05  # topic 1 is topic 0's nearest neighbour
    meta = {
        "name": name,
        "created": "2025-01-02T03:04:05+00:00",
        "counts": {"read": n, "kept": n, "rejected": 0, "topics": n_topics},
        "date_range": [str(documents["date"].min().date()), str(documents["date"].max().date())],
        "random_state": seed,
        "versions": {"python": "3.11", "landscape": "0.1.0"},
        "timings": {},
    }
    return Landscape(documents, topics, meta, None, centroids)


# ---- artefacts shared by several test modules (made once per pytest session) --------------------
HERE = __import__("pathlib").Path(__file__).resolve().parent
REPO = HERE.parents[2]
SAMPLE = REPO / "landscape" / "data" / "hf_papers_sample.csv"


def once(tmp_path_factory, name: str, make):
    """``make(folder)`` run once per session; later calls (from any module) reuse the folder."""
    import shutil

    folder = tmp_path_factory.getbasetemp() / f"shared-{name}"
    done = folder / ".done"
    if not done.exists():
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        make(folder)
        done.write_text("ok\n")
    return folder


def synthetic_report(tmp_path_factory):
    """Reports of the synthetic hostile landscape: ``folder/landscape`` and ``folder/reports``."""

    def make(folder):
        from landscape.present.report import report

        synthetic_landscape().save(folder / "landscape")
        report(folder / "landscape", folder / "reports")

    return once(tmp_path_factory, "synthetic-report", make)


def hostile_corpus(path):
    """The bundled sample plus the hostile rows of ``hostile_rows.csv``, as one corpus file."""
    import pandas as pd

    sample = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    rows = pd.read_csv(HERE / "hostile_rows.csv", dtype=str, keep_default_na=False)
    pd.concat([sample, rows], ignore_index=True).to_csv(path, index=False)
    return path


def sample_report(tmp_path_factory):
    """`landscape report` on the bundled sample, as `make report` runs it; the seconds it took."""

    def make(folder):
        import time

        from landscape.cli import main

        start = time.perf_counter()
        code = main(["report", str(SAMPLE), "-o", str(folder / "reports")])
        assert code == 0
        (folder / "seconds").write_text(f"{time.perf_counter() - start:.1f}")

    return once(tmp_path_factory, "sample-report", make)


def hostile_report(tmp_path_factory):
    def make(folder):
        from landscape.present.report import report

        corpus = hostile_corpus(folder / "hostile.csv")
        report(corpus, folder / "reports")

    return once(tmp_path_factory, "hostile-report", make)
