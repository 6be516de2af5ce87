"""The package as users install it: the wheel carries every template, notebook, taxonomy and data
file, and an installed (not editable) package finds its notebooks from any folder."""

import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("setuptools") is None or shutil.which("git") is None,
    reason="building the wheel offline needs setuptools and a git checkout",
)


def _tracked(*paths) -> list[str]:
    out = subprocess.run(["git", "ls-files", *paths], cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        pytest.skip("not a git checkout")
    return out.stdout.split()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """A wheel built from the tracked sources (copied, so the checkout gets no build folders)."""
    src = tmp_path_factory.mktemp("src")
    for name in _tracked("pyproject.toml", "README.md", "landscape"):
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, src / name)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            ".",
        ],
        cwd=src,
        check=True,
        capture_output=True,
    )
    (found,) = out.glob("landscape-*.whl")
    return found


def test_wheel_holds_every_package_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "landscape/present/notebooks/landscape_map.ipynb",
        "landscape/present/notebooks/topic_trends.ipynb",
        "landscape/present/notebooks/topic_deep_dive.ipynb",
        "landscape/present/templates/index.html.j2",
        "landscape/present/templates/nbconvert/landscape/index.html.j2",
        "landscape/model/taxonomies/ai_ml.yaml",
        "landscape/data/hf_papers_sample.csv",
    ):
        assert expected in names, expected
    # and whatever file the package gains later
    missing = [n for n in _tracked("landscape") if n not in names]
    assert not missing, f"files of the package missing from the wheel (pyproject package-data): {missing}"


def test_installed_package_finds_its_notebooks_from_another_folder(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    code = (
        "import landscape, landscape.present.report as r, landscape.model.taxonomy as t;"
        "print(landscape.__file__); print(r.notebook_dir()); print(t.load_taxonomy().name)"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=elsewhere, env=env, capture_output=True, text=True, check=True
    )
    package, notebooks, taxonomy = out.stdout.splitlines()
    assert Path(package).is_relative_to(target) and Path(notebooks).is_relative_to(target)
    assert sorted(p.name for p in Path(notebooks).glob("*.ipynb")) == [
        "landscape_map.ipynb",
        "topic_deep_dive.ipynb",
        "topic_trends.ipynb",
    ]
    assert taxonomy
