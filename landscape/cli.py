"""The ``landscape`` command: a thin layer that parses options, calls the package and prints.

Heavy modules are imported inside the commands so that ``landscape --help`` starts fast. Expected
user errors (``LandscapeError``) are printed as one line and exit with status 2, without a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from landscape.analysis.trend_defaults import (
    DEFAULT_FREQ,
    DEFAULT_GAMMA,
    DEFAULT_S,
    DEFAULT_TOP,
    DEFAULT_WINDOW,
)
from landscape.embed.models import DEFAULT_MODEL
from landscape.embed.static import DEFAULT_DIMS
from landscape.errors import LandscapeError
from landscape.schema import DEFAULT_RANDOM_STATE, MIN_ABSTRACT_CHARS

SEED_MAX = 2**32 - 1  # numpy's RandomState takes seeds in [0, 2**32)

app = typer.Typer(
    name="landscape",
    help="Turn a pile of paper abstracts into a map of a research field.",
    no_args_is_help=False,  # a bare `landscape` is a usage error (one line, exit 2), not a help page
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root():
    """Turn a pile of paper abstracts into a map of a research field."""


# ---- commands -----------------------------------------------------------------------------------
# (each command: parse, call one package function, print; keep heavy imports inside the function)


# Options shared by several commands.
ColumnOption = Annotated[list[str] | None, typer.Option("--column", help="Map a column: SOURCE=TARGET.")]
EngineOption = Annotated[str, typer.Option("--engine", help="Where to embed and assign: local or ray.")]
AddressOption = Annotated[
    str | None, typer.Option("--address", help="Ray cluster address (default: start one locally).")
]
DeviceOption = Annotated[
    str, typer.Option("--device", help="Where to embed: auto (the GPU if torch sees one), cpu or cuda.")
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines or bars on stderr.")]
NamerUrlOption = Annotated[
    str | None,
    typer.Option(
        "--namer-url",
        help="OpenAI-compatible chat server (e.g. http://127.0.0.1:8080/v1) that names topics after the "
        "offline names; on failure the offline names stay.",
    ),
]
NamerModelOption = Annotated[
    str, typer.Option("--namer-model", help="Model name sent to the --namer-url server.")
]


@app.command("ingest")
def ingest_command(
    inputs: Annotated[
        list[Path], typer.Argument(help="Corpus files (CSV, JSONL, JSON, Parquet, HF page .txt, .bib, .ris).")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Corpus file to write (.parquet or .csv).")],
    column: ColumnOption = None,
    min_abstract_chars: Annotated[
        int, typer.Option("--min-abstract-chars", min=0, help="Reject abstracts shorter than this.")
    ] = MIN_ABSTRACT_CHARS,
):
    """Read, clean and validate corpus files; write the corpus and a rejects file beside it."""
    from landscape.corpus.ingest import check_output_path, ingest

    check_output_path(out, inputs=inputs)  # before reading a large corpus; never over an input
    _check_file_output(out)
    columns = _parse_columns(column)
    result = ingest([str(p) for p in inputs], columns=columns, min_abstract_chars=min_abstract_chars)
    corpus_path, rejects_path = result.write(out)
    typer.echo(result.summary())
    typer.echo(f"corpus written to {corpus_path} ({result.counts['kept']} papers)")
    typer.echo(f"rejects written to {rejects_path} ({result.counts['rejected']} rows)")


@app.command()
def trends(
    directory: Annotated[Path, typer.Argument(help="A saved landscape directory.")],
    freq: Annotated[str, typer.Option("--freq", help="Time bins: year, quarter or month.")] = DEFAULT_FREQ,
    window: Annotated[
        int, typer.Option("--window", min=2, help="Growth window: the last N complete bins.")
    ] = DEFAULT_WINDOW,
    top: Annotated[int, typer.Option("--top", min=1, help="Rows per table.")] = DEFAULT_TOP,
    s: Annotated[
        float, typer.Option("--s", min=1, help="Burst rate multiplier (Kleinberg s > 1).")
    ] = DEFAULT_S,
    gamma: Annotated[
        float, typer.Option("--gamma", min=0, help="Burst entry cost (Kleinberg gamma).")
    ] = DEFAULT_GAMMA,
    source: Annotated[
        str | None, typer.Option("--source", help="Shares within one source's papers (e.g. arxiv).")
    ] = None,
    include_partial: Annotated[
        bool, typer.Option("--include-partial", help="Let partial first/last bins into the verdicts.")
    ] = False,
    compare: Annotated[
        str | None,
        typer.Option(
            "--compare",
            help="What changed: two periods (2019..2021,2022..2024) or an earlier landscape directory.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
):
    """Emerging and fading topics, growth verdicts, bursts and what changed in a saved landscape."""
    import json

    from landscape.analysis.compare import compare as what_changed
    from landscape.analysis.trends import trend_summary
    from landscape.present import trend_text
    from landscape.store import Landscape

    land = Landscape.load(directory, embeddings=False)
    summary = trend_summary(
        land, freq=freq, window=window, s=s, gamma=gamma, source=source, include_partial=include_partial
    )
    changed = None
    if compare is not None:
        spec = Landscape.load(compare, embeddings=False) if Path(compare).is_dir() else compare
        changed = what_changed(land, spec, freq=freq)
    if as_json:
        records = {"landscape": str(directory), **trend_text.summary_records(summary, top)}
        if changed is not None:
            records["compare"] = trend_text.compare_records(changed)
        typer.echo(json.dumps(records, indent=2))
    else:
        typer.echo(trend_text.format_summary(summary, top, title=str(directory)))
        if changed is not None:
            typer.echo("\n" + trend_text.format_compare(changed, top))


@app.command()
def evaluate(
    directory: Annotated[Path, typer.Argument(help="A saved landscape directory.")],
    labels: Annotated[
        str | None,
        typer.Option("--labels", help="Documents column to compare topics and groups with (e.g. categories)"),
    ] = None,
    stability_seed: Annotated[
        int | None,
        typer.Option(
            "--stability-seed",
            min=0,
            max=SEED_MAX,
            help="Refit with this seed and report the ARI between runs (slow).",
        ),
    ] = None,
    top_n: Annotated[
        int, typer.Option("--top-n", min=1, help="Keywords per topic for NPMI and diversity.")
    ] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
):
    """Topic quality of a saved landscape: coherence, diversity, outliers, sizes, NMI/ARI vs labels."""
    import json

    from landscape.analysis.evaluate import evaluate as run_evaluate
    from landscape.present.quality_text import format_quality

    quality = run_evaluate(directory, labels, stability_seed=stability_seed, top_n=top_n)
    if as_json:
        typer.echo(json.dumps({"landscape": str(directory), **quality}, indent=2))
    else:
        typer.echo(format_quality(quality, name=str(directory)))


def _check_file_output(path: Path) -> None:
    """An output file must not be a folder, and its folder must be writable (checked before work)."""
    from landscape.store import check_writable_location

    if path.is_dir():
        raise LandscapeError(f"{path}: is a folder; give a file name to write")
    check_writable_location(path)


def _parse_columns(pairs: list[str] | None) -> dict | None:
    """`--column SRC=DST` options into a mapping."""
    if not pairs:
        return None
    mapping = {}
    for pair in pairs:
        src, sep, dst = pair.partition("=")
        if not sep or not src or not dst:
            raise LandscapeError(f"--column expects SOURCE=TARGET, got {pair!r}")
        mapping[src.strip()] = dst.strip()
    return mapping


def _chat_namer(url: str | None, model: str):
    """The chat-server namer of ``--namer-url`` (None without one); the key, if any, from
    ``LANDSCAPE_NAMER_API_KEY``."""
    if url is None:
        return None
    import os

    from landscape.model.outside_namer import ChatNamer

    return ChatNamer(url, model=model, api_key=os.environ.get("LANDSCAPE_NAMER_API_KEY") or None)


@app.command()
def build(
    inputs: Annotated[list[Path], typer.Argument(help="Corpus files (CSV, JSONL, JSON, Parquet, …).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Landscape directory to write.")],
    random_state: Annotated[
        int, typer.Option("--random-state", min=0, max=SEED_MAX, help="Seed for every stochastic step.")
    ] = DEFAULT_RANDOM_STATE,
    taxonomy: Annotated[
        Path | None, typer.Option("--taxonomy", help="Research-area taxonomy YAML (default: bundled AI/ML).")
    ] = None,
    model: Annotated[
        str, typer.Option("--model", help="Sentence-transformers model name or path.")
    ] = DEFAULT_MODEL,
    embeddings: Annotated[
        Path | None, typer.Option("--embeddings", help="Precomputed embeddings (.npy).")
    ] = None,
    column: ColumnOption = None,
    min_cluster_size: Annotated[
        int | None, typer.Option("--min-cluster-size", min=2, help="Smallest topic (default: scaled).")
    ] = None,
    min_samples: Annotated[
        int | None, typer.Option("--min-samples", min=1, help="HDBSCAN min_samples (default: scaled).")
    ] = None,
    nr_topics: Annotated[
        int | None, typer.Option("--nr-topics", min=1, help="Merge topics to this count.")
    ] = None,
    clusterer: Annotated[
        str | None, typer.Option("--clusterer", help="hdbscan (default) or fast_hdbscan.")
    ] = None,
    fit_sample: Annotated[
        str,
        typer.Option(
            "--fit-sample",
            help="Fit topics on a random sample of N papers and assign the rest: N, 'auto' "
            "(100,000 above 150,000 papers) or 'all'.",
        ),
    ] = "auto",
    engine: EngineOption = "local",
    address: AddressOption = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Do not use the embedding and layout caches.")
    ] = False,
    like: Annotated[
        Path | None,
        typer.Option(
            "--like", help="Earlier landscape whose topic ids and names to keep where topics match."
        ),
    ] = None,
    curation: Annotated[
        Path | None,
        typer.Option(
            "--curation",
            help="curation.yaml to apply (default: the one already in -o DIR, else the --like one).",
        ),
    ] = None,
    no_curation: Annotated[
        bool, typer.Option("--no-curation", help="Apply no curation.yaml (not even the one in -o DIR).")
    ] = False,
    device: DeviceOption = "auto",
    quiet: QuietOption = False,
    namer_url: NamerUrlOption = None,
    namer_model: NamerModelOption = "default",
):
    """Build a topic landscape from corpus files and save it to a directory."""
    from landscape.model.topics import CLUSTERERS
    from landscape.pipeline.build import build as run_build
    from landscape.store import check_save_path

    check_save_path(out)  # before minutes of embedding
    if clusterer is not None and clusterer not in CLUSTERERS:
        raise LandscapeError(f"--clusterer must be one of {', '.join(CLUSTERERS)}; got {clusterer!r}")
    if fit_sample in ("auto", "all"):
        sample = None if fit_sample == "all" else "auto"
    elif fit_sample.isdigit():
        sample = int(fit_sample)
    else:
        raise LandscapeError(f"--fit-sample must be a number of papers, 'auto' or 'all'; got {fit_sample!r}")
    topic_params = {
        "min_cluster_size": min_cluster_size,
        "min_samples": min_samples,
        "nr_topics": nr_topics,
        "clusterer": clusterer,
    }
    topic_params = {k: v for k, v in topic_params.items() if v is not None}
    land = run_build(
        [str(p) for p in inputs],
        out,
        random_state=random_state,
        taxonomy=str(taxonomy) if taxonomy else None,
        embedding_model=model,
        embeddings=str(embeddings) if embeddings else None,
        cache_dir=False if no_cache else None,
        columns=_parse_columns(column),
        topic_params=topic_params,
        fit_sample=sample,
        engine=engine,
        address=address,
        like=like,
        curation=False if no_curation else curation,
        device=device,
        log=lambda message: typer.echo(message, err=True),
        quiet=quiet,
        namer=_chat_namer(namer_url, namer_model),
    )
    counts = land.meta["counts"]
    if "curation" in land.meta:
        _echo_curation(land.meta["curation"])
    if "like" in land.meta:
        kept = land.meta["like"]
        typer.echo(
            f"kept {kept['topics_kept']} topic ids and names of {like}, {kept['topics_new']} new topics"
        )
    typer.echo(
        f"{counts['papers']} papers, {counts['topics']} topics, "
        f"{counts['outlier_share']:.1%} unassigned, {counts.get('rejected', 0)} rejected"
    )
    for row in land.topics.head(30).itertuples():
        typer.echo(f"  {row.topic:>3}  {row.size:>5}  {row.label}  [{row.area}]")
    if len(land.topics) > 30:
        typer.echo(f"  … {len(land.topics) - 30} more topics")
    typer.echo(f"landscape written to {out}")


@app.command()
def update(
    directory: Annotated[Path, typer.Argument(help="A saved landscape directory (updated in place).")],
    inputs: Annotated[list[Path], typer.Argument(help="Corpus files with the new papers.")],
    embeddings: Annotated[
        Path | None, typer.Option("--embeddings", help="Precomputed embeddings of the new papers (.npy).")
    ] = None,
    taxonomy: Annotated[
        Path | None, typer.Option("--taxonomy", help="The taxonomy YAML the landscape was built with.")
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="Embedding model (default: the landscape's).")
    ] = None,
    column: ColumnOption = None,
    min_topic_size: Annotated[
        int | None, typer.Option("--min-topic-size", min=2, help="Smallest new topic (default: scaled).")
    ] = None,
    engine: EngineOption = "local",
    address: AddressOption = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not use the embedding cache.")] = False,
    device: DeviceOption = "auto",
    quiet: QuietOption = False,
    namer_url: NamerUrlOption = None,
    namer_model: NamerModelOption = "default",
):
    """Add new papers to a saved landscape: existing topic ids stay, new subjects become new topics."""
    from landscape.pipeline.update import update as run_update

    land, record = run_update(
        directory,
        [str(p) for p in inputs],
        embeddings=str(embeddings) if embeddings else None,
        taxonomy=str(taxonomy) if taxonomy else None,
        embedding_model=model,
        columns=_parse_columns(column),
        min_topic_size=min_topic_size,
        engine=engine,
        address=address,
        cache_dir=False if no_cache else None,
        device=device,
        log=lambda message: typer.echo(message, err=True),
        quiet=quiet,
        namer=_chat_namer(namer_url, namer_model),
    )
    typer.echo(
        f"{record['added']} new papers ({record['skipped']} already in the landscape, "
        f"{record['rejected']} rejected): {record['assigned_existing']} to existing topics, "
        f"{record['assigned_new']} to {len(record['new_topics'])} new topic(s), "
        f"{record['unassigned']} unassigned, in {record['timings']['total']:.1f} s"
    )
    for t in record["new_topics"]:
        typer.echo(f"  new topic {t['topic']:>3}  {t['size']:>5}  {t['label']}  [{t['area']}]")
    for g in record["grown"][:10]:
        typer.echo(f"  grew {g['topic']:>3}  {g['before']:>5} -> {g['after']:<5}  {g['label']}")
    typer.echo(f"landscape updated: {land.path} ({len(land.documents)} papers, {len(land.topics)} topics)")
    for reason in record["rebuild_reasons"]:
        typer.echo(f"a rebuild is due: {reason} (landscape build INPUTS --like {directory})")


def _parse_pairs(pairs: list[str] | None, option: str) -> dict:
    """`ID=NAME` options into ``{id: name}``."""
    out = {}
    for pair in pairs or []:
        key, sep, name = pair.partition("=")
        if not sep or not key.strip().isdigit():
            raise LandscapeError(
                f"{option} expects ID=NAME (e.g. {option} 12='Machine Unlearning'), got {pair!r}"
            )
        out[int(key)] = name
    return out


def _echo_curation(record: dict) -> None:
    """What a curation did, one line per edit, and every edit that matched no topic, with why."""
    for a in record["applied"]:
        what = f"group {a['group']}" if "group" in a else f"topic {a['topic']}"
        if "split" in a:
            text = f"pinned: kept apart from the rest of the rebuilt topic, now topic {a['split']}"
        elif a["edit"] == "merge" and len(a["merged"]) == 1:
            text = "merge"
        elif a["edit"] == "merge":
            text = f"merged topics {', '.join(map(str, a['merged']))}"
        else:
            text = a["edit"] + (f" '{a['name']}'" if a.get("name") else "")
        typer.echo(f"  {what}: {text} ({a['matched_by']})")
    for u in record["unmatched"]:
        key = "group" if "group" in u else "topic"
        was = f"{key} {u.get(key)}" + (f" '{u['label']}'" if u.get("label") else "")
        typer.echo(f"  not matched: line {u['line']}, {u['edit']} of {was}: {u['reason']}")
    typer.echo(
        f"curation: {len(record['applied'])} applied, {len(record['unmatched'])} not matched "
        f"(recorded in landscape.json)"
    )


@app.command()
def curate(
    directory: Annotated[Path, typer.Argument(help="A saved landscape directory (curated in place).")],
    rename: Annotated[
        list[str] | None, typer.Option("--rename", help="Rename a topic: ID=NAME (repeatable).")
    ] = None,
    merge: Annotated[
        list[str] | None,
        typer.Option("--merge", help="Merge topics into the first: ID,ID[,...] (repeatable)."),
    ] = None,
    pin: Annotated[
        list[int] | None,
        typer.Option("--pin", help="Pin a topic: it keeps its name and stays separate through rebuilds."),
    ] = None,
    unpin: Annotated[list[int] | None, typer.Option("--unpin", help="Unpin a topic.")] = None,
    rename_group: Annotated[
        list[str] | None, typer.Option("--rename-group", help="Rename a group: ID=NAME (repeatable).")
    ] = None,
    list_topics: Annotated[
        bool, typer.Option("--list", help="List topics (id, papers, name, marks, group) and change nothing.")
    ] = False,
):
    """Rename, merge and pin topics (and rename groups); the edits are kept in DIR/curation.yaml and
    applied again by rebuilds and updates. With no edits, apply DIR/curation.yaml (edited by hand)."""
    from landscape.pipeline.curation import curate as run_curate
    from landscape.pipeline.curation import topic_listing
    from landscape.store import Landscape

    merges = []
    for value in merge or []:
        parts = [p.strip() for p in value.split(",")]
        if not all(p.isdigit() for p in parts):
            raise LandscapeError(
                f"--merge expects topic ids separated by commas (e.g. --merge 3,7), got {value!r}"
            )
        merges.append([int(p) for p in parts])
    edits = {
        "rename": _parse_pairs(rename, "--rename"),
        "merge": merges,
        "pin": list(pin or []),
        "unpin": list(unpin or []),
        "rename_group": _parse_pairs(rename_group, "--rename-group"),
    }
    if list_topics:
        if any(edits.values()):
            raise LandscapeError("--list shows the topics and changes nothing: give it alone")
        land = Landscape.load(directory, embeddings=False)
        for row in topic_listing(land).itertuples(index=False):
            marks = f"  [{row.curated}]" if row.curated else ""
            typer.echo(
                f"  {row.topic:>3}  {row.size:>6}  {row.label}{marks}  (group {row.group}: {row.group_label})"
            )
        record = land.meta.get("curation")
        if record:
            typer.echo(
                f"curation.yaml: {record['edits']} edits, {len(record['unmatched'])} not matched"
                f" (landscape curate {directory} shows why)"
            )
        return
    _, record = run_curate(directory, **edits)
    _echo_curation(record)
    typer.echo(f"landscape curated: {directory} (edits in {directory / 'curation.yaml'})")


@app.command()
def refresh(
    config: Annotated[
        Path, typer.Argument(help="Refresh config YAML (sources, queries, where things live).")
    ],
    quiet: QuietOption = False,
):
    """Fetch what is new since the last run, update (or rebuild when due) and regenerate the reports."""
    from landscape.present.living import refresh as run_refresh

    result = run_refresh(config, log=lambda message: typer.echo(message, err=True), quiet=quiet)
    typer.echo(result.message)


@app.command()
def distill(
    out: Annotated[Path, typer.Argument(help="Directory to write the static model to.")],
    base: Annotated[
        str, typer.Option("--base", help="Sentence-transformers model to distill from (local).")
    ] = DEFAULT_MODEL,
    dims: Annotated[int, typer.Option("--dims", min=1, help="Vector length after PCA.")] = DEFAULT_DIMS,
):
    """Distill a fast static embedding model (model2vec) from a local model; use it with --model."""
    from landscape.embed.static import distill_static_model

    path = distill_static_model(out, base, pca_dims=dims)
    typer.echo(f"static model written to {path}; build with: landscape build CORPUS --model {path} -o DIR")


@app.command("prepare-int8")
def prepare_int8(
    force: Annotated[
        bool, typer.Option("--force", help="Rebuild even when a cached model is complete.")
    ] = False,
):
    """Export and quantize the bundled model for int8 embeddings now (otherwise done on first use)."""
    from landscape.embed.onnx_int8 import prepare

    path = prepare(force=force)
    typer.echo(f"int8 model ready: {path}")


@app.command()
def report(
    inputs: Annotated[
        list[Path] | None,
        typer.Argument(help="Corpus file(s) or a saved landscape directory (default: the bundled sample)."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the HTML reports.")] = Path("reports"),
    random_state: Annotated[
        int, typer.Option("--random-state", min=0, max=SEED_MAX, help="Seed for the build.")
    ] = DEFAULT_RANDOM_STATE,
    taxonomy: Annotated[Path | None, typer.Option("--taxonomy", help="Research-area taxonomy YAML.")] = None,
    parameter: Annotated[
        list[str] | None,
        typer.Option("--parameter", "-p", help="Notebook parameter NAME=VALUE (YAML value)."),
    ] = None,
    parameters_file: Annotated[
        Path | None, typer.Option("--parameters", "-y", help="YAML file of notebook parameters.")
    ] = None,
    notebook: Annotated[
        list[str] | None, typer.Option("--notebook", help="Run only this notebook (repeatable).")
    ] = None,
    timeout: Annotated[
        int, typer.Option("--timeout", min=1, help="Seconds one notebook cell may run.")
    ] = 600,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", min=1, help="Notebooks run at once (default: one per CPU core)."),
    ] = None,
    landscape_dir: Annotated[
        Path | None, typer.Option("--landscape-dir", help="Where to build (default: OUT/landscape).")
    ] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Build even with unchanged inputs.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines or bar on stderr.")] = False,
):
    """Build the landscape if needed, run every notebook and write HTML reports with an index page."""
    import time

    from landscape.present.report import parse_parameters
    from landscape.present.report import report as run_report

    if out.exists() and not out.is_dir():
        raise LandscapeError(f"{out}: is a file; reports are written into a folder")
    _check_file_output(out / "index.html")
    start = time.perf_counter()
    from landscape.locations import sample_corpus

    sources = [str(p) for p in inputs] if inputs else [str(sample_corpus())]
    result = run_report(
        sources if len(sources) > 1 else sources[0],
        out,
        parameters=parse_parameters(parameter, parameters_file),
        notebooks=notebook,
        random_state=random_state,
        taxonomy=str(taxonomy) if taxonomy else None,
        landscape_dir=landscape_dir,
        rebuild=rebuild,
        timeout=timeout,
        jobs=jobs,
        log=lambda message: typer.echo(message, err=True),
        quiet=quiet,
    )
    typer.echo(f"{len(result.runs)} reports in {time.perf_counter() - start:.1f} s: {result.index}")


# ---- fetch: papers from arXiv, Hugging Face daily papers and OpenAlex ----------------------------

fetch_app = typer.Typer(
    help="Fetch papers from arXiv, Hugging Face daily papers or OpenAlex into a corpus file.",
    no_args_is_help=False,
)
app.add_typer(fetch_app, name="fetch")

_FetchOut = Annotated[
    Path, typer.Option("--out", "-o", help="Corpus file to write: .parquet, .csv or .jsonl.")
]
_BaseUrl = Annotated[
    str | None,
    typer.Option("--base-url", help="Endpoint to use instead of the public service (mirror, proxy)."),
]
_Timeout = Annotated[
    float, typer.Option("--timeout", min=0.1, help="Total seconds one request may take before retrying.")
]
_Retries = Annotated[int, typer.Option("--retries", min=0, help="Retries on 429/5xx errors and timeouts.")]
_KeepPages = Annotated[
    bool, typer.Option("--keep-pages", help="Keep the fetched pages (<out>.pages/) after writing.")
]


def _fetch_log(message: str) -> None:
    typer.echo(message, err=True)


def _fetch_client(source: str, min_interval: float, timeout: float, retries: int):
    from landscape.fetch.http import PoliteClient

    return PoliteClient(source, min_interval=min_interval, timeout=timeout, retries=retries, log=_fetch_log)


def _fetch_save(frames, out: Path, keep_pages: bool) -> None:
    from landscape.fetch import save_fetched

    saved = save_fetched(frames, out, keep_pages=keep_pages)
    merged = f" ({saved.merged} duplicates merged)" if saved.merged else ""
    typer.echo(f"{saved.papers} papers written to {saved.path}{merged}")
    for source, count in saved.sources.items():
        typer.echo(f"  {count:>6}  {source}")


@fetch_app.command("arxiv")
def fetch_arxiv_command(
    query: Annotated[
        str, typer.Option("--query", "-q", help="arXiv query, e.g. 'abs:unlearning AND cat:cs.LG'.")
    ],
    out: _FetchOut,
    date_from: Annotated[
        str | None, typer.Option("--from", help="Submitted on or after (YYYY[-MM[-DD]]).")
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", help="Submitted on or before (YYYY[-MM[-DD]]).")
    ] = None,
    max_results: Annotated[
        int | None, typer.Option("--max", min=1, help="Stop after this many papers.")
    ] = None,
    page_size: Annotated[
        int, typer.Option("--page-size", min=1, max=2000, help="Papers per request (1-2000).")
    ] = 200,
    base_url: _BaseUrl = None,
    timeout: _Timeout = 30.0,
    retries: _Retries = 4,
    keep_pages: _KeepPages = False,
):
    """Fetch papers from the arXiv API (one request every 3 s; env LANDSCAPE_ARXIV_URL)."""
    from landscape.fetch.arxiv import MIN_INTERVAL, SOURCE, fetch_arxiv
    from landscape.fetch.corpus import check_output_path, date_bound
    from landscape.fetch.pages import pages_dir_for

    check_output_path(out)
    _check_file_output(out)
    frame = fetch_arxiv(
        query,
        date_from=date_bound(date_from, end=False, option="--from"),
        date_to=date_bound(date_to, end=True, option="--to"),
        max_results=max_results,
        page_size=page_size,
        base_url=base_url,
        pages_dir=pages_dir_for(out),
        client=_fetch_client(SOURCE, MIN_INTERVAL, timeout, retries),
        log=_fetch_log,
    )
    _fetch_save([frame], out, keep_pages)


@fetch_app.command("hf-papers")
def fetch_hf_papers_command(
    out: _FetchOut,
    date_from: Annotated[
        str | None, typer.Option("--from", help="First day (YYYY-MM-DD, or YYYY-MM).")
    ] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last day (YYYY-MM-DD, or YYYY-MM).")] = None,
    page: Annotated[
        list[Path] | None, typer.Option("--page", help="A papers page saved as text (repeatable).")
    ] = None,
    base_url: _BaseUrl = None,
    timeout: _Timeout = 30.0,
    retries: _Retries = 4,
    keep_pages: _KeepPages = False,
):
    """Fetch Hugging Face daily papers day by day (env LANDSCAPE_HF_URL), and/or read saved pages."""
    from landscape.fetch.corpus import check_output_path, date_bound
    from landscape.fetch.hf_papers import MIN_INTERVAL, SOURCE, fetch_hf_papers, read_hf_papers_page
    from landscape.fetch.pages import pages_dir_for

    check_output_path(out)
    _check_file_output(out)
    if not page and (date_from is None or date_to is None):
        raise LandscapeError("fetch hf-papers needs --from and --to, or --page FILE")
    frames = [read_hf_papers_page(path) for path in page or []]
    if date_from is not None or date_to is not None:
        frames.append(
            fetch_hf_papers(
                date_bound(date_from, end=False, option="--from"),
                date_bound(date_to, end=True, option="--to"),
                base_url=base_url,
                pages_dir=pages_dir_for(out),
                client=_fetch_client(SOURCE, MIN_INTERVAL, timeout, retries),
                log=_fetch_log,
            )
        )
    _fetch_save(frames, out, keep_pages)


@fetch_app.command("openalex")
def fetch_openalex_command(
    search: Annotated[
        str, typer.Option("--search", "-s", help="Full-text search, e.g. 'machine unlearning'.")
    ],
    out: _FetchOut,
    from_year: Annotated[
        int | None, typer.Option("--from-year", help="Published in or after this year.")
    ] = None,
    to_year: Annotated[
        int | None, typer.Option("--to-year", help="Published in or before this year.")
    ] = None,
    max_results: Annotated[
        int | None, typer.Option("--max", min=1, help="Stop after this many works.")
    ] = None,
    email: Annotated[
        str | None,
        typer.Option("--email", help="Your e-mail for OpenAlex's polite pool (env LANDSCAPE_EMAIL)."),
    ] = None,
    base_url: _BaseUrl = None,
    timeout: _Timeout = 30.0,
    retries: _Retries = 4,
    keep_pages: _KeepPages = False,
):
    """Fetch works from OpenAlex by cursor paging (env LANDSCAPE_OPENALEX_URL)."""
    from landscape.fetch.corpus import check_output_path
    from landscape.fetch.openalex import MIN_INTERVAL, SOURCE, fetch_openalex
    from landscape.fetch.pages import pages_dir_for

    check_output_path(out)
    _check_file_output(out)
    frame = fetch_openalex(
        search,
        from_year=from_year,
        to_year=to_year,
        max_results=max_results,
        email=email,
        base_url=base_url,
        pages_dir=pages_dir_for(out),
        client=_fetch_client(SOURCE, MIN_INTERVAL, timeout, retries),
        log=_fetch_log,
    )
    _fetch_save([frame], out, keep_pages)


@fetch_app.command("merge")
def fetch_merge_command(
    inputs: Annotated[list[Path], typer.Argument(help="Fetched corpus files (.parquet, .csv, .jsonl).")],
    out: _FetchOut,
):
    """Merge fetched corpora: papers with the same arXiv id or normalised title become one."""
    from landscape.fetch.corpus import check_output_path, read_fetched

    check_output_path(out)
    _check_file_output(out)
    _fetch_save([read_fetched(path) for path in inputs], out, keep_pages=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script: user errors are one line (exit 2), never a traceback."""
    try:
        app(args=argv, prog_name="landscape", standalone_mode=False)
    except LandscapeError as exc:
        typer.echo(f"error: {exc}", err=True)
        return 2
    except typer.Exit as exc:
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("aborted", err=True)
        return 1
    except Exception as exc:
        if _is_click_error(exc):
            return _show_usage_error(exc)
        raise
    return 0


def _is_click_error(exc: Exception) -> bool:
    """A usage error from click, or from the copy of click that typer bundles (typer >= 0.17)."""
    import click

    return isinstance(exc, (click.ClickException, typer.TyperException)) and hasattr(exc, "show")


def _show_usage_error(exc) -> int:
    """The command's usage line and the error in one line; exit 2 (click's usage errors are 2)."""
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        typer.echo(ctx.get_usage(), err=True)
    message = " ".join(exc.format_message().split())  # click may wrap the message over lines
    hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
    typer.echo(f"error: {message}{hint}", err=True)
    return max(exc.exit_code, 2) if ctx is not None else 2


if __name__ == "__main__":
    sys.exit(main())
