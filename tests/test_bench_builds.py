"""bench/gpu_build.py on a machine without CUDA: the GPU parts are skipped, the build and the
comparison still run (the script is run for real on a GPU machine; README, "GPU")."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "bench" / "gpu_build.py"
SAMPLE = ROOT / "landscape" / "data" / "hf_papers_sample.csv"


def run(*args):
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True, timeout=900
    )


def test_gpu_bench_skips_gpu_parts_without_cuda_and_compares(tmp_path):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: the bench runs its GPU path (not a CPU check)")
    built = run(
        "build",
        "--corpus",
        SAMPLE,
        "--out",
        tmp_path / "land",
        "--export",
        tmp_path / "export",
        "--json",
        tmp_path / "build.json",
    )
    assert built.returncode == 0, built.stderr[-2000:]
    assert "CUDA is not available here: the GPU parts are skipped" in built.stdout
    record = json.loads((tmp_path / "build.json").read_text())
    assert record["gpu"] is None and record["device"] == "cpu"
    assert record["papers"] >= 90 and record["topics"] >= 2
    assert {"ingest", "embed", "topics"} <= set(record["timings"])
    assert (tmp_path / "export" / "assignments.parquet").exists()

    compared = run("compare", tmp_path / "export", tmp_path / "land", "--json", tmp_path / "cmp.json")
    assert compared.returncode == 0, compared.stderr[-2000:]
    agreement = json.loads((tmp_path / "cmp.json").read_text())
    # the export of a landscape against itself: identical groupings and vectors
    assert agreement["papers_compared"] == record["papers"]
    assert agreement["topic_ari"] == 1.0 and agreement["group_ari"] == 1.0
    assert agreement["cosine_min"] > 0.9999


def test_gpu_bench_names_a_missing_corpus(tmp_path):
    missing = run("build", "--corpus", tmp_path / "nope.parquet", "--out", tmp_path / "land")
    assert missing.returncode == 2
    assert "no corpus at" in missing.stderr


COLD = ROOT / "bench" / "cold_build.py"


def test_cold_build_bench_times_a_real_build(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            str(COLD),
            "--corpus",
            str(SAMPLE),
            "--limit",
            "60",
            "--json",
            str(tmp_path / "cold.json"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    record = json.loads((tmp_path / "cold.json").read_text())
    assert record["papers"] >= 50 and record["wall_s"] > 0 and record["peak_rss_mb"] > 100
    assert record["timings"]["embed"] > 0  # cold: the model embedded every paper
    assert "cold build: " in done.stdout and "embed" in done.stdout
