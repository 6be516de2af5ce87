"""Opening the landscape a notebook or a report names: a saved directory, or corpus files built once
(into the ``landscapes/`` cache, :mod:`landscape.locations`) and reused while the files, seed and
taxonomy stay the same. With neither, the bundled sample is used, found through the installed
package, so notebooks run from any folder."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from landscape import locations
from landscape.errors import LandscapeError
from landscape.schema import DEFAULT_RANDOM_STATE

BUILD_STAMP = ".built-from.json"


def resolve_paths(paths, what: str = "corpus file") -> list[Path]:
    """Paths as given (relative to the working directory) made absolute, or a clear error."""
    if paths is None:
        return []
    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    found = []
    for item in items:
        path = Path(item).expanduser()
        if not path.exists():
            raise LandscapeError(f"{item}: no such {what} (relative paths start at {Path.cwd()})")
        found.append(path.resolve())
    return found


def inputs_key(paths, *, random_state, taxonomy=None) -> str:
    """A hash of what a build depends on: the corpus files' bytes, the seed, the taxonomy file and the
    precision a default build embeds in here (``$LANDSCAPE_PRECISION`` or the CPU's choice: a
    landscape embedded in bf16 is not what an int8 build would show)."""
    from landscape import __version__
    from landscape.embed.embedder import Embedder

    precision = Embedder().resolved_precision()
    h = hashlib.sha256()
    for path in paths:
        h.update(Path(path).read_bytes())
        h.update(b"\x1e")
    h.update(f"{random_state}|{__version__}|{precision}".encode())
    if taxonomy:
        h.update(Path(taxonomy).read_bytes())
    return h.hexdigest()


def default_work_dir() -> Path:
    """Where notebooks keep the landscapes they build: ``landscapes/`` in the cache folder."""
    return locations.cache_dir("landscapes")


def build_or_load(
    inputs,
    landscape_dir,
    *,
    random_state: int = DEFAULT_RANDOM_STATE,
    taxonomy=None,
    rebuild: bool = False,
    log=None,
):
    """The landscape of ``inputs`` saved in ``landscape_dir``: reused when it was built from the same
    files, seed and taxonomy (a stamp file records them), built otherwise."""
    from landscape.store import Landscape

    log = log or (lambda message: None)
    paths = resolve_paths(inputs)
    if not paths:
        raise LandscapeError("no corpus file given: set `corpus` or `landscape_dir`")
    taxonomy_path = str(resolve_paths(taxonomy, "taxonomy file")[0]) if taxonomy else None
    key = inputs_key(paths, random_state=random_state, taxonomy=taxonomy_path)
    landscape_dir = Path(landscape_dir)
    stamp = landscape_dir / BUILD_STAMP
    if not rebuild and stamp.exists():
        try:
            same = json.loads(stamp.read_text(encoding="utf-8")).get("key") == key
        except ValueError:
            same = False
        if same:
            land = Landscape.load(landscape_dir)
            log(f"reusing the landscape built earlier from the same inputs: {landscape_dir}")
            return land
    from landscape.pipeline.build import build

    names = ", ".join(p.name for p in paths)
    log(f"building the landscape of {names} into {landscape_dir} (later runs reuse it)")
    land = build(
        [str(p) for p in paths], landscape_dir, random_state=random_state, taxonomy=taxonomy_path, log=log
    )
    record = {
        "key": key,
        "inputs": [str(p) for p in paths],
        "random_state": random_state,
        "taxonomy": taxonomy_path,
    }
    stamp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return land


def open_landscape(
    landscape_dir=None,
    corpus=None,
    *,
    random_state: int = DEFAULT_RANDOM_STATE,
    taxonomy=None,
    work_dir=None,
    log=print,
):
    """The landscape a notebook's parameters name.

    With ``landscape_dir`` the saved landscape is opened (``corpus`` is then ignored). Otherwise the
    corpus file(s) (default: the bundled sample, :func:`landscape.locations.sample_corpus`) are
    built into ``work_dir`` (default :func:`default_work_dir`), in a folder named after the inputs'
    hash, so running the notebook again reuses the build. ``log`` gets a line when a build is
    reused or started (None: silent).
    """
    from landscape.store import Landscape

    log = log or (lambda message: None)
    if landscape_dir:  # quick, and silent: report pages show no machine paths
        return Landscape.load(Path(landscape_dir).expanduser())
    paths = resolve_paths(corpus if corpus else locations.sample_corpus())
    taxonomy_path = str(resolve_paths(taxonomy, "taxonomy file")[0]) if taxonomy else None
    key = inputs_key(paths, random_state=random_state, taxonomy=taxonomy_path)
    target = Path(work_dir or default_work_dir()).expanduser() / f"{paths[0].stem}-{key[:12]}"
    return build_or_load(paths, target, random_state=random_state, taxonomy=taxonomy_path, log=log)
