"""HTML reports: the notebooks run by Papermill, exported by nbconvert, linked from an index page.

``report(source, out_dir)`` opens the landscape (or builds it from corpus files into
``out_dir/landscape``, reused while the files, seed and taxonomy stay the same), runs every notebook
in ``notebooks/`` with the landscape directory and the caller's parameters, exports each executed
notebook to ``out_dir/<name>.html`` without code, and writes ``out_dir/index.html``.

The pages work offline and from ``file://``: plotly.js is inlined once per page by the notebooks
(:func:`landscape.present.notebook.setup`), and the nbconvert template ``landscape`` (in
``landscape/present/templates/nbconvert``) drops the CDN scripts of JupyterLab's template (require.js,
MathJax, mermaid). Notebooks run in a kernel on this very Python (``sys.executable``), whatever
kernelspecs are installed elsewhere.

Notebooks run side by side, one kernel each. A failing notebook stops the report: notebooks not
yet started are skipped, the executed notebook stays in ``out_dir/notebooks/`` for debugging, the
pages made are kept and listed in the index, and :class:`ReportError` names the notebook and the
cell.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from landscape.errors import LandscapeError
from landscape.present.html import TEMPLATES, template_environment
from landscape.schema import DEFAULT_RANDOM_STATE

NBCONVERT_TEMPLATE = "landscape"
DEFAULT_TIMEOUT = 600  # seconds one notebook cell may run

# name, title, what the page shows: the reports in the order the index lists them
# The "what changed this run" page of ``landscape refresh`` (landscape.present.living), linked from
# the index when present.
CHANGES_PAGE = "changes.html"

NOTEBOOKS = (
    ("landscape_map", "Landscape map", "Every paper on one interactive map, the topic table and hierarchy."),
    (
        "topic_trends",
        "Topic trends",
        "Shares over time for topics and areas, emerging and fading topics, bursts.",
    ),
    (
        "topic_deep_dive",
        "Topic deep dive",
        "One topic: keywords, papers, share over time, neighbouring topics.",
    ),
)
# parameters the report sets itself; a notebook receives those it declares
_REPORT_PARAMETERS = ("landscape_dir", "random_state", "taxonomy")


class ReportError(LandscapeError):
    """A notebook failed; ``result`` holds what was made before it."""

    def __init__(self, message: str, result: ReportResult):
        super().__init__(message)
        self.result = result


@dataclass
class NotebookRun:
    name: str
    title: str
    description: str
    notebook: Path  # the executed notebook
    html: Path | None = None
    seconds: float = 0.0
    error: str | None = None
    skipped: bool = False  # not run: another notebook failed first

    @property
    def ok(self) -> bool:
        return self.error is None and self.html is not None


@dataclass
class ReportResult:
    out_dir: Path
    landscape_dir: Path
    runs: list[NotebookRun] = field(default_factory=list)
    index: Path | None = None
    timings: dict = field(default_factory=dict)

    @property
    def failed(self) -> list[NotebookRun]:
        return [r for r in self.runs if r.error]


# ---- notebooks -----------------------------------------------------------------------------------
def notebook_dir() -> Path:
    """The notebooks: ``notebooks/`` beside the package in a source checkout."""
    root = Path(__file__).resolve().parent / "notebooks"
    if not root.is_dir():
        raise LandscapeError(f"{root}: notebooks folder not found (reports need a source checkout)")
    return root


def notebook_parameters(path) -> dict:
    """The parameters a notebook declares (its cell tagged ``parameters``) with their defaults."""
    papermill = _papermill()
    found = papermill.inspect_notebook(str(path))
    if not found:
        raise LandscapeError(f"{path}: no cell tagged 'parameters'")
    return {name: info.get("default") for name, info in found.items()}


def _papermill():
    """papermill, imported without jsonschema's optional IRI checker.

    nbformat validates notebooks with jsonschema, which imports ``rfc3987_syntax`` when it is
    installed; that module compiles a grammar at import (seconds, on every report). Notebooks
    have no IRI fields to check, so the import is refused while jsonschema loads, then allowed.
    """
    import sys

    blocked = "jsonschema" not in sys.modules and "rfc3987_syntax" not in sys.modules
    if blocked:
        sys.modules["rfc3987_syntax"] = None  # makes `import rfc3987_syntax` raise ImportError
    try:
        import papermill
    finally:
        if blocked and sys.modules.get("rfc3987_syntax", 0) is None:
            del sys.modules["rfc3987_syntax"]
    return papermill


def _kernel_manager_class():
    """A kernel manager that always starts ipykernel on this interpreter (the venv's Python)."""
    from ipykernel.kernelspec import RESOURCES, get_kernel_dict
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager

    class CurrentPythonKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            import zmq

            if zmq.has("curve"):  # encrypt the kernel's sockets when this zmq can
                self.transport_encryption = "auto"

        async def _async_interrupt_kernel(self):
            # jupyter_client interrupts before every shutdown; the notebook has finished by then,
            # and ipykernel would log the interrupt as an ERROR on the terminal
            if not self.shutting_down:
                await super()._async_interrupt_kernel()

        @property
        def kernel_spec(self):
            if self._kernel_spec is None:
                spec = get_kernel_dict()
                self._kernel_spec = KernelSpec(
                    resource_dir=RESOURCES,
                    argv=spec["argv"],
                    display_name=spec["display_name"],
                    language=spec["language"],
                    metadata=spec["metadata"],
                    env=kernel_env(),
                )
            return self._kernel_spec

    return CurrentPythonKernelManager


def kernel_env() -> dict:
    """Variables set for the notebook kernels on top of this process's environment (which stays as
    it is): the Hugging Face offline switches, so a report never downloads, unless already set."""
    from landscape.embed.models import OFFLINE_ENV

    return {name: os.environ.get(name, value) for name, value in OFFLINE_ENV.items()}


def _cell_description(nb_path: Path, error) -> str:
    """Which cell failed: its number among the code cells of the executed notebook and first line."""
    source = str(getattr(error, "source", "") or "").strip().splitlines()
    first = source[0][:80] if source else ""
    where = f"cell {error.exec_count}" if getattr(error, "exec_count", None) else "a cell"
    try:
        import nbformat

        nb = nbformat.read(str(nb_path), as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        for i, cell in enumerate(code, 1):
            if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                where = f"code cell {i} of {len(code)} (In [{cell.get('execution_count')}])"
                break
    except Exception:  # the notebook may be unreadable; the exception's own data is enough
        pass
    return f"{where}: `{first}`" if first else where


def run_notebook(path, output, parameters: dict, *, timeout: int = DEFAULT_TIMEOUT, cwd=None) -> float:
    """Execute one notebook with Papermill into ``output``; the seconds it took.

    The kernel runs in ``cwd`` (default: the notebook's folder), so relative paths in parameters
    resolve as they do in JupyterLab.

    Raises :class:`LandscapeError` naming the notebook and the failing cell; ``output`` keeps the
    executed notebook with the error.
    """
    papermill = _papermill()
    from papermill.exceptions import PapermillExecutionError

    path, output = Path(path), Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(path),
            str(output),
            parameters=parameters,
            kernel_name="python3",
            kernel_manager_class=_kernel_manager_class(),
            execution_timeout=int(timeout),
            # the kernel's working directory; papermill's own `cwd` would chdir this whole process,
            # which notebooks running side by side cannot share
            resources={"metadata": {"path": str(Path(cwd or path.parent).resolve())}},
            progress_bar=False,
            log_output=False,
            report_mode=False,
            # saving after every cell re-validates a notebook that holds plotly.js: save at the end
            request_save_on_cell_execute=False,
        )
    except PapermillExecutionError as exc:
        raise LandscapeError(
            f"notebook {path.name} failed in {_cell_description(output, exc)}: {exc.ename}: "
            f"{str(exc.evalue).strip()[:300]} (executed notebook kept at {output})"
        ) from exc
    except TimeoutError as exc:  # nbclient's CellTimeoutError is a TimeoutError
        raise LandscapeError(
            f"notebook {path.name}: a cell ran longer than {timeout} s (executed notebook kept at {output})"
        ) from exc
    return time.perf_counter() - start


def export_html(notebook, html_path, *, title: str | None = None) -> Path:
    """An executed notebook as an HTML page without code, loading nothing from the network."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(notebook), as_version=4)
    if title:
        nb.metadata["title"] = title
    exporter = HTMLExporter(
        template_name=NBCONVERT_TEMPLATE,
        extra_template_basedirs=[str(TEMPLATES / "nbconvert")],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(nb)
    html_path = Path(html_path)
    html_path.write_text(body, encoding="utf-8")
    return html_path


# ---- parameters ----------------------------------------------------------------------------------
def parse_parameters(pairs=None, yaml_file=None) -> dict:
    """Notebook parameters from a YAML file and ``NAME=VALUE`` pairs (each value read as YAML, so
    ``top_n=20`` is a number, ``corpus=[a.csv, b.csv]`` a list); pairs win over the file."""
    import yaml

    params: dict = {}
    if yaml_file:
        path = Path(yaml_file)
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise LandscapeError(f"{path}: cannot read parameters ({exc})") from exc
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise LandscapeError(f"{path}: parameters must be a YAML mapping of name: value")
        params.update(loaded)
    for pair in pairs or ():
        name, sep, value = pair.partition("=")
        if not sep or not name.strip().isidentifier():
            raise LandscapeError(f"parameter {pair!r}: expected NAME=VALUE")
        try:
            params[name.strip()] = yaml.safe_load(value) if value.strip() else None
        except yaml.YAMLError as exc:
            raise LandscapeError(f"parameter {pair!r}: value is not valid YAML ({exc})") from exc
    return params


# ---- index page ----------------------------------------------------------------------------------
def _size(path: Path) -> str:
    n = path.stat().st_size
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.0f} kB"


def write_index(out_dir, land, runs, *, generated: str | None = None, timings: dict | None = None) -> Path:
    """``out_dir/index.html``: the corpus, its numbers and versions, and a link per report."""
    out_dir = Path(out_dir)
    meta = land.meta or {}
    dates = meta.get("date_range") or [None, None]
    if not dates[0] and "date" in land.documents.columns and land.documents["date"].notna().any():
        dates = [str(land.documents["date"].min().date()), str(land.documents["date"].max().date())]
    pages = []
    for run in runs:
        pages.append(
            {
                "title": run.title,
                "description": run.description,
                "href": run.html.name if run.ok else None,
                "size": _size(run.html) if run.ok else None,
                "seconds": round(run.seconds, 1),
                "error": run.error,
                "skipped": run.skipped,
                "notebook": os.path.relpath(run.notebook, out_dir),
            }
        )
    counts = meta.get("counts") or {}
    updates = meta.get("updates") or []
    history = {
        "updates": len(updates),
        "added": sum(int(u.get("added", 0)) for u in updates),
        "new_topics": sum(len(u.get("new_topics", [])) for u in updates),
        "last": updates[-1].get("time") if updates else None,
        "rebuild_reasons": (updates[-1].get("rebuild_reasons") or []) if updates else [],
        "like": meta.get("like"),
    }
    text = (
        template_environment()
        .get_template("index.html.j2")
        .render(
            name=land.name,
            papers=len(land.documents),
            topics=len(land.topics),
            rejected=counts.get("rejected"),
            outliers=land.outlier_share,
            first=dates[0],
            last=dates[1],
            seed=meta.get("random_state"),
            created=meta.get("created"),
            generated=generated or datetime.now(UTC).isoformat(timespec="seconds"),
            versions=sorted((meta.get("versions") or {}).items()),
            inputs=meta.get("inputs") or [],
            pages=pages,
            changes=CHANGES_PAGE if (out_dir / CHANGES_PAGE).exists() else None,
            history=history,
            timings=timings or {},
        )
    )
    path = out_dir / "index.html"
    path.write_text(text, encoding="utf-8")
    return path


# ---- the report ----------------------------------------------------------------------------------
def _is_landscape_dir(path: Path) -> bool:
    from landscape.store import META_FILE

    return path.is_dir() and (path / META_FILE).exists()


def report(
    source,
    out_dir="reports",
    *,
    parameters: dict | None = None,
    notebooks=None,
    random_state: int = DEFAULT_RANDOM_STATE,
    taxonomy=None,
    landscape_dir=None,
    rebuild: bool = False,
    timeout: int = DEFAULT_TIMEOUT,
    jobs: int | None = None,
    log=None,
    quiet: bool = False,
) -> ReportResult:
    """Build (if needed) and report on a landscape.

    Parameters
    ----------
    source : a saved landscape directory, or corpus file(s) to build one from
    out_dir : where the pages go (``index.html``, one page per notebook, ``notebooks/``)
    parameters : notebook parameters (name: value); each notebook gets the ones it declares
    notebooks : names of the notebooks to run (default: all, see ``NOTEBOOKS``)
    random_state, taxonomy : for the build and the notebooks
    landscape_dir : where to build (default ``out_dir/landscape``)
    rebuild : build even when a build from the same inputs exists
    timeout : seconds one notebook cell may run
    jobs : notebooks run at the same time (default: one per CPU core, at most one per notebook)
    log : where progress lines go (default: stderr); one line per stage and per notebook
    quiet : no progress lines and no progress bar
    """
    from landscape.present.opening import build_or_load
    from landscape.store import Landscape

    log = (lambda message: None) if quiet else _beside_bars(log or _stderr_line)
    out_dir = Path(out_dir).resolve()
    timings: dict[str, float] = {}
    parameters = dict(parameters or {})
    reserved = sorted(set(parameters) & set(_REPORT_PARAMETERS))
    if reserved:
        raise LandscapeError(
            f"parameter(s) {', '.join(reserved)} are set by the report itself; use the command's options"
        )
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 1:
        raise LandscapeError(f"timeout must be a whole number of seconds >= 1; got {timeout!r}")
    _check_jobs(jobs, 1)
    known = {name: (title, text) for name, title, text in NOTEBOOKS}
    chosen = list(notebooks or known)
    unknown = [n for n in chosen if n not in known]
    if unknown:
        raise LandscapeError(f"unknown notebook(s) {', '.join(unknown)}; choose from {', '.join(known)}")
    folder = notebook_dir()
    declared = {name: notebook_parameters(folder / f"{name}.ipynb") for name in chosen}
    everywhere = set().union(*declared.values())
    stray = sorted(set(parameters) - everywhere)
    if stray:
        raise LandscapeError(
            f"no notebook has a parameter {', '.join(stray)}; parameters: {', '.join(sorted(everywhere))}"
        )

    sources = [source] if isinstance(source, (str, os.PathLike)) else list(source)
    start = time.perf_counter()
    if len(sources) == 1 and _is_landscape_dir(Path(sources[0])):
        land_dir = Path(sources[0]).resolve()
        land = Landscape.load(land_dir, embeddings=False)
        log(f"landscape {land_dir}: {len(land.documents)} papers, {len(land.topics)} topics")
    else:
        if any(Path(s).is_dir() for s in sources):
            bad = next(s for s in sources if Path(s).is_dir())
            raise LandscapeError(
                f"{bad}: a directory without landscape.json (give a landscape or corpus files)"
            )
        land_dir = Path(landscape_dir or out_dir / "landscape").resolve()
        log(f"building the landscape into {land_dir}")
        land = build_or_load(
            sources, land_dir, random_state=random_state, taxonomy=taxonomy, rebuild=rebuild, log=log
        )
    timings["landscape"] = round(time.perf_counter() - start, 2)

    out_dir.mkdir(parents=True, exist_ok=True)
    executed = out_dir / "notebooks"
    result = ReportResult(out_dir=out_dir, landscape_dir=land_dir, timings=timings)
    base = {
        "landscape_dir": str(land_dir),
        "random_state": random_state,
        "taxonomy": str(Path(taxonomy).resolve()) if taxonomy else None,
        **parameters,
    }
    for name in chosen:
        title, text = known[name]
        result.runs.append(NotebookRun(name, title, text, (executed / f"{name}.ipynb").resolve()))
        stale = out_dir / f"{name}.html"
        if stale.exists():
            stale.unlink()  # never leave a page from an earlier run beside a failed one
    # Notebooks run side by side (each in its own kernel): most of their time is kernel start-up
    # and imports. After a failure, notebooks not yet started are skipped.
    jobs = _check_jobs(jobs, len(chosen))
    failed = threading.Event()

    def execute(run: NotebookRun):
        if failed.is_set():
            return None  # another notebook failed (the flag is set before this worker takes the next)
        params = {k: v for k, v in base.items() if k in declared[run.name]}
        log(f"{run.name}.ipynb: running")
        try:
            return run_notebook(folder / f"{run.name}.ipynb", run.notebook, params, timeout=timeout)
        except LandscapeError:
            failed.set()
            raise

    log(f"running {', '.join(f'{n}.ipynb' for n in chosen)} ({jobs} at a time)")
    from tqdm.auto import tqdm

    with (
        ThreadPoolExecutor(max_workers=jobs) as pool,
        tqdm(total=len(chosen), desc="notebooks", unit="notebook", disable=quiet, leave=False) as bar,
    ):
        futures = {pool.submit(execute, run): run for run in result.runs}
        for future in as_completed(futures):
            run = futures[future]
            bar.update()
            try:
                seconds = future.result()
            except LandscapeError as exc:
                run.error = str(exc)
                log(f"{run.name}.ipynb failed")
                continue
            if seconds is None:
                run.skipped = True
                log(f"{run.name}.ipynb skipped (another notebook failed)")
                continue
            run.seconds = seconds
            timings[f"notebook.{run.name}"] = round(seconds, 2)
            t0 = time.perf_counter()
            run.html = export_html(
                run.notebook, out_dir / f"{run.name}.html", title=f"{run.title}: {land.name}"
            )
            timings[f"export.{run.name}"] = round(time.perf_counter() - t0, 2)
            log(f"{run.html} ({_size(run.html)}, notebook {seconds:.1f} s)")
    timings["total"] = round(time.perf_counter() - start, 2)
    result.index = write_index(out_dir, land, result.runs, timings=timings)
    if result.failed:
        raise ReportError("; ".join(run.error for run in result.failed), result)
    return result


def _stderr_line(message: str) -> None:
    import sys

    print(message, file=sys.stderr, flush=True)


def _beside_bars(log):
    """``log`` writing its lines above the progress bar rather than into it."""
    import sys

    from tqdm.auto import tqdm

    def write(message: str) -> None:
        with tqdm.external_write_mode(file=sys.stderr):
            log(message)

    return write


def _check_jobs(jobs, n: int) -> int:
    if jobs is None:
        return max(1, min(n, os.cpu_count() or 1))
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise LandscapeError(f"jobs must be a whole number >= 1; got {jobs!r}")
    return min(jobs, max(n, 1))
