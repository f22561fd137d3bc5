"""Monte Carlo on a Dask cluster: the local run's block groups as tasks, reduced on the client.

The problem (compiled inputs, sampling plan, seed; a few tens of kB) is submitted once as a
task of its own, so every worker fetches it once and the scheduler can recompute it if the
worker holding it dies (a scattered value could not be). Each task evaluates the very block
groups the local driver evaluates (:func:`~msomodel.analysis.montecarlo.block_groups`) with
:func:`~msomodel.analysis.montecarlo.run_blocks`, a pure function of (problem, blocks), so the
results are identical to :func:`~msomodel.analysis.montecarlo.simulate` for the same seed
whatever the number of workers or the order in which blocks finish.
"""

from __future__ import annotations

import sys
import uuid
from typing import Any

from msomodel.analysis.montecarlo import (
    BLOCK_SIZE,
    DEFAULT_CHUNK_SIZE,
    BlockResult,
    MonteCarloProblem,
    SimulationResult,
    block_groups,
    finish,
    prepare,
    run_blocks,
)
from msomodel.analysis.spec import UncertaintySpec
from msomodel.scenario import Scenario

RETRIES = 1
MAX_GROUPS_PER_TASK = 8


def simulate_on_cluster(scenario: Scenario, spec: UncertaintySpec | dict | None, trials: int,
                        seed: int, scheduler: str | Any,
                        chunk_size: int | None = DEFAULT_CHUNK_SIZE, *,
                        block_size: int = BLOCK_SIZE, source: str | None = None,
                        groups_per_task: int | None = None,
                        progress: bool = False) -> SimulationResult:
    """:func:`~msomodel.analysis.montecarlo.simulate` with the blocks evaluated on Dask.

    ``scheduler``: ``tcp://HOST:PORT``, ``local[:N]`` or a connected ``distributed.Client``.
    ``groups_per_task`` block groups (one block each at the default chunk size) go into one
    task (default: enough for about four tasks per worker thread, at most 8); it changes the
    per-task overhead and the work lost with a worker, never the numbers. Raises
    :class:`msomodel.distributed.ClusterError` when the scheduler cannot be used.
    """
    if chunk_size is not None and chunk_size < 1:
        raise ValueError(f"chunk_size: expected a whole number >= 1, found {chunk_size}")
    if groups_per_task is not None and groups_per_task < 1:
        raise ValueError(f"groups_per_task: expected a whole number >= 1, found {groups_per_task}")
    problem = prepare(scenario, spec, trials, seed, block_size=block_size, source=source)
    if isinstance(scheduler, str):
        from msomodel.distributed import connect

        with connect(scheduler) as client:
            results = run_on_client(client, problem, chunk_size, groups_per_task, progress)
    else:
        results = run_on_client(scheduler, problem, chunk_size, groups_per_task, progress)
    return finish(scenario, problem, results)


def run_on_client(client: Any, problem: MonteCarloProblem,
                  chunk_size: int | None = DEFAULT_CHUNK_SIZE,
                  groups_per_task: int | None = None, progress: bool = False) -> list[BlockResult]:
    """Every block of ``problem`` evaluated on ``client``'s cluster (in any order)."""
    from distributed import as_completed
    from tqdm import tqdm

    from msomodel.distributed import worker_slots

    groups = block_groups(problem, chunk_size)
    if groups_per_task is None:
        slots = max(1, worker_slots(client))
        groups_per_task = max(1, min(MAX_GROUPS_PER_TASK, len(groups) // (4 * slots)))
    run = uuid.uuid4().hex[:8]
    shared = client.submit(_identity, problem, pure=False, key=f"msomodel-problem-{run}")
    futures = [client.submit(_run_groups, shared, groups[i:i + groups_per_task], chunk_size,
                             retries=RETRIES, key=f"msomodel-blocks-{run}-{i}")
               for i in range(0, len(groups), groups_per_task)]
    results: list[BlockResult] = []
    bar = tqdm(total=problem.n_blocks, unit="block", file=sys.stderr, disable=not progress,
               dynamic_ncols=True, desc="blocks")
    try:
        for future in as_completed(futures):
            part = future.result()
            results += part
            bar.update(len(part))
    except BaseException:
        client.cancel([*futures, shared])
        raise
    finally:
        bar.close()
    shared.release()
    return results


def _identity(value: Any) -> Any:
    return value


def _run_groups(problem: MonteCarloProblem, groups: list[list[int]],
                chunk_size: int | None) -> list[BlockResult]:
    """One task: the given block groups, each exactly as the local driver evaluates it."""
    out: list[BlockResult] = []
    for blocks in groups:
        out += run_blocks(problem, blocks, chunk_size)
    return out
