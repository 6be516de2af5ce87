"""Curation that sticks: `landscape curate` renames, merges and pins topics and renames groups; the
edits live in the landscape's curation.yaml, follow their papers through rebuilds (another seed, so
other topic ids) and updates, show in the reports and are recorded; bad edits change nothing."""

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from landscape.cli import main
from landscape.pipeline.build import build
from landscape.pipeline.curation import apply_curation, curate
from landscape.pipeline.curation_file import Anchor, read_curation
from landscape.pipeline.update import update
from landscape.store import Landscape

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "landscape" / "data" / "hf_papers_sample.csv"
QEC = ROOT / "tests" / "data" / "update" / "quantum_error_correction.csv"


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("embedding-cache")


@pytest.fixture(scope="module")
def built(tmp_path_factory, cache_dir):
    out = tmp_path_factory.mktemp("built") / "land"
    build(SAMPLE, out, random_state=0, cache_dir=cache_dir, quiet=True)
    return Landscape.load(out)


def _largest(land, n):
    return [int(t) for t in land.topics.sort_values(["size", "topic"], ascending=[False, True])["topic"][:n]]


def _papers(land, topic):
    return set(land.documents.loc[land.documents["topic"] == topic, "id"])


@pytest.fixture(scope="module")
def edits(built):
    """Rename the largest topic, merge the next two, pin the fourth, rename the first group."""
    first, a, b, pinned = _largest(built, 4)
    return {
        "rename": first,
        "merge": (a, b),
        "pin": pinned,
        "group": int(built.topics["group"].iloc[0]),
        "papers": {t: _papers(built, t) for t in (first, a, b, pinned)},
        "pinned_label": str(built.topic(pinned)["label"]),
    }


@pytest.fixture(scope="module")
def curated(built, edits, tmp_path_factory):
    directory = tmp_path_factory.mktemp("curated") / "land"
    shutil.copytree(built.path, directory)
    land, record = curate(
        directory,
        rename={edits["rename"]: "Language Models, Curated"},
        merge=[list(edits["merge"])],
        pin=[edits["pin"]],
        rename_group={edits["group"]: "My Group"},
    )
    return land, record


def _holder(land, papers):
    """The topic holding most of ``papers`` and the share it holds."""
    topics = land.documents.loc[land.documents["id"].isin(papers), "topic"]
    counts = topics[topics >= 0].value_counts()
    return int(counts.index[0]), counts.iloc[0] / len(papers)


def _label(land, topic):
    return str(land.topic(topic)["label"])


def test_curate_renames_merges_pins_and_records(built, curated, edits):
    land, record = curated
    a, b = edits["merge"]
    assert _label(land, edits["rename"]) == "Language Models, Curated"
    assert b not in set(land.topics["topic"]) and len(land.topics) == len(built.topics) - 1
    assert _papers(land, a) == edits["papers"][a] | edits["papers"][b]
    assert int(land.topic(a)["size"]) == len(edits["papers"][a] | edits["papers"][b])
    assert _label(land, edits["pin"]) == edits["pinned_label"]
    assert "pinned" in land.topic(edits["pin"])["curated"]
    assert set(land.topics.loc[land.topics["group"] == edits["group"], "group_label"]) == {"My Group"}
    # papers carry the new names; landscape.json says what was applied
    docs = land.documents
    assert set(docs.loc[docs["topic"] == edits["rename"], "topic_label"]) == {"Language Models, Curated"}
    saved = json.loads((land.path / "landscape.json").read_text())
    assert saved["curation"]["unmatched"] == [] and len(saved["curation"]["applied"]) == 4
    assert saved["counts"]["topics"] == len(land.topics)
    text = (land.path / "curation.yaml").read_text()
    assert "Language Models, Curated" in text and "merge:" in text and "papers:" in text
    # papers no topic takes keep their group (renamed with it)
    lost = built.documents["topic"] == -1
    assert lost.any() and (docs.loc[lost, "group"] == built.documents.loc[lost, "group"]).all()
    assert (docs.loc[lost & (docs["group"] == edits["group"]), "group_label"] == "My Group").all()
    assert docs["group"].isin(set(land.topics["group"])).all()
    # applying the same curation again changes nothing
    again, _ = curate(land.path)
    assert again.topics[["topic", "label", "size"]].equals(land.topics[["topic", "label", "size"]])
    assert (again.documents["topic"].to_numpy() == land.documents["topic"].to_numpy()).all()


@pytest.fixture(scope="module")
def rebuilt(curated, cache_dir, tmp_path_factory):
    """A rebuild with another seed into the curated directory: its curation.yaml is applied again."""
    land, _ = curated
    directory = tmp_path_factory.mktemp("rebuilt") / "land"
    shutil.copytree(land.path, directory)
    return build(SAMPLE, directory, random_state=1, cache_dir=cache_dir, quiet=True)


def test_rebuild_with_another_seed_keeps_the_curation(curated, rebuilt, edits):
    land, _ = curated
    record = rebuilt.meta["curation"]
    assert record["mode"] == "build" and record["edits"] == 4
    # a rename follows its papers: the topic holding most of them has the name
    holder, share = _holder(rebuilt, edits["papers"][edits["rename"]])
    assert share > 0.5 and _label(rebuilt, holder) == "Language Models, Curated"
    assert "name" in rebuilt.topic(holder)["curated"]
    # a merge stays merged: most papers of both merged topics share one topic
    a, b = edits["merge"]
    merged = [e for e in record["applied"] if e["edit"] == "merge"]
    assert merged, record
    holder_a, share_a = _holder(rebuilt, edits["papers"][a])
    holder_b, share_b = _holder(rebuilt, edits["papers"][b])
    assert holder_a == holder_b and min(share_a, share_b) > 0.5
    # the pinned topic keeps its name
    holder, _ = _holder(rebuilt, edits["papers"][edits["pin"]])
    assert _label(rebuilt, holder) == edits["pinned_label"]
    # what could not be matched is reported with a reason, never dropped
    for u in record["unmatched"]:
        assert u["reason"] and u["line"]
    assert len(record["applied"]) + len({u["line"] for u in record["unmatched"]}) >= 4
    # the curation file stays with the landscape, with this landscape's ids
    kept = read_curation((Path(rebuilt.path) / "curation.yaml").read_text())
    assert len(kept.topics) == 3 and len(kept.groups) == 1
    assert {e.current for e in kept.topics if e.name} <= set(int(t) for t in rebuilt.topics["topic"])


def test_pinned_topic_is_split_out_of_a_coarser_rebuild(curated, edits, cache_dir, tmp_path):
    land, _ = curated
    out = build(
        SAMPLE,
        tmp_path / "coarse",
        random_state=3,
        cache_dir=cache_dir,
        topic_params={"min_cluster_size": 12},
        curation=land.path / "curation.yaml",
        quiet=True,
    )
    pinned = edits["papers"][edits["pin"]]
    holder, share = _holder(out, pinned)
    assert share > 0.5 and _label(out, holder) == edits["pinned_label"]
    # it is a topic of its own: most of its papers are the pinned topic's
    assert len(_papers(out, holder) & pinned) > 0.5 * len(_papers(out, holder))
    assert "pinned" in out.topic(holder)["curated"]


def test_update_keeps_the_curation(curated, edits, cache_dir, tmp_path):
    land, _ = curated
    directory = tmp_path / "land"
    shutil.copytree(land.path, directory)
    # copies of papers of every topic (new id and title, same abstract) go to their paper's topic,
    # also past the id the merge removed (topic ids are no longer 0..n-1)
    sample = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False).set_index("id", drop=False)
    originals = [str(land.topic(int(t))["representative_ids"][0]) for t in land.topics["topic"]]
    copies = sample.loc[originals].copy()
    copies["id"] = [f"copy-{i}" for i in range(len(copies))]
    copies["title"] = [f"{t} (extended version)" for t in copies["title"]]
    copies.to_csv(tmp_path / "copies.csv", index=False)
    out, record = update(directory, [QEC, tmp_path / "copies.csv"], cache_dir=cache_dir, quiet=True)
    assert record["added"] > 0
    topic_of = out.documents.set_index("id")["topic"]
    moved = [(o, c) for o, c in zip(originals, copies["id"], strict=True) if topic_of[o] != topic_of[c]]
    assert len(moved) <= 1, moved
    assert _label(out, edits["rename"]) == "Language Models, Curated"
    assert edits["merge"][1] not in set(out.topics["topic"])
    assert out.meta["curation"]["mode"] == "update" and out.meta["curation"]["unmatched"] == []
    assert (directory / "curation.yaml").exists()
    reloaded = Landscape.load(directory)
    assert _label(reloaded, edits["rename"]) == "Language Models, Curated"


def test_unmatched_edits_are_reported_with_the_reason(built):
    cur = read_curation("topics:\n- topic: 0\n  name: Gone Topic\n")
    # an anchor whose papers this landscape lacks and whose centroid points elsewhere
    centroid = -np.asarray(built.centroids[0], np.float32)
    cur.topics[0].match = [Anchor(topic=0, label="old", size=10, papers=["nowhere:1"], centroid=centroid)]
    out, record = apply_curation(built, cur, mode="update")
    assert record["applied"] == []
    (u,) = record["unmatched"]
    assert u["line"] == 2 and "centroid similarity" in u["reason"] and u["label"] == "old"
    assert "Gone Topic" not in set(out.topics["label"])
    assert "Gone Topic" in out.curation  # kept for a later rebuild


def _digest(directory):
    h = hashlib.sha256()
    for path in sorted(Path(directory).rglob("*")):
        if path.is_file():
            h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rename", "999=Nothing"], "no topic 999 in this landscape"),
        (["--merge", "0,0"], "a merge of a topic with itself"),
        (["--rename", "0=   "], "rename to an empty name"),
        (["--rename", "0=Label Of One"], "duplicate name 'Label Of One'"),
        (["--merge", "0"], "a merge needs two or more topics"),
        (["--unpin", "0"], "topic 0 is not pinned"),
        (["--rename", "zero=X"], "--rename expects ID=NAME"),
        (["--list", "--pin", "0"], "--list shows the topics and changes nothing"),
    ],
)
def test_bad_edits_are_one_line_and_change_nothing(built, tmp_path, capsys, args, message):
    directory = tmp_path / "land"
    shutil.copytree(built.path, directory)
    if "Label Of One" in message:  # the name of another topic
        one = int(built.topics["topic"].iloc[1])
        args = ["--rename", f"0={built.topic(one)['label']}"]
        message = f"duplicate name {built.topic(one)['label']!r}"
    before = _digest(directory)
    assert main(["curate", str(directory), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert _digest(directory) == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("topics:\n- topic: 0\n  name: [unclosed\n", "curation.yaml, line 4: not valid YAML"),
        (
            "topics:\n- topic: 0\n  name: A\n- topic: 999\n  name: B\n",
            "line 4: no topic 999 in this landscape",
        ),
        ("topics:\n- merge: [1, 1]\n", "line 2: merge lists topic 1 twice (a merge of a topic with itself)"),
        ("topics:\n- topic: 0\n  name: ''\n", "line 3: rename to an empty name"),
        ("topics:\n- topic: 0\n  name: A\n- topic: 1\n  name: a\n", "line 4: duplicate name 'a'"),
        ("topics:\n- topic: 0\n  nmae: A\n", "line 3: unknown key 'nmae'"),
        ("groups:\n- group: 999\n  name: G\n", "line 2: no group 999 in this landscape"),
    ],
)
def test_bad_curation_files_name_the_line_and_change_nothing(built, tmp_path, capsys, text, message):
    directory = tmp_path / "land"
    shutil.copytree(built.path, directory)
    (directory / "curation.yaml").write_text(text)
    before = _digest(directory)
    assert main(["curate", str(directory)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert _digest(directory) == before


def test_build_refuses_a_bad_curation_file_before_any_work(tmp_path, capsys, monkeypatch):
    bad = tmp_path / "curation.yaml"
    bad.write_text("topics:\n- merge: [3, 3]\n")

    def no_ingest(*args, **kwargs):
        raise AssertionError("read the corpus before checking the curation file")

    monkeypatch.setattr("landscape.corpus.ingest.ingest_inputs", no_ingest)
    code = main(["build", str(SAMPLE), "-o", str(tmp_path / "out"), "--curation", str(bad), "-q"])
    assert code == 2
    assert "line 2: merge lists topic 3 twice" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_hand_edit_and_cli_list(built, tmp_path, capsys):
    directory = tmp_path / "land"
    shutil.copytree(built.path, directory)
    t = int(built.topics["topic"].iloc[2])
    (directory / "curation.yaml").write_text(f"topics:\n- topic: {t}\n  name: By Hand\n  pin: true\n")
    assert main(["curate", str(directory)]) == 0
    capsys.readouterr()
    assert main(["curate", str(directory), "--list"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "By Hand" in x)
    assert line.split()[0] == str(t) and "pinned" in line and "name" in line
    assert "match:" in (directory / "curation.yaml").read_text()  # anchored for later rebuilds


def test_reports_show_curated_names(curated, tmp_path):
    from landscape.analysis.trends import trend_summary
    from landscape.present import notebook as nb
    from landscape.present.maps import save_map

    land, _ = curated
    table = nb.topic_table(land).data
    assert "Language Models, Curated (curated)" in table and "My Group (curated)" in table
    assert "Curated by hand: 4 edits" in nb.summary(land).data
    page = save_map(land, tmp_path / "map.html").read_text()
    assert "Language Models, Curated (curated)" in page
    merged = land.topics.loc[land.topics["curated"].str.contains("merged"), "label"]
    assert len(merged) == 1  # the merge shows wherever its topic is named
    assert f"{merged.iloc[0]} (merged by hand)" in table and f"{merged.iloc[0]} (merged by hand)" in page
    labels = set(trend_summary(land)["shares"]["label"])
    assert "Language Models, Curated" in labels
