"""What the explorable map carries beyond its points: clean titles, safe links, each paper's text and
nearest neighbours, and topic colours that keep neighbouring topics apart."""

import base64
import gzip
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent / "data" / "report"))
from report_fixtures import HOSTILE_TITLE, HOSTILE_URL, synthetic_landscape  # noqa: E402

from landscape.present.figures import _lab, topic_colors  # noqa: E402
from landscape.present.latex import latex_to_text  # noqa: E402
from landscape.present.map_data import TEXT_BLOCKS  # noqa: E402
from landscape.present.maps import MAP_META_KEY, landscape_map  # noqa: E402
from landscape.present.neighbours import nearest_neighbours  # noqa: E402
from landscape.present.notebook import safe_url  # noqa: E402


@pytest.mark.parametrize(
    ("title", "shown"),
    [
        ("G$^2$VLM: geometry", "G²VLM: geometry"),
        ("M$^{3}$T2IBench", "M³T2IBench"),
        ("Mn$_3$GaN and $L_2$ norms", "Mn₃GaN and L₂ norms"),
        ("Mobi-$\\pi$: robots", "Mobi-π: robots"),
        ("$\\textbf{A}^2\\textbf{CiD}^2$: gossip", "A²CiD²: gossip"),
        ("$\\texttt{SPIN}$: distilling", "SPIN: distilling"),
        ("$\\mathcal{O}(n^2)$ attention", "𝒪(n²) attention"),
        ("A \\textbf{bold} claim", "A bold claim"),
        ("A $50,000 prize", "A $50,000 prize"),  # a lone dollar is money, not math
        ("50% of $\\alpha$-nets", "50% of α-nets"),  # % is not a comment
        ("$x^{abc}$ scaling", "x^abc scaling"),
        ("Plain title", "Plain title"),
        (HOSTILE_TITLE, HOSTILE_TITLE),
    ],
)
def test_latex_in_titles_becomes_text(title, shown):
    assert latex_to_text(title) == shown


def test_only_http_links_survive():
    assert safe_url("https://arxiv.org/abs/2101.00001") == "https://arxiv.org/abs/2101.00001"
    assert safe_url(" http://example.org/x ") == "http://example.org/x"
    for bad in (
        HOSTILE_URL,
        "JAVASCRIPT:alert(1)",
        "data:text/html,<b>x</b>",
        "/relative",
        "",
        None,
        "http://",
    ):
        assert not safe_url(bad)


def _exact(x, k):
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    sims = x @ x.T
    np.fill_diagonal(sims, -np.inf)
    return np.argsort(-sims, axis=1, kind="stable")[:, :k]


def test_neighbours_are_the_most_similar_papers():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((600, 24)).astype(np.float32)
    near = nearest_neighbours(x, 10)
    assert near.shape == (600, 10) and near.dtype == np.int32
    np.testing.assert_array_equal(near, _exact(x, 10))
    assert not (near == np.arange(600)[:, None]).any(), "a paper is not its own neighbour"
    # split into cells, every cell probed: still exact
    np.testing.assert_array_equal(nearest_neighbours(x, 10, cell_size=100, probe=6), _exact(x, 10))
    # few papers: the missing places are -1
    assert nearest_neighbours(x[:4], 10)[0].tolist()[3:] == [-1] * 7


def test_neighbours_in_probed_cells_find_nearly_all_on_clustered_data():
    rng = np.random.default_rng(1)
    centres = rng.standard_normal((40, 32))
    x = (centres[rng.integers(0, 40, 4000)] + 0.8 * rng.standard_normal((4000, 32))).astype(np.float32)
    near = nearest_neighbours(x, 10, cell_size=200, probe=4)  # 20 cells, a fifth of them probed
    exact = _exact(x, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(near, exact, strict=True)])
    assert recall > 0.9, recall


def _details(fig):
    meta = fig.layout.meta[MAP_META_KEY]
    n = meta["n_papers"]
    columns = {}
    for block in meta["papers"]["blocks"]:
        lines = gzip.decompress(base64.b64decode(block["text"])).decode("utf-8").split("\n")
        assert len(lines) == n * len(block["columns"])
        columns.update({name: lines[i * n : (i + 1) * n] for i, name in enumerate(block["columns"])})
    near = np.frombuffer(base64.b64decode(meta["papers"]["neighbours"]), dtype="<i4").reshape(n, -1)
    return meta, columns, near


def test_page_rows_carry_text_and_neighbours_by_meaning():
    land = synthetic_landscape(n=400, n_topics=5, seed=2)
    rng = np.random.default_rng(2)
    land.embeddings = rng.standard_normal((400, 16)).astype(np.float32)
    land.documents.loc[7, "title"] = "G$^2$VLM: a\nmulti-line title"
    fig = landscape_map(land)
    meta, columns, near = _details(fig)
    assert meta["papers"]["near_by"] == "meaning"
    assert [b["columns"] for b in meta["papers"]["blocks"]] == [list(c) for c in TEXT_BLOCKS]
    docs = land.documents
    page = {pid: row for row, pid in enumerate(columns["id"])}
    assert sorted(page) == sorted(docs["id"]), "every paper once"
    # rows run trace by trace: row r of trace t is point r - starts[t] of that trace
    for t, start in zip(meta["paper_traces"], meta["starts"], strict=True):
        trace = fig.data[t]
        for k in (0, len(trace.x) - 1):
            doc = docs.set_index("id").loc[columns["id"][start + k]]
            assert trace.x[k] == pytest.approx(doc["x"]) and trace.y[k] == pytest.approx(doc["y"])
    assert columns["title"][page["syn:7"]] == "G²VLM: a multi-line title"
    assert columns["url"][page["syn:0"]] == "", "a javascript: link is dropped"
    assert columns["url"][page["syn:3"]] == docs.loc[3, "url"]
    assert columns["abstract"][page["syn:3"]] == docs.loc[3, "abstract"]
    exact = _exact(land.embeddings, 10)
    for i in (0, 3, 100, 399):
        expected = [docs.loc[j, "id"] for j in exact[i]]
        assert [columns["id"][r] for r in near[page[docs.loc[i, "id"]]]] == expected


def test_without_embeddings_neighbours_are_nearest_on_the_map():
    land = synthetic_landscape(n=200, n_topics=4, seed=3)
    meta, columns, near = _details(landscape_map(land, neighbours=5))
    assert meta["papers"]["near_by"] == "map" and near.shape == (200, 5)
    xy = land.documents.set_index("id").loc[columns["id"], ["x", "y"]].to_numpy()
    dist = np.linalg.norm(xy[:, None] - xy[None], axis=2)
    np.fill_diagonal(dist, np.inf)
    np.testing.assert_allclose(
        np.sort(dist, axis=1)[:, :5], np.take_along_axis(dist, near, axis=1), rtol=1e-5
    )
    assert "papers" not in landscape_map(land, details=False).layout.meta[MAP_META_KEY]


def test_neighbouring_topics_get_clearly_different_colours():
    land = synthetic_landscape(n=4000, n_topics=40, seed=6)
    colors = topic_colors(land)
    assert colors[-1] == "#9E9E9E" and len(colors) == 41
    assert len(set(colors.values())) == 41, "40 topics fit the palette without repeats"
    centres = land.documents[land.documents["topic"] >= 0].groupby("topic")[["x", "y"]].median()
    lab = dict(zip(centres.index, _lab([colors[t] for t in centres.index]), strict=True))
    xy = centres.to_numpy()
    for i, t in enumerate(centres.index):
        nearest = centres.index[np.argsort(np.linalg.norm(xy - xy[i], axis=1))[1:4]]
        for u in nearest:
            assert np.linalg.norm(lab[t] - lab[u]) > 20, (t, u, colors[t], colors[u])
    # 150 topics: colours repeat, but never between map neighbours
    many = synthetic_landscape(n=6000, n_topics=150, seed=7)
    colors = topic_colors(many)
    centres = many.documents[many.documents["topic"] >= 0].groupby("topic")[["x", "y"]].median()
    xy = centres.to_numpy()
    for i, t in enumerate(centres.index):
        for j in np.argsort(np.linalg.norm(xy - xy[i], axis=1))[1:4]:
            assert colors[t] != colors[centres.index[j]]
    # without positions (a trend chart's ids): the same fixed walk through the palette
    assert topic_colors([3, 1, 2]) == topic_colors([1, 2, 3])
