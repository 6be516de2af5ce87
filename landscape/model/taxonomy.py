"""Research-area taxonomy: loading it from YAML and matching topics and papers to its areas.

A taxonomy file (the bundled one is ``landscape/model/taxonomies/ai_ml.yaml``) looks like::

    name: AI/ML research areas
    areas:
      - id: machine-unlearning
        name: Machine Unlearning
        description: Removing the influence of specific training data from a trained model ...
        keywords: [unlearning, machine unlearning]      # optional

Matching is by embedding similarity. Each area is embedded as ``"{name}: {description}"``. A paper
is compared by its own embedding; a topic by the mean of two cosine similarities: its centroid's and
that of the text ``"{label}: {keyword, keyword, ...}"``. The best area wins when the similarity
reaches the threshold; otherwise the topic or paper stays ``"unassigned"`` rather than being forced
into an area.

Thresholds, calibrated with all-MiniLM-L6-v2 on the dev corpus (10,240 random papers) and on
off-topic texts:

- papers (``PAPER_THRESHOLD = 0.35``): 15 unrelated texts (recipes, medieval poetry, football,
  history, wine, knitting, ...) score at most 0.20 against every area; among AI/ML papers the best
  area scores 0.35 or more for 94.5% (1% quantile 0.26, median 0.48). Papers whose title contains
  an area keyword score a median 0.44 with that area (argmax agrees with the title keyword for 51%
  of them, top-3 for 75%: titles name one aspect of papers that often span several areas).
- topics (``TOPIC_THRESHOLD = 0.45``): on a 50,000-paper dev map the 51 topics matched with scores
  0.48–0.78, every one to a fitting area; before six areas were added to fill gaps (noisy labels,
  hashing, spiking networks, saliency, symbolic AI, network training), the five misfits (e.g.
  spiking networks → model compression, hashing → model compression) scored 0.41–0.46, three of
  them under 0.45. On the bundled 100-paper sample topic scores are 0.46–0.63.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from landscape.errors import LandscapeError
from landscape.model.geometry import unit_rows
from landscape.schema import UNASSIGNED

BUNDLED = Path(__file__).parent / "taxonomies" / "ai_ml.yaml"

# Cosine similarity needed to carry an area (all-MiniLM-L6-v2; calibration in the module docstring).
TOPIC_THRESHOLD = 0.45
PAPER_THRESHOLD = 0.35

_FIELDS = ("id", "name", "description", "keywords")


class TaxonomyError(LandscapeError):
    """A taxonomy file that cannot be used; names the file, the line and the area."""

    def __init__(self, message: str, *, file=None, line: int | None = None, area: str | None = None):
        where = [str(file)] if file is not None else []
        if line is not None:
            where.append(f"line {line}")
        if area is not None:
            where.append(area)
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


@dataclass(frozen=True)
class Area:
    id: str
    name: str
    description: str
    keywords: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """What is embedded for matching."""
        return f"{self.name}: {self.description}"


@dataclass(frozen=True)
class Taxonomy:
    name: str
    areas: tuple[Area, ...]
    source: str = "<memory>"

    def __len__(self) -> int:
        return len(self.areas)

    @property
    def names(self) -> list[str]:
        return [a.name for a in self.areas]


def load_taxonomy(path=None) -> Taxonomy:
    """Read and validate a taxonomy YAML file (default: the bundled AI/ML taxonomy)."""
    import yaml

    path = Path(path) if path is not None else BUNDLED
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TaxonomyError("taxonomy file not found", file=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TaxonomyError(f"cannot read taxonomy file: {exc}", file=path) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise TaxonomyError(
            f"not valid YAML: {problem}", file=path, line=mark.line + 1 if mark else None
        ) from None
    return _from_data(data, path, root)


def taxonomy_record(taxonomy: Taxonomy) -> dict:
    """The taxonomy as plain data (name and areas), saved inside a landscape."""
    return {
        "name": taxonomy.name,
        "areas": [
            {"id": a.id, "name": a.name, "description": a.description, "keywords": list(a.keywords)}
            for a in taxonomy.areas
        ],
    }


def taxonomy_from_record(record, source: str = "landscape.json") -> Taxonomy:
    """A taxonomy saved with :func:`taxonomy_record`, validated as a YAML file would be."""
    return _from_data(record, Path(source), None)


def _from_data(data, path: Path, root) -> Taxonomy:
    """Validate parsed taxonomy data (``root``: the YAML node tree for line numbers, or None)."""
    if not isinstance(data, dict) or "areas" not in data:
        raise TaxonomyError("expected a mapping with an 'areas' list", file=path, line=1)
    entries = data["areas"]
    if not isinstance(entries, list) or not entries:
        raise TaxonomyError("'areas' must be a non-empty list", file=path, line=_line_of_key(root, "areas"))
    lines = _entry_lines(root)
    areas, first_line = [], {}
    for i, entry in enumerate(entries):
        line = lines[i] if i < len(lines) else None
        where = f"area #{i + 1}"
        if not isinstance(entry, dict):
            raise TaxonomyError(
                "each area must be a mapping with id, name, description", file=path, line=line, area=where
            )
        if isinstance(entry.get("id"), str) and entry["id"].strip():
            where = f"area #{i + 1} ('{entry['id']}')"
        unknown = sorted(set(map(str, entry)) - set(_FIELDS))
        if unknown:
            raise TaxonomyError(
                f"unknown field(s) {', '.join(unknown)} (allowed: {', '.join(_FIELDS)})",
                file=path,
                line=line,
                area=where,
            )
        for field in ("id", "name", "description"):
            value = entry.get(field)
            if not isinstance(value, str) or not value.strip():
                raise TaxonomyError(f"missing or empty field '{field}'", file=path, line=line, area=where)
        area_id = entry["id"].strip()
        if area_id in first_line:
            raise TaxonomyError(
                f"duplicate id '{area_id}' (already used at line {first_line[area_id]})",
                file=path,
                line=line,
                area=where,
            )
        if area_id == UNASSIGNED:
            raise TaxonomyError(
                f"'{UNASSIGNED}' is reserved and cannot be an area id", file=path, line=line, area=where
            )
        first_line[area_id] = line
        keywords = entry.get("keywords") or []
        if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
            raise TaxonomyError("'keywords' must be a list of strings", file=path, line=line, area=where)
        areas.append(
            Area(
                area_id,
                " ".join(entry["name"].split()),
                " ".join(entry["description"].split()),
                tuple(keywords),
            )
        )
    names = [a.name.lower() for a in areas]
    for i, name in enumerate(names):
        if names.index(name) != i:
            raise TaxonomyError(
                f"duplicate area name '{areas[i].name}'",
                file=path,
                line=lines[i] if i < len(lines) else None,
                area=f"area #{i + 1}",
            )
    return Taxonomy(str(data.get("name") or path.stem), tuple(areas), str(path))


def _line_of_key(root, key):
    for k, v in getattr(root, "value", []):
        if getattr(k, "value", None) == key:
            return v.start_mark.line + 1
    return None


def _entry_lines(root) -> list[int]:
    for k, v in getattr(root, "value", []):
        if getattr(k, "value", None) == "areas" and isinstance(v.value, list):
            return [item.start_mark.line + 1 for item in v.value]
    return []


def area_embeddings(taxonomy: Taxonomy, embed):
    """Normalised embeddings of the areas' ``"name: description"`` texts, shape (n_areas, d)."""
    return unit_rows(embed([a.text for a in taxonomy.areas]))


def match(similarities, taxonomy: Taxonomy, threshold: float) -> list[tuple[str, float]]:
    """Best area per row of a (n, n_areas) similarity matrix; ``"unassigned"`` below ``threshold``.

    The score is the best similarity either way, so users can see how close a miss was.
    """
    import numpy as np

    sims = np.asarray(similarities, dtype=np.float64)
    if sims.size == 0:
        return [(UNASSIGNED, 0.0)] * len(sims)
    best = sims.argmax(axis=1)
    score = sims[np.arange(len(sims)), best]
    return [
        (taxonomy.areas[b].name if s >= threshold else UNASSIGNED, round(float(s), 4))
        for b, s in zip(best, score, strict=True)
    ]


def topic_texts(topics) -> list[str]:
    """``"label: keyword, keyword, ..."`` per topic row, embedded to compare topics with areas."""
    return [
        f"{label}: {', '.join(kw)}" for label, kw in zip(topics["label"], topics["keywords"], strict=True)
    ]


def assign_areas(
    taxonomy: Taxonomy,
    embed,
    *,
    topic_centroids=None,
    topics=None,
    paper_embeddings=None,
    topic_threshold: float = TOPIC_THRESHOLD,
    paper_threshold: float = PAPER_THRESHOLD,
):
    """Match topics and papers to research areas.

    ``embed`` turns a list of texts into normalised embeddings (any ``Embedder.encode``; the same
    model as the papers'). Topics are matched by their centroids and, when ``topics`` (a frame with
    ``label`` and ``keywords``) is given, by the mean of the centroid similarity and the similarity of
    their label-and-keywords text. Returns ``(topic_areas, paper_areas)``: lists of
    ``(area name or "unassigned", score)``; a list is empty when its input is None.
    """
    import numpy as np

    if len(taxonomy) == 0:
        raise LandscapeError("the taxonomy has no areas")
    areas = area_embeddings(taxonomy, embed)
    topic_areas, paper_areas = [], []
    if topic_centroids is not None or topics is not None:
        parts = []
        if topic_centroids is not None and len(topic_centroids):
            parts.append(unit_rows(topic_centroids) @ areas.T)
        if topics is not None and len(topics):
            parts.append(unit_rows(embed(topic_texts(topics))) @ areas.T)
        sims = np.mean(parts, axis=0) if parts else np.zeros((0, len(areas)))
        topic_areas = match(sims, taxonomy, topic_threshold)
    if paper_embeddings is not None:
        paper_areas = match(unit_rows(paper_embeddings) @ areas.T, taxonomy, paper_threshold)
    return topic_areas, paper_areas
