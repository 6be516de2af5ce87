"""The package's imports point one way: no cycles between modules, and every import goes down the
layers (docs/ARCHITECTURE.md). Function-level imports count as much as top-level ones."""

import ast
import graphlib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "landscape"

# Lower number = lower layer; a module may import only from its own layer or lower ones.
LAYERS = {
    "landscape": 0,  # the package itself (lazy public names, version)
    "landscape.errors": 0,
    "landscape.schema": 0,
    "landscape.progress": 0,
    "landscape.store": 1,
    "landscape.corpus": 2,
    "landscape.fetch": 3,
    "landscape.embed": 4,
    "landscape.model": 5,
    "landscape.analysis": 6,
    "landscape.pipeline": 7,
    "landscape.present": 8,
    "landscape.cli": 9,
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imports(path: Path, modules) -> set[str]:
    """Modules of the package that ``path`` imports, wherever the import statement stands."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            # ``from landscape.embed import embedder`` imports the module landscape.embed.embedder
            names = [
                f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                for a in node.names
            ]
        else:
            continue
        out.update(n for n in names if n in modules)
    return out


def _layer(module: str) -> int:
    best = max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len)
    return LAYERS[best]


def _graph():
    modules = _modules()
    return {m: _imports(path, modules) - {m} for m, path in modules.items()}


def test_every_module_has_a_layer():
    assert all(_layer(m) is not None for m in _modules())
    assert set(_modules()) >= {
        "landscape.pipeline.stages",
        "landscape.model.geometry",
        "landscape.present.html",
    }


def test_no_import_cycles():
    graph = _graph()
    try:
        list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        raise AssertionError(f"import cycle: {' -> '.join(exc.args[1])}") from None


# The only imports allowed to point up, each with its reason (imported inside the method, so
# loading the lower module never loads the upper one, and there is no cycle).
UPWARD_ALLOWED = {
    ("landscape.store", "landscape.model.bertopic_interop"): "Landscape.to_bertopic(), a thin convenience",
}


def test_imports_point_down_the_layers():
    upward = [
        f"{src} (layer {_layer(src)}) imports {dst} (layer {_layer(dst)})"
        for src, targets in _graph().items()
        for dst in sorted(targets)
        if _layer(dst) > _layer(src) and (src, dst) not in UPWARD_ALLOWED
    ]
    assert not upward, "\n".join(upward)


def test_the_checker_sees_function_level_imports_and_cycles(tmp_path):
    # a cycle hidden in a function body is still a cycle
    src = "def f():\n    from landscape.present.report import report\n"
    (tmp_path / "m.py").write_text(src)
    found = _imports(tmp_path / "m.py", {"landscape.present.report"})
    assert found == {"landscape.present.report"}
    graph = {"a": {"b"}, "b": {"a"}}
    try:
        list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError:
        pass
    else:
        raise AssertionError("the cycle check missed a cycle")
