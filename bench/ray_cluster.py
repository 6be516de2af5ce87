"""The Ray engine on a real two-node Ray cluster on 127.0.0.1 (one CPU per node), against the local engine.

Starts ``ray start --head --num-cpus 1`` and ``ray start --address 127.0.0.1:PORT --num-cpus 1`` (both
with ``--block``, so that stopping them stops every process they started), then measures on real dev
papers (``../shared/data/papers_dev.parquet``), ``--papers N`` of them twice over:

- **whole run**: N papers on a fresh engine, as a user's build sees it: the local engine with its
  model load, the Ray engine with 1 worker and with 2 workers (one per node) with their actor start
  and model load (the driver is already connected to the cluster);
- **steady state**: the next N papers on the same engine, whose workers are running with the model
  loaded (what every paper after the first minute of a large build costs);
- per run the driver's CPU seconds (it should do no heavy work while the workers run), the seconds
  until the first worker was ready, and the workers' own rate over their busy time;
- cosine between Ray and local vectors at the same precision (``auto``, which is bf16 on a CPU with
  native bf16, and fp32), blocks sent and papers per node, torch threads per worker;
- identical topics: a topic model fitted on the local vectors of the first N papers, all 2N papers
  assigned by the local engine from the local vectors and by the Ray engine from the Ray vectors;
- per-paper costs for the README's scaling section: embedding, assignment and fit per 1,000 papers,
  memory per paper on the driver and per worker.

The cluster is stopped at the end, and the whole run is bounded (``--timeout``). Timings need a quiet
machine: the 1-minute load average is printed with every number.

    python bench/ray_cluster.py                      # 2 x 2,000 papers, one repeat
    python bench/ray_cluster.py --papers 3000 --repeats 2
    python bench/ray_cluster.py --papers 40 --fp32-papers 20   # a quick check of the mechanics
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

DEV_DATA = Path(__file__).resolve().parents[1].parent / "shared/data/papers_dev.parquet"
RAY = str(Path(sys.executable).with_name("ray"))
STOP_SECONDS = 40  # how long the nodes get to stop (they drain for up to 30 s) before they are killed
# A throw-away cluster on 127.0.0.1: no token (a real cluster keeps Ray's default token authentication,
# see the README), a small object store, no usage stats.
CLUSTER_ENV = {"RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}


def load() -> float:
    return round(os.getloadavg()[0], 2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- the cluster ----------------------------------------------------------------------------------
def node_command(temp_dir: str, port: int, head: bool) -> list[str]:
    """``ray start`` for one node of one CPU on 127.0.0.1, blocking (it stops its processes on SIGTERM)."""
    common = [
        "--num-cpus",
        "1",
        "--num-gpus",
        "0",
        "--block",
        "--node-ip-address",
        "127.0.0.1",
        "--dashboard-agent-listen-port",
        str(free_port()),
        "--metrics-export-port",
        str(free_port()),
        "--object-store-memory",
        str(500 * 2**20),
        "--disable-usage-stats",
    ]
    if head:
        return [RAY, "start", "--head", "--port", str(port), "--include-dashboard", "false",
                "--temp-dir", temp_dir, *common]  # fmt: skip
    return [RAY, "start", "--address", f"127.0.0.1:{port}", *common]


@contextlib.contextmanager
def two_node_cluster(timeout: float = 120):
    """Yield the address of a running two-node local cluster; stop both nodes afterwards."""
    import ray

    temp_dir = tempfile.mkdtemp(prefix="rb", dir="/tmp")  # short: Ray's socket paths are limited
    port = free_port()
    procs = []
    logs = Path(temp_dir) / "start-logs"
    logs.mkdir()
    os.environ.update(CLUSTER_ENV)  # for `ray status` and this driver too
    try:
        for i, head in enumerate((True, False)):
            out = open(logs / f"node{i}.log", "w")  # noqa: SIM115 (closed with the process)
            procs.append(
                subprocess.Popen(node_command(temp_dir, port, head), stdout=out, stderr=subprocess.STDOUT)
            )
            deadline = time.monotonic() + timeout
            address = f"127.0.0.1:{port}"
            while True:  # wait until this node is up (the head before the worker joins)
                if any(p.poll() is not None for p in procs):
                    raise RuntimeError(f"ray start failed: {(logs / f'node{i}.log').read_text()[-2000:]}")
                if head and ray_up(address, 1) or not head and ray_up(address, 2):
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the Ray node {i} did not start within {timeout:.0f} s")
                time.sleep(1)
        yield address
    finally:
        if ray.is_initialized():
            ray.shutdown()
        for p in reversed(procs):  # our own `ray start --block` processes, by their ids
            p.send_signal(signal.SIGTERM)
        for p in reversed(procs):
            try:
                p.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def ray_up(address: str, nodes: int) -> bool:
    """Whether the cluster at ``address`` has ``nodes`` live nodes (asked with `ray status`)."""
    proc = subprocess.run(
        [RAY, "status", "--address", address], capture_output=True, text=True, timeout=60, check=False
    )
    return proc.returncode == 0 and proc.stdout.count("node_") >= nodes


# ---- measuring ------------------------------------------------------------------------------------
class PeakRSS(threading.Thread):
    """Peak resident memory of this process and of the Ray workers, sampled every 0.5 s (a scan costs
    the driver about 3 ms of CPU)."""

    def __init__(self):
        super().__init__(daemon=True)
        import psutil

        self.psutil = psutil
        self.me = psutil.Process()
        self.driver = self.worker = 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            self.driver = max(self.driver, self.me.memory_info().rss)
            for p in self.psutil.process_iter(["cmdline", "memory_info"]):
                cmd = " ".join(p.info["cmdline"] or [])
                if cmd.startswith("ray::") and "_Worker" in cmd and p.info["memory_info"]:
                    self.worker = max(self.worker, p.info["memory_info"].rss)
            time.sleep(0.5)


def timed(fn, *args):
    started_load = load()
    t0, cpu0 = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, time.perf_counter() - t0, time.process_time() - cpu0, started_load


def cosine(a, b) -> float:
    return float(np.min(np.sum(a * b, axis=1)))


RATIOS = (("whole_run", "cold"), ("steady", "warm"))


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=2000, help="papers per run (2x this are read)")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--fp32-papers", type=int, default=200, help="papers for the fp32 comparison")
    parser.add_argument("--timeout", type=int, default=1200, help="seconds the whole run may take")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    def out_of_time(*_):
        raise TimeoutError(f"the benchmark ran past --timeout {args.timeout} s")

    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(args.timeout)

    import pandas as pd

    from landscape.embed.embedder import Embedder, paper_text
    from landscape.model.topics import TopicModel, topic_texts
    from landscape.pipeline.engine import LocalEngine, RayEngine

    papers = pd.read_parquet(DEV_DATA, columns=["title", "abstract"]).head(2 * args.papers)
    texts = [paper_text(t, a) for t, a in zip(papers["title"], papers["abstract"], strict=True)]
    n = len(texts) // 2
    parts = {"cold": texts[:n], "warm": texts[n : 2 * n]}
    r: dict = {"papers": n, "cpus": os.cpu_count(), "runs": []}

    def run(what, fn, *fn_args, **extra):
        out, seconds, cpu, started = timed(fn, *fn_args)
        entry = {"what": what, "seconds": round(seconds, 2), "driver_cpu_s": round(cpu, 2)}
        entry |= {"load_before": started, "load_after": load(), **{k: v() for k, v in extra.items()}}
        r["runs"].append(entry)
        return out, seconds

    local = LocalEngine()
    local_vectors = None
    for _ in range(args.repeats):  # on this machine's cores, before the cluster exists
        emb = Embedder(cache_dir=False)  # loads its model in the first (cold) run
        local_vectors = np.vstack([run(f"local, {part}", local.embed, emb, parts[part])[0] for part in parts])

    with two_node_cluster() as address:
        engines = {k: RayEngine(address=address, workers=k) for k in (1, 2)}
        engines[2]._ray()  # the driver connects once; the workers start in each engine's cold run
        sampler = PeakRSS()
        driver_before = sampler.me.memory_info().rss
        sampler.start()
        ray_vectors = None
        for _ in range(args.repeats):
            for k, e in engines.items():
                driver = Embedder(cache_dir=False)  # the driver never loads the model with Ray
                name = f"ray, {k} worker{'s' * (k > 1)}"
                vectors = []
                for part in parts:
                    out, _s = run(
                        f"{name}, {part}",
                        e.embed,
                        driver,
                        parts[part],
                        ready_s=lambda e=e, p=part: e.last_run_["ready_s"] if p == "cold" else None,
                        worker_rate=lambda e=e: e.last_run_["worker_docs_per_s"],
                        blocks=lambda e=e: e.last_run_["blocks"],
                        rows_per_node=lambda e=e: sorted(e.last_run_["rows_per_node"].values()),
                    )
                    vectors.append(out)
                if k == 2:
                    ray_vectors, r["last_run"] = np.vstack(vectors), e.last_run_
                e.close()  # its CPUs go back to the cluster for the next engine (fresh workers)
        sampler.stop.set()
        r["driver_mb"] = round((sampler.driver - driver_before) / 2**20, 1)
        r["worker_peak_mb"] = round(sampler.worker / 2**20)
        r["cosine_auto"] = cosine(local_vectors, ray_vectors)
        r["precision_auto"] = r["last_run"]["precisions"]
        r["threads_per_worker"] = r["last_run"]["threads_per_worker"]

        m = min(args.fp32_papers, n)
        r["cosine_fp32"] = cosine(
            local.embed(Embedder(cache_dir=False, precision="fp32"), texts[:m]),
            engines[2].embed(Embedder(cache_dir=False, precision="fp32"), texts[:m]),
        )

        # topics: fitted on the local vectors of the first n papers, then all 2n assigned on both paths
        model, fit_s = run("fit topic model", TopicModel(random_state=42, verbose=False).fit,
                           topic_texts(papers.head(n)), local_vectors[:n])  # fmt: skip
        centroids, threshold = model.centroids_, model.assign_threshold_
        mine, assign_local_s = run("assign, local", local.assign, local_vectors, centroids, threshold)
        theirs, assign_ray_s = run("assign, ray", engines[2].assign, ray_vectors, centroids, threshold)
        r["assign_blocks"] = engines[2].last_run_["blocks"]
        r["topics"] = int(len(centroids))
        r["topics_identical_share"] = float(np.mean(mine == theirs))
        engines[2].close()

    signal.alarm(0)
    for kind, part in RATIOS:
        best = {}  # the best of the repeats: the least disturbed by the rest of the machine
        for x in r["runs"]:
            what, _, phase = x["what"].rpartition(", ")
            if phase == part:
                best[what] = max(best.get(what, 0), n / x["seconds"])
        r[f"papers_per_s_{kind}"] = {k: round(v, 1) for k, v in best.items()}
        two, one, here = (best.get(k) for k in ("ray, 2 workers", "ray, 1 worker", "local"))
        r[f"speedup_2_vs_1_{kind}"] = round(two / one, 2) if two and one else None
        r[f"ray_vs_local_{kind}"] = round(two / here, 2) if two and here else None
    fit = next(x for x in r["runs"] if x["what"] == "fit topic model")["seconds"]
    r["embed_s_per_1k_per_worker"] = round(1000 / r["papers_per_s_steady"]["ray, 1 worker"], 1)
    r["fit_s_per_1k"] = round(fit / n * 1000, 2)
    r["assign_local_ms_per_1k"] = round(assign_local_s / (2 * n) * 1e6, 2)
    r["assign_ray_s"] = round(assign_ray_s, 2)
    r["driver_kb_per_paper"] = round(r["driver_mb"] * 1024 / (2 * n), 1)
    report(r)
    if args.json:
        args.json.write_text(json.dumps(r, indent=2))
    return r


def report(r: dict) -> None:
    n = r["papers"]
    print(f"{n} + {n} dev papers, {r['cpus']} CPU cores; two Ray nodes of 1 CPU on 127.0.0.1\n")
    print(
        f"{'run':<24} {'seconds':>8} {'papers/s':>9} {'driver cpu s':>12} {'ready s':>8} {'worker/s':>9}"
        "  blocks (papers per node)  load before/after"
    )
    for x in r["runs"]:
        embedding = "ready_s" in x or x["what"].startswith("local,")
        rate = f"{n / x['seconds']:.1f}" if embedding else ""
        ready = "" if x.get("ready_s") is None else f"{x['ready_s']:.1f}"
        worker = "" if x.get("worker_rate") is None else f"{x['worker_rate']:.1f}"
        blocks = f"{x['blocks']} {x['rows_per_node']}" if "blocks" in x else ""
        print(
            f"{x['what']:<24} {x['seconds']:>8.2f} {rate:>9} {x['driver_cpu_s']:>12.2f} {ready:>8} "
            f"{worker:>9}  {blocks:<24}  {x['load_before']}/{x['load_after']}"
        )
    print(
        f"\n(cold: the first {n} papers on a fresh engine, model load and Ray actor start included; warm:"
        f" the next {n} on the same workers. ready s: until the first worker had its model)"
    )
    for kind, part in RATIOS:
        print(
            f"{kind} ({part}): 2 vs 1 worker {r[f'speedup_2_vs_1_{kind}']}x (target >= 1.7); ray with 2 "
            f"workers vs local {r[f'ray_vs_local_{kind}']}x (target >= 0.8)"
        )
    lr = r["last_run"]
    print(
        f"{r['assign_blocks']} blocks for assignment; torch threads per worker: {r['threads_per_worker']};"
        f" worker precision: {r['precision_auto']}"
    )
    print(
        f"cosine ray vs local, min over papers: auto {r['cosine_auto']:.6f}, fp32 {r['cosine_fp32']:.6f} "
        "(target >= 0.9999)"
    )
    print(
        f"topics: {r['topics']}, identical on both paths for {r['topics_identical_share']:.2%} of the papers"
    )
    print(
        f"embedding {r['embed_s_per_1k_per_worker']} s per 1,000 papers per 1-CPU worker (steady); fit "
        f"{r['fit_s_per_1k']} s per 1,000 papers (fitted on {n}); assignment "
        f"{r['assign_local_ms_per_1k']} ms per 1,000 local, {r['assign_ray_s']} s on the running Ray "
        f"workers for {2 * n}"
    )
    print(
        f"memory: driver +{r['driver_mb']} MB during the ray runs ({r['driver_kb_per_paper']} kB per paper); "
        f"peak RSS per worker {r['worker_peak_mb']} MB; last run {lr['seconds']} s"
    )


if __name__ == "__main__":
    main()
