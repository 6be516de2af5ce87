"""`landscape update`: new papers join a saved landscape with stable topic ids, new subjects become new
topics, duplicates are skipped and everything is recorded."""

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from landscape.cli import main
from landscape.errors import LandscapeError
from landscape.model.geometry import nearest_centroid
from landscape.model.placement import knn_place
from landscape.pipeline.build import build
from landscape.pipeline.update import ALREADY_PRESENT, propose_topics, update
from landscape.store import Landscape

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "landscape" / "data" / "hf_papers_sample.csv"
QEC = ROOT / "tests" / "data" / "update" / "quantum_error_correction.csv"

# Rows of the sample re-added: 0-4 as copies under a new id and title (same abstract), 5-6 with
# their own id (duplicates), 7 under another id but the same title (duplicate by title).
COPIES, SAME_ID, SAME_TITLE = range(0, 5), range(5, 7), 7


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("embedding-cache")


@pytest.fixture(scope="module")
def built(tmp_path_factory, cache_dir):
    out = tmp_path_factory.mktemp("built") / "land"
    build(SAMPLE, out, random_state=42, cache_dir=cache_dir)
    return Landscape.load(out)


@pytest.fixture(scope="module")
def readded(tmp_path_factory):
    sample = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    rows = sample.iloc[:8].copy()
    rows.loc[rows.index[list(COPIES)], "id"] = [f"copy-{i}" for i in COPIES]
    rows.loc[rows.index[list(COPIES)], "title"] = [f"{t} (extended version)" for t in rows["title"].iloc[:5]]
    rows.loc[rows.index[SAME_TITLE], "id"] = "another-id"
    path = tmp_path_factory.mktemp("inputs") / "readded.csv"
    rows.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def updated(built, readded, cache_dir, tmp_path_factory):
    directory = tmp_path_factory.mktemp("updated") / "land"
    shutil.copytree(built.path, directory)
    land, record = update(directory, [QEC, readded], cache_dir=cache_dir)
    return land, record


def test_existing_papers_keep_topic_position_and_area(built, updated):
    land, _ = updated
    old, docs = built.documents, land.documents
    assert len(docs) == len(old) + 20
    head = docs.iloc[: len(old)]
    for column in ("id", "topic", "topic_label", "area", "group", "group_label", "x", "y"):
        assert head[column].tolist() == old[column].tolist(), column
    assert (head["update"] == 0).all() and (docs["update"].iloc[len(old) :] == 1).all()
    # untouched topics keep their centroid exactly; topic ids and labels of old topics never change
    assert land.topics["topic"].iloc[: len(built.topics)].tolist() == built.topics["topic"].tolist()
    assert land.topics["label"].iloc[: len(built.topics)].tolist() == built.topics["label"].tolist()
    grown = {g["topic"] for g in updated[1]["grown"]}
    for row, t in enumerate(built.topics["topic"]):
        if t not in grown:
            assert np.array_equal(land.centroids[row], built.centroids[row])


def test_readded_paper_gets_its_old_topic_and_place(built, updated):
    land, _ = updated
    docs = land.documents.set_index("id")
    threshold = built.meta["parameters"]["topic_model"]["assign_threshold"]
    rule, _ = nearest_centroid(built.embeddings, built.centroids, threshold)
    span = np.ptp(built.documents[["x", "y"]].to_numpy(), axis=0).max()
    for i in COPIES:
        original = built.documents.iloc[i]
        copy = docs.loc[f"copy-{i}"]
        # the saved rule decides; where it agrees with the build (most papers), the topic is the old one
        assert copy["topic"] == rule[i]
        if rule[i] == original["topic"]:
            assert copy["topic"] == original["topic"]
        # a copy lands on its original on the map
        assert np.hypot(copy["x"] - original["x"], copy["y"] - original["y"]) < 0.02 * span
    agree = sum(docs.loc[f"copy-{i}", "topic"] == built.documents["topic"].iat[i] for i in COPIES)
    assert agree >= 4


def test_planted_subject_becomes_a_new_topic(built, updated):
    land, record = updated
    docs = land.documents
    qec = docs[docs["id"].str.startswith("qec-")]
    first_new = int(built.topics["topic"].max()) + 1
    new_ids = [t["topic"] for t in record["new_topics"]]
    assert new_ids and new_ids[0] == first_new and new_ids == list(range(first_new, first_new + len(new_ids)))
    in_new = qec["topic"].isin(new_ids)
    assert in_new.sum() >= 10, qec["topic"].tolist()
    # the new topics hold only the planted papers, and the planted papers go to no existing topic
    members = docs[docs["topic"].isin(new_ids)]
    assert members["id"].str.startswith("qec-").all()
    assert not qec["topic"].between(0, first_new - 1).any()
    topic = land.topic(new_ids[0])
    words = " ".join([topic["label"], *topic["keywords"]]).lower()
    assert any(w in words for w in ("quantum", "qubit", "logical", "surface code", "syndrome")), words
    assert topic["label"] not in set(built.topics["label"])
    assert set(topic["representative_ids"]) <= set(members["id"])
    assert record["new_topics"][0]["label"] == topic["label"]


def test_duplicates_are_skipped_and_reported(built, updated, readded):
    land, record = updated
    assert record["skipped"] == 3 and record["added"] == 20 and record["read"] == 23
    rejects = land.rejects[land.rejects["reason"] == ALREADY_PRESENT]
    assert len(rejects) == 3
    by_id = rejects.set_index("id")
    sample_ids = pd.read_csv(SAMPLE, dtype=str)["id"]
    for i in SAME_ID:
        row = by_id.loc[sample_ids.iat[i]]
        assert row["field"] == "id" and row["file"] == str(readded) and int(row["line"]) == i + 2
    row = by_id.loc["another-id"]
    assert row["field"] == "title" and row["value"] == sample_ids.iat[SAME_TITLE] and int(row["line"]) == 9
    assert land.documents["id"].is_unique


def test_saved_files_and_record_agree(updated):
    land, record = updated
    back = Landscape.load(land.path)
    docs, topics = back.documents, back.topics
    assert len(back.embeddings) == len(docs) and len(back.centroids) == len(topics)
    sizes = docs.loc[docs["topic"] >= 0, "topic"].value_counts()
    assert topics.set_index("topic")["size"].to_dict() == {t: int(sizes.get(t, 0)) for t in topics["topic"]}
    # a recomputed centroid is the normalised mean of its members
    row = len(topics) - 1
    members = back.embeddings[docs["topic"].to_numpy() == topics["topic"].iat[row]]
    mean = members.mean(axis=0)
    assert np.allclose(back.centroids[row], mean / np.linalg.norm(mean), atol=1e-5)
    meta = json.loads((land.path / "landscape.json").read_text())
    assert meta["updates"][-1]["added"] == 20
    assert meta["counts"]["papers"] == len(docs) and meta["counts"]["topics"] == len(topics)
    assert sum(record["assigned"].values()) + record["unassigned"] == record["added"]
    for g in record["grown"]:
        assert g["after"] == g["before"] + g["added"]
    assert set(record["timings"]) >= {"embed", "assign", "new_topics", "place", "save", "total"}


def test_second_update_with_the_same_papers_adds_nothing(updated, readded, cache_dir):
    land, _ = updated
    again, record = update(land.path, [QEC, readded], cache_dir=cache_dir)
    assert record["added"] == 0 and record["skipped"] == 23 and record["new_topics"] == []
    assert len(again.documents) == len(land.documents)
    assert len(again.meta["updates"]) == 2


def test_cli_update(built, tmp_path, cache_dir, capsys, monkeypatch):
    directory = tmp_path / "land"
    shutil.copytree(built.path, directory)
    monkeypatch.setenv("LANDSCAPE_CACHE_DIR", str(cache_dir))
    assert main(["update", str(directory), str(QEC)]) == 0
    out = capsys.readouterr().out
    assert "15 new papers" in out and "new topic" in out
    assert main(["update", str(tmp_path / "missing"), str(QEC)]) == 2
    assert "not a landscape directory" in capsys.readouterr().err


def test_propose_topics_finds_planted_groups_and_ignores_scatter():
    rng = np.random.default_rng(0)

    def group(center, n):
        v = center + 0.12 * rng.normal(size=(n, 32))
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    a, b = rng.normal(size=32), rng.normal(size=32)
    scatter = rng.normal(size=(6, 32))
    X = np.vstack([group(a / np.linalg.norm(a), 12), group(b / np.linalg.norm(b), 8), scatter])
    X = (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(np.float32)
    labels = propose_topics(X, min_size=5, threshold=0.5)
    assert set(labels[:12]) == {0} and set(labels[12:20]) == {1} and set(labels[20:]) == {-1}
    assert (propose_topics(X[:4], min_size=5, threshold=0.5) == -1).all()


def test_knn_place_lands_copies_on_their_original():
    rng = np.random.default_rng(1)
    ref = rng.normal(size=(50, 16)).astype(np.float32)
    xy = rng.uniform(size=(50, 2))
    placed = knn_place(ref[:5], ref, xy, k=10)
    assert np.allclose(placed, xy[:5], atol=1e-3)


def test_bad_options_are_clear_errors(built, tmp_path):
    with pytest.raises(LandscapeError, match="min_topic_size"):
        update(built.path, [QEC], min_topic_size=1)
    with pytest.raises(LandscapeError, match="engine must be one of"):
        update(built.path, [QEC], engine="spark")
    with pytest.raises(LandscapeError, match="not a landscape directory"):
        update(tmp_path / "nothing", [QEC])


def _copy(built, tmp_path):
    directory = tmp_path / "land"
    shutil.copytree(built.path, directory)
    return directory


def _unchanged(directory, built):
    return json.loads((directory / "landscape.json").read_text())["counts"] == built.meta["counts"]


def test_precomputed_vectors_of_another_width_are_refused_before_any_work(built, tmp_path, monkeypatch):
    import landscape.corpus.ingest as ingest_mod

    def no_ingest(*args, **kwargs):
        raise AssertionError("nothing may be read before the embeddings are checked")

    monkeypatch.setattr(ingest_mod, "ingest_inputs", no_ingest)
    directory = _copy(built, tmp_path)
    vectors = np.ones((15, 768), dtype=np.float32)
    with pytest.raises(
        LandscapeError, match=r"precomputed embeddings have 768 dimensions, the landscape has 384"
    ):
        update(directory, [QEC], embeddings=vectors)
    assert _unchanged(directory, built)


def test_another_embedding_model_is_refused(built, tmp_path):
    class OtherModel:
        model_id = "someone/other-model"
        dim = 384
        precisions = ("fp32",)
        max_seq_length = 256

        def encode_batch(self, texts, precision):
            raise AssertionError("must not embed with another model")

    directory = _copy(built, tmp_path)
    with pytest.raises(
        LandscapeError, match=r"embeddings come from .*all-MiniLM-L6-v2.* not someone/other-model"
    ):
        update(directory, [QEC], embedding_model=OtherModel())
    assert _unchanged(directory, built)


def test_landscape_of_an_unnamed_model_needs_vectors_of_its_width(built, tmp_path, cache_dir):
    directory = _copy(built, tmp_path)
    meta = json.loads((directory / "landscape.json").read_text())
    meta["embedding_model"] = "precomputed"  # built from vectors no model vouched for
    meta["taxonomy_areas"] = meta["taxonomy"] = None
    (directory / "landscape.json").write_text(json.dumps(meta))
    with pytest.raises(LandscapeError, match="precomputed embeddings of an unnamed model"):
        update(directory, [QEC], cache_dir=cache_dir)
    # vectors of the landscape's width are taken
    from landscape.corpus.ingest import ingest

    n = len(ingest([QEC]).corpus)
    vectors = np.random.default_rng(0).normal(size=(n, 384)).astype(np.float32)
    _, record = update(directory, [QEC], embeddings=vectors, quiet=True)
    assert record["added"] == n


def test_update_uses_the_taxonomy_saved_inside_the_landscape(tmp_path, cache_dir):
    from landscape.model.taxonomy import BUNDLED

    yaml_path = tmp_path / "mine.yaml"
    yaml_path.write_text(BUNDLED.read_text().replace("name: ", "name: My copy of ", 1))
    out = tmp_path / "land"
    build(SAMPLE, out, taxonomy=yaml_path, cache_dir=cache_dir, quiet=True)
    yaml_path.unlink()  # the update must not need the file again
    land, record = update(out, [QEC], cache_dir=cache_dir, quiet=True)
    assert land.meta["taxonomy"].startswith("My copy of")
    assert record["added"] == 15


def test_update_prints_stage_lines_and_an_embedding_bar(built, tmp_path, capsys):
    directory = _copy(built, tmp_path)
    update(directory, [QEC], cache_dir=False)
    err = capsys.readouterr().err
    for stage in ("load", "ingest", "embed", "assign", "new_topics", "place", "areas", "save"):
        assert f"\n{stage}: " in f"\n{err}", stage
    assert "embedding (" in err  # the bar shows for 15 texts too
    update(_copy(built, tmp_path / "quiet"), [QEC], cache_dir=False, quiet=True)
    assert capsys.readouterr().err == ""


def test_near_duplicates_of_old_topics_go_to_them(built, tmp_path, cache_dir):
    """A batch of lightly reworded copies of 20 papers: every one joins an existing topic (the
    build's outlier reduction leaves none out), mostly its original's, and no new topic appears."""
    sample = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    rows = sample.iloc[20:40].copy()
    rows["id"] = [f"near-{i}" for i in range(len(rows))]
    rows["title"] = "Revisiting " + rows["title"]
    rows["abstract"] = "In this follow-up study, we revisit the question. " + rows["abstract"]
    path = tmp_path / "near.csv"
    rows.to_csv(path, index=False)
    directory = tmp_path / "land"
    shutil.copytree(built.path, directory)
    land, record = update(directory, path, cache_dir=cache_dir, quiet=True)
    assert record["new_topics"] == [] and record["added"] == 20
    assert record["unassigned"] <= 1  # the build's target is 5%: at most 1 of 20
    docs = land.documents.set_index("id")
    original = built.documents["topic"].iloc[20:40].to_numpy()
    got = np.array([docs.loc[f"near-{i}", "topic"] for i in range(20)])
    assigned = original != -1
    assert (got[assigned] == original[assigned]).mean() >= 0.8


def test_update_records_drift_and_recomputes_quality(updated):
    land, record = updated
    since = record["since_build"]
    assert since["added"] == 20 and since["papers_at_build"] == len(land.documents) - 20
    # 20 papers on 100 is under the rebuild share; the unassigned share stays near the build's
    assert record["rebuild_due"] is False and record["rebuild_reasons"] == []
    assert abs(since["unassigned_now"] - since["unassigned_at_build"]) <= 0.03
    assert land.meta["quality"]["papers"] == len(land.documents)
    assert land.meta["quality"]["topics"] == int((land.topics["size"] > 0).sum())


def test_many_new_papers_make_a_rebuild_due(built):
    from landscape.pipeline.update import REBUILD_ADDED_SHARE, drift

    docs = built.documents.copy()
    docs["update"] = 0
    n_new = int(np.ceil(REBUILD_ADDED_SHARE * len(docs)))
    extra = docs.iloc[:n_new].assign(update=1, topic=-1)
    verdict = drift(pd.concat([docs, extra], ignore_index=True))
    assert verdict["rebuild_due"] and len(verdict["rebuild_reasons"]) == 2  # share, and unassigned drift
    assert not drift(docs)["rebuild_due"]


def test_build_like_keeps_ids_and_curated_names(built, tmp_path, cache_dir):
    previous = tmp_path / "previous"
    shutil.copytree(built.path, previous)
    curated = Landscape.load(previous)
    big = int(curated.topics.sort_values("size").iloc[-1]["topic"])
    curated.topics.loc[curated.topics["topic"] == big, "label"] = "My curated name"
    curated.save(previous)
    land = build(SAMPLE, tmp_path / "rebuilt", random_state=7, cache_dir=cache_dir, like=previous, quiet=True)
    kept = land.meta["like"]["topics_kept"]
    assert kept >= len(built.topics) // 2, land.meta["like"]
    old_ids = set(built.topics["topic"])
    new_ids = [t for t in land.topics["topic"] if t not in old_ids]
    assert all(t > max(old_ids) for t in new_ids) and len(new_ids) == land.meta["like"]["topics_new"]
    # a kept topic shares most of its papers with the topic it was (of the smaller of the two)
    old = built.documents.set_index("id")["topic"]
    for row in land.topics.itertuples():
        if row.topic in old_ids:
            members = land.documents.loc[land.documents["topic"] == row.topic, "id"]
            shared = int((old.loc[members] == row.topic).sum())
            assert shared > 0.5 * min(len(members), int((old == row.topic).sum()))
    if big in set(land.topics["topic"]):
        assert land.topic(big)["label"] == "My curated name"
    saved = Landscape.load(tmp_path / "rebuilt")
    assert saved.documents["topic_label"].tolist() == land.documents["topic_label"].tolist()


def _check_groups(land):
    """Every paper is in a real group: its topic's, or its own when no topic takes it; the label is
    the group's."""
    docs, topics = land.documents, land.topics
    group_of = dict(zip(topics["topic"], topics["group"], strict=True))
    label_of = dict(zip(topics["group"], topics["group_label"], strict=False))
    assert docs["group"].isin(set(topics["group"])).all(), docs.loc[~docs["group"].isin(topics["group"])]
    assigned = docs["topic"] >= 0
    assert (docs.loc[assigned, "group"] == docs.loc[assigned, "topic"].map(group_of)).all()
    assert (docs["group_label"] == docs["group"].map(label_of)).all()


def test_papers_no_topic_takes_still_belong_to_a_group(built, updated):
    land, _ = updated
    assert (built.documents["topic"] == -1).any()  # the build leaves some papers unassigned
    _check_groups(built)
    _check_groups(land)
    # a new paper no topic takes is in the group of its nearest topic (old or new)
    new = land.documents[(land.documents["update"] == 1) & (land.documents["topic"] == -1)]
    for _, paper in new.iterrows():
        assert paper["group"] in set(land.topics["group"])
