"""Every Python snippet in the README runs as written (corpus files it names are the bundled sample)."""

import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "landscape" / "data" / "hf_papers_sample.csv"
BLOCKS = re.findall(r"^```python\n(.*?)^```", (ROOT / "README.md").read_text(encoding="utf-8"), re.M | re.S)


def test_the_readme_has_python_snippets():
    assert BLOCKS


def test_readme_snippets_run_in_order(tmp_path, monkeypatch):
    """The README reads top to bottom: a later block may use what an earlier one made (``land``)."""
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__readme__"}
    for i, code in enumerate(BLOCKS, 1):
        for name in set(re.findall(r"[\"']([\w./-]+\.csv)[\"']", code)):  # the corpus files it reads
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(SAMPLE, tmp_path / name)
        try:
            exec(compile(code, f"README.md python block {i}", "exec"), namespace)
        except Exception as exc:
            pytest.fail(f"README python block {i} fails: {exc!r}")


def test_the_public_functions_work_more_than_once_per_process(tmp_path):
    """Importing a module must not replace the package's function of the same name."""
    import landscape

    for _ in range(2):
        assert len(landscape.ingest([str(SAMPLE)]).corpus) == 100
        assert callable(landscape.build) and callable(landscape.ingest)
    import landscape.corpus.ingest  # noqa: F401
    import landscape.pipeline.build  # noqa: F401

    assert callable(landscape.build) and callable(landscape.ingest)
    first = landscape.build(SAMPLE, tmp_path / "a", taxonomy=False)
    second = landscape.build(SAMPLE, tmp_path / "b", taxonomy=False)
    assert len(first.documents) == len(second.documents) == 100
