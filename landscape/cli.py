"""The ``landscape`` command: a thin layer that parses options, calls the package and prints.

Heavy modules are imported inside the commands so that ``landscape --help`` starts fast. Expected
user errors (``LandscapeError``) are printed as one line and exit with status 2, without a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from landscape.schema import LandscapeError

app = typer.Typer(
    name="landscape",
    help="Turn a pile of paper abstracts into a map of a research field.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root():
    """Turn a pile of paper abstracts into a map of a research field."""


# ---- commands -----------------------------------------------------------------------------------
# (each command: parse, call one package function, print; keep heavy imports inside the function)


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


@app.command()
def build(
    inputs: Annotated[list[Path], typer.Argument(help="Corpus files (CSV, JSONL, JSON, Parquet, …).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Landscape directory to write.")],
    random_state: Annotated[int, typer.Option("--random-state", help="Seed for every stochastic step.")] = 42,
    taxonomy: Annotated[
        Path | None, typer.Option("--taxonomy", help="Research-area taxonomy YAML (default: bundled AI/ML).")
    ] = None,
    model: Annotated[str, typer.Option("--model", help="Sentence-transformers model name or path.")] = (
        "all-MiniLM-L6-v2"
    ),
    embeddings: Annotated[
        Path | None, typer.Option("--embeddings", help="Precomputed embeddings (.npy).")
    ] = None,
    column: Annotated[list[str] | None, typer.Option("--column", help="Map a column: SOURCE=TARGET.")] = None,
    min_cluster_size: Annotated[
        int | None, typer.Option("--min-cluster-size", help="Smallest topic (default: scaled).")
    ] = None,
    nr_topics: Annotated[int | None, typer.Option("--nr-topics", help="Merge topics to this count.")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not use the embedding cache.")] = False,
):
    """Build a topic landscape from corpus files and save it to a directory."""
    from landscape.build import build as run_build

    topic_params = {"min_cluster_size": min_cluster_size, "nr_topics": nr_topics}
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
        log=lambda message: typer.echo(message, err=True),
    )
    counts = land.meta["counts"]
    typer.echo(
        f"{counts['papers']} papers, {counts['topics']} topics, "
        f"{counts['outlier_share']:.1%} unassigned, {counts.get('rejected', 0)} rejected"
    )
    for row in land.topics.head(30).itertuples():
        typer.echo(f"  {row.topic:>3}  {row.size:>5}  {row.label}  [{row.area}]")
    if len(land.topics) > 30:
        typer.echo(f"  … {len(land.topics) - 30} more topics")
    typer.echo(f"landscape written to {out}")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    try:
        app(args=argv, prog_name="landscape", standalone_mode=False)
    except LandscapeError as exc:
        typer.echo(f"error: {exc}", err=True)
        return 2
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        typer.echo("aborted", err=True)
        return 1
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            return exc.exit_code
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
