"""What the map page needs beyond the points: each paper's text for the side panel, search and CSV,
and its nearest neighbours.

Abstracts are most of a corpus's bytes (108 MB for 92,705 papers), so the text travels once, as
gzip-compressed, base64-encoded blocks of lines (``TEXT_BLOCKS``: in each, a column after another,
a paper per line) that the page unpacks with the browser's own ``DecompressionStream``; neighbours
travel as little-endian int32 row numbers. Rows are in page order (the order of the map's paper traces).
Paper text stays text: the page puts it into the document with ``textContent`` only, and links are
kept only when they are ``http``/``https``.
"""

from __future__ import annotations

import base64
import gzip
from pathlib import Path

import numpy as np

from landscape.present.html import safe_url
from landscape.present.latex import latex_to_text
from landscape.present.neighbours import NEIGHBOURS, nearest_neighbours

# Two blocks: what the panel, list and CSV need first (titles first, searched at once), then the
# abstracts, most of the bytes, unpacked while the map is already usable.
TEXT_BLOCKS = (("title", "id", "authors", "url"), ("abstract",))


def _line(value) -> str:
    # one line per paper: newlines and other whitespace runs become single spaces
    return " ".join(str(value).split()) if value is not None and value == value else ""


def clean_titles(titles) -> list[str]:
    """Titles as shown on the map: LaTeX rendered as text, whitespace collapsed."""
    return [_line(latex_to_text(_line(t))) for t in titles]


def text_block(documents, titles: list[str], columns) -> str:
    """Text columns of the papers as one gzip+base64 block (see the module docstring)."""
    lines = []
    for column in columns:
        if column == "title":
            values = titles
        elif column not in documents.columns:
            values = [""] * len(documents)
        elif column == "url":
            values = [safe_url(v) or "" for v in documents[column].tolist()]
        else:
            values = [_line(v) for v in documents[column].tolist()]
        lines.extend(values)
    raw = "\n".join(lines).encode("utf-8")
    return base64.b64encode(gzip.compress(raw, compresslevel=6, mtime=0)).decode("ascii")


def paper_vectors(land):
    """The vectors neighbours are found with, and what they are: the landscape's embeddings (read
    from its folder when it was opened without them), else the map positions."""
    vectors = getattr(land, "embeddings", None)
    path = getattr(land, "path", None)
    if vectors is None and path is not None:
        from landscape.store import EMBEDDINGS_FILE

        file = Path(path) / EMBEDDINGS_FILE
        if file.exists():
            vectors = np.load(file, mmap_mode="r", allow_pickle=False)
    docs = land.documents
    if vectors is not None and len(vectors) == len(docs):
        return np.asarray(vectors, dtype=np.float32), "meaning"
    return docs[["x", "y"]].to_numpy(dtype=np.float32), "map"


def neighbour_block(land, order, k: int = NEIGHBOURS) -> tuple[str, str]:
    """Each page row's ``k`` nearest papers as page rows (base64 int32), and what "near" means."""
    vectors, basis = paper_vectors(land)
    if basis == "map":  # distances on the map, not angles
        from sklearn.neighbors import NearestNeighbors

        near = np.full((len(vectors), k), -1, dtype=np.int32)
        take = min(k, len(vectors) - 1)
        if take > 0:  # kneighbors() without X leaves each point out of its own list
            near[:, :take] = NearestNeighbors(n_neighbors=take).fit(vectors).kneighbors(return_distance=False)
    else:
        near = nearest_neighbours(vectors, k)
    page_row = np.empty(len(order), dtype=np.int32)
    page_row[order] = np.arange(len(order), dtype=np.int32)
    in_page = np.where(near[order] >= 0, page_row[near[order].clip(0)], -1).astype("<i4")
    return base64.b64encode(in_page.tobytes()).decode("ascii"), basis
