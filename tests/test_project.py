"""Project set-up: the two install descriptions agree, and the command starts fast and clean."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from landscape.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _name_spec(req: str):
    m = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(.*)", req)
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(_name_spec(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    found = {}
    for dep in env["dependencies"]:
        items = dep["pip"] if isinstance(dep, dict) else [dep]
        for item in items:
            if item.startswith("-e") or item.startswith("python") or item == "pip":
                continue
            name, spec = _name_spec(item)
            found[name] = spec.replace("=", "==", 1) if re.match(r"^=[^=]", spec) else spec
    assert set(found) == set(wanted), set(found) ^ set(wanted)
    for name, spec in wanted.items():
        if name == "torch":  # the environment pins the CPU wheel the Makefile installs
            assert found[name] == "==2.13.0"
            continue
        assert found[name] == spec, (name, found[name], spec)


def test_help_runs_without_heavy_imports():
    code = (
        "import sys; from landscape.cli import main; "
        "rc = main(['--help']); "
        "heavy = [m for m in ('torch', 'bertopic', 'umap', 'hdbscan', 'sentence_transformers', 'plotly',"
        " 'pandas', 'sklearn') if m in sys.modules]; "
        "print('HEAVY', heavy); sys.exit(rc)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "HEAVY []" in out.stdout
    assert "build" in out.stdout


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "Missing command"),
        (["fetch"], "Missing command"),
        (["frob"], "No such command 'frob'"),
        (["build", "corpus.csv", "-o", "out", "--bogus"], "No such option: --bogus"),
        (["build", "corpus.csv"], "Missing option '--out'"),
        (["build", "corpus.csv", "-o"], "Option '-o' requires an argument"),
        (["trends", "land", "--window", "abc"], "Invalid value for '--window'"),
        (["fetch", "arxiv", "-o", "x.csv"], "Missing option '--query'"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) <= 2 and lines[-1].startswith("error: ") and message in lines[-1], err
    if len(lines) == 2:
        assert lines[0].startswith("Usage: landscape")


def test_console_script_exits_2_on_a_usage_error():
    script = Path(sys.executable).with_name("landscape")
    argv = [str(script)] if script.exists() else [sys.executable, "-m", "landscape.cli"]
    out = subprocess.run([*argv, "build", "--bogus"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines()[-1].startswith("error: ")


def _no_work(*args, **kwargs):
    raise AssertionError("the work started before the output path was checked")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["build", "{sample}", "-o", "{file}"], "is a file; a landscape is saved as a directory"),
        (["build", "{sample}", "-o", "{folder}"], "is a folder with other files, not a landscape"),
        (["build", "{sample}", "-o", "{file}/land"], "is a file, not a folder"),
        (["build", "{sample}", "-o", "{tmp}/land", "--clusterer", "kmeans"], "--clusterer must be one of"),
        (
            ["build", "{sample}", "-o", "{tmp}/land", "--random-state", "-1"],
            "Invalid value for '--random-state'",
        ),
        (["build", "{sample}", "-o", "{tmp}/land", "--min-cluster-size", "1"], "'--min-cluster-size'"),
        (["ingest", "{sample}", "-o", "{folder}.parquet"], "is a folder; give a file name"),
        (["fetch", "arxiv", "-q", "x", "-o", "{folder}.csv"], "is a folder; give a file name"),
        (["fetch", "arxiv", "-q", "x", "-o", "{tmp}/a.csv", "--page-size", "0"], "'--page-size'"),
        (["report", "{sample}", "-o", "{file}"], "is a file; reports are written into a folder"),
        (["trends", "{tmp}", "--window", "0"], "'--window'"),
    ],
)
def test_bad_outputs_and_values_fail_before_any_work(argv, message, tmp_path, capsys, monkeypatch):
    import landscape.corpus.ingest
    import landscape.fetch.arxiv
    import landscape.pipeline.build
    import landscape.present.report

    for module, name in [
        (landscape.pipeline.build, "build"),
        (landscape.corpus.ingest, "ingest"),
        (landscape.fetch.arxiv, "fetch_arxiv"),
        (landscape.present.report, "report"),
    ]:
        monkeypatch.setattr(module, name, _no_work)
    (tmp_path / "file").write_text("x")
    for folder in ("folder", "folder.parquet", "folder.csv"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "notes.txt").write_text("mine")
    sample = ROOT / "landscape" / "data" / "hf_papers_sample.csv"
    names = {"sample": sample, "file": tmp_path / "file", "folder": tmp_path / "folder", "tmp": tmp_path}
    assert main([a.format(**names) for a in argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert message in err[-1] and err[-1].startswith("error: "), err
    assert (tmp_path / "file").read_text() == "x"
