"""Project set-up: the two install descriptions agree, and the command starts fast and clean."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

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
