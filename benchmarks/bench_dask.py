"""Dask distribution layer (``--scheduler``): what it costs against the local process pool.

* Reports: a batch of copies of the bundled scenarios (all formats) through the local pool
  (``render_batch(jobs=2)``) and through a 2-worker ``LocalCluster`` (single-threaded worker
  processes), on the same cores. Expect parity: the point is that nothing is lost. The cluster is
  timed cold (fresh workers, as the pool's are) and again warm (a long-lived cluster).
* Per-task overhead: a no-op task's round trip (submit, wait, result), and the throughput of many
  no-op tasks submitted at once.
* Monte Carlo: seconds per 1,000-trial block locally (one process) vs via the cluster.

Run: ``.venv/bin/python benchmarks/bench_dask.py [--reports 8] [--trials 40000]`` or
``python -m benchmarks dask``.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def scenario_copies(count: int, folder: Path) -> list[Path]:
    """``count`` copies of the bundled scenarios (their ``extends:`` bases copied alongside)."""
    shutil.copytree(ROOT / "scenarios", folder / "scenarios")
    bundled = sorted((folder / "scenarios").glob("*.yaml"))
    paths = []
    for i, source in zip(range(count), itertools.cycle(bundled), strict=False):
        target = source.with_name(f"copy{i:02d}_{source.name}")
        shutil.copyfile(source, target)
        paths.append(target)
    return paths


def _noop(x: int) -> int:
    return x


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=8, help="batch size (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="pool jobs = cluster workers (2)")
    parser.add_argument("--trials", type=int, default=40_000, help="Monte Carlo trials (40,000)")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds, best of (2)")
    parser.add_argument("--keep", action="store_true", help="keep the output folders")
    args = parser.parse_args(argv or [])
    args.rounds = max(1, args.rounds)

    from distributed import Client, LocalCluster

    from msomodel.analysis.cluster import simulate_on_cluster
    from msomodel.analysis.montecarlo import simulate
    from msomodel.analysis_cli import load_with_spec
    from msomodel.report import render_batch

    work = Path(tempfile.mkdtemp(prefix="msomodel-bench-dask-"))
    paths = scenario_copies(args.reports, work)
    n = args.workers
    print(f"{len(paths)} reports (ipynb, html, pdf), {n} workers, {os.cpu_count()} CPUs; "
          f"output in {work}", flush=True)
    out: dict[str, object] = {"reports": len(paths), "workers": n, "cpus": os.cpu_count()}
    # Interleaved rounds, best of each: other work on the machine shifts single runs by 10-20 %.
    runs: dict[str, list[float]] = {"pool": [], "cold": [], "warm": [], "startup": []}
    cluster = client = None
    try:
        for r in range(args.rounds):
            started = time.perf_counter()
            pool = render_batch(paths, work / f"pool{r}", jobs=n, progress=False)
            runs["pool"].append(time.perf_counter() - started)
            assert not pool.failed, [x.error for x in pool.failed]
            if client is not None:
                client.close()
                cluster.close()
            started = time.perf_counter()
            cluster = LocalCluster(n_workers=n, processes=True, threads_per_worker=1,
                                   dashboard_address=":0", silence_logs=logging.ERROR)
            client = Client(cluster)
            runs["startup"].append(time.perf_counter() - started)
            for name in ("cold", "warm"):
                started = time.perf_counter()
                batch = render_batch(paths, work / f"{name}{r}", progress=False, scheduler=client)
                runs[name].append(time.perf_counter() - started)
                assert not batch.failed, [x.error for x in batch.failed]
            print(f"  round {r + 1}: pool {runs['pool'][-1]:.1f} s, cluster cold "
                  f"{runs['cold'][-1]:.1f} s, warm {runs['warm'][-1]:.1f} s", flush=True)
        pool_s, cold_s, warm_s, startup_s = (min(runs[k]) for k in ("pool", "cold", "warm",
                                                                    "startup"))
        print(f"reports (best of {args.rounds}): local pool {pool_s:6.1f} s "
              f"({len(paths) / pool_s * 60:.1f}/min)   cluster cold {cold_s:6.1f} s "
              f"({len(paths) / cold_s * 60:.1f}/min, +{startup_s:.1f} s cluster start)   "
              f"warm {warm_s:6.1f} s   throughput cluster/pool: cold x{pool_s / cold_s:.2f}, "
              f"warm x{pool_s / warm_s:.2f}", flush=True)
        out.update(pool_s=round(pool_s, 2), cluster_cold_s=round(cold_s, 2),
                   cluster_warm_s=round(warm_s, 2), cluster_startup_s=round(startup_s, 2),
                   throughput_ratio_cold=round(pool_s / cold_s, 3),
                   throughput_ratio_warm=round(pool_s / warm_s, 3),
                   report_s_per_report_pool=round(pool_s / len(paths), 3),
                   report_s_per_report_cluster=round(cold_s / len(paths), 3),
                   runs={k: [round(v, 2) for v in vs] for k, vs in runs.items()})
        if client is not None:
            # -- per-task overhead: no-op round trips, and many no-ops at once
            client.submit(_noop, -1, pure=False).result()
            rounds = 200
            started = time.perf_counter()
            for i in range(rounds):
                client.submit(_noop, i, pure=False).result()
            round_trip_ms = (time.perf_counter() - started) / rounds * 1e3
            many = 2000
            started = time.perf_counter()
            client.gather(client.map(_noop, range(many), pure=False))
            per_task_ms = (time.perf_counter() - started) / many * 1e3
            print(f"no-op task: round trip {round_trip_ms:.2f} ms; {many} at once "
                  f"{per_task_ms:.3f} ms per task", flush=True)
            out.update(noop_round_trip_ms=round(round_trip_ms, 3),
                       noop_batched_ms_per_task=round(per_task_ms, 4))

            # -- Monte Carlo blocks
            scenario, section, source = load_with_spec(str(ROOT / "scenarios" /
                                                           "texas_rn_single_site.yaml"))
            simulate(scenario, section, 1000, 1, source=source)  # warm caches
            started = time.perf_counter()
            local = simulate(scenario, section, args.trials, 1, source=source)
            local_s = time.perf_counter() - started
            simulate_on_cluster(scenario, section, 2000, 1, client, source=source)  # warm workers
            started = time.perf_counter()
            remote = simulate_on_cluster(scenario, section, args.trials, 1, client, source=source,
                                         groups_per_task=1)
            remote_s = time.perf_counter() - started
            assert remote.percentiles().equals(local.percentiles())
            blocks = -(-args.trials // 1000)
            local_block_ms = local_s / blocks * 1e3
            remote_block_ms = remote_s / blocks * 1e3
            overhead_ms = (remote_s * n - local_s) / blocks * 1e3  # worker time beyond the work
            print(f"Monte Carlo {args.trials:,} trials ({blocks} blocks): local {local_s:.2f} s "
                  f"({local_block_ms:.1f} ms/block, 1 process)   cluster {remote_s:.2f} s "
                  f"({remote_block_ms:.1f} ms/block wall, {n} workers, 1 block per task; speed-up "
                  f"x{local_s / remote_s:.2f}; overhead ~{overhead_ms:.1f} ms/block); "
                  f"identical percentiles", flush=True)
            started = time.perf_counter()
            grouped = simulate_on_cluster(scenario, section, args.trials, 1, client,
                                          source=source)
            grouped_s = time.perf_counter() - started
            assert grouped.percentiles().equals(local.percentiles())
            print(f"  default grouping (blocks per task ~ blocks / (4 x workers), <= 8): cluster "
                  f"{grouped_s:.2f} s (speed-up "
                  f"x{local_s / grouped_s:.2f})", flush=True)
            out.update(mc_cluster_default_grouping_s=round(grouped_s, 3),
                       mc_speedup_default_grouping=round(local_s / grouped_s, 3))
            out.update(mc_trials=args.trials, mc_blocks=blocks, mc_local_s=round(local_s, 3),
                       mc_cluster_s=round(remote_s, 3),
                       mc_local_ms_per_block=round(local_block_ms, 2),
                       mc_cluster_wall_ms_per_block=round(remote_block_ms, 2),
                       mc_speedup=round(local_s / remote_s, 3),
                       mc_overhead_ms_per_block=round(overhead_ms, 2))
    finally:
        if client is not None:
            client.close()
            cluster.close()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return out


if __name__ == "__main__":
    import sys

    print(main(sys.argv[1:]))
