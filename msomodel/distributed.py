"""Connecting to a Dask cluster for ``--scheduler`` (reports and Monte Carlo).

``--scheduler`` takes either the address of a running Dask scheduler (``tcp://HOST:8786``; any
``scheme://`` Dask understands, or a bare ``HOST:PORT`` taken as TCP) or ``local`` / ``local:N``,
which starts a :class:`distributed.LocalCluster` of ``N`` single-threaded worker processes
(default: one per CPU) for the run and closes it afterwards.

Dask is an optional extra (``pip install 'msomodel[dask]'``): nothing here imports it until a
scheduler is actually requested, and a missing install or an unreachable scheduler raises
:class:`ClusterError` with a message for people (the commands print it and exit with code 2).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

INSTALL_HINT = "install msomodel[dask] (pip install 'msomodel[dask]')"
DEFAULT_TIMEOUT_S = 10.0
#: Seconds to wait for a scheduler to answer (default 10).
TIMEOUT_ENV = "MSOMODEL_SCHEDULER_TIMEOUT"
_ADDRESS = re.compile(r"^(?:(?P<scheme>[a-z][a-z0-9+.-]*)://)?(?P<rest>[^\s/]+)$", re.IGNORECASE)
_LOCAL = re.compile(r"^local(?::(?P<n>\S*))?$", re.IGNORECASE)


class ClusterError(RuntimeError):
    """A ``--scheduler`` that cannot be used; ``str()`` is the whole message for the user."""


@dataclass(frozen=True)
class SchedulerSpec:
    """A parsed ``--scheduler``: a local cluster of ``n_workers``, or a scheduler ``address``."""

    local: bool
    n_workers: int = 0
    address: str = ""

    def __str__(self) -> str:
        return f"local:{self.n_workers}" if self.local else self.address


def parse_scheduler(text: str) -> SchedulerSpec:
    """``local`` / ``local:N`` / ``tcp://HOST:PORT`` (or ``HOST:PORT``) → :class:`SchedulerSpec`."""
    text = (text or "").strip()
    local = _LOCAL.match(text)
    if local:
        n = local.group("n")
        if n is None or n == "":
            return SchedulerSpec(local=True, n_workers=os.cpu_count() or 1)
        if not n.isdigit() or int(n) < 1:
            raise ClusterError(f"--scheduler: expected local:N with N a whole number >= 1, "
                               f"found {text!r}")
        return SchedulerSpec(local=True, n_workers=int(n))
    match = _ADDRESS.match(text)
    if not match or ":" not in match.group("rest"):
        raise ClusterError(f"--scheduler: expected tcp://HOST:PORT or local[:N], found {text!r}")
    scheme = (match.group("scheme") or "tcp").lower()
    return SchedulerSpec(local=False, address=f"{scheme}://{match.group('rest')}")


def require_dask() -> None:
    """Raise :class:`ClusterError` naming the extra to install if dask.distributed is missing."""
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        raise ClusterError(f"--scheduler needs Dask, which is not installed ({exc.name}): "
                           f"{INSTALL_HINT}") from None


@contextmanager
def connect(scheduler: str, timeout: float | None = None) -> Iterator[Any]:
    """A ``distributed.Client`` for ``scheduler``, closed (with any cluster it started) on exit.

    ``local[:N]`` starts ``LocalCluster(n_workers=N, processes=True, threads_per_worker=1)``.
    An address is connected to within ``timeout`` seconds (default: ``$MSOMODEL_SCHEDULER_TIMEOUT``
    or 10) or :class:`ClusterError` is raised.
    """
    spec = parse_scheduler(scheduler)
    if timeout is None:
        timeout = _timeout_from_env()
    require_dask()
    from distributed import Client, LocalCluster

    cluster = None
    try:
        if spec.local:
            cluster = LocalCluster(n_workers=spec.n_workers, processes=True, threads_per_worker=1,
                                   dashboard_address=":0", silence_logs=logging.ERROR)
            client = Client(cluster)
        else:
            client = _client_for(spec.address, timeout)
    except ClusterError:
        raise
    except Exception as exc:  # a cluster that would not start
        if cluster is not None:
            cluster.close()
        raise ClusterError(f"--scheduler {scheduler}: could not start a local Dask cluster: "
                           f"{type(exc).__name__}: {exc}") from None
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _client_for(address: str, timeout: float) -> Any:
    from distributed import Client

    try:
        return Client(address, timeout=timeout)
    except Exception as exc:  # OSError, TimeoutError, ValueError for an unknown scheme, ...
        text = str(exc).splitlines()[0] if str(exc) else ""
        if isinstance(exc, OSError | TimeoutError) or "timed out" in text.lower():
            reason = f"no answer within {timeout:g} s"
        else:
            reason = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
        raise ClusterError(f"--scheduler {address}: cannot reach a Dask scheduler ({reason}). "
                           f"Start one with `dask scheduler` and workers with "
                           f"`dask worker {address}`.") from None


def _timeout_from_env() -> float:
    text = os.environ.get(TIMEOUT_ENV, "")
    try:
        value = float(text) if text else DEFAULT_TIMEOUT_S
    except ValueError:
        raise ClusterError(f"{TIMEOUT_ENV}: expected a number of seconds, found {text!r}") from None
    return value if value > 0 else DEFAULT_TIMEOUT_S


def worker_slots(client: Any) -> int:
    """Threads across the cluster's workers right now (0 while no worker is connected)."""
    return sum(client.nthreads().values())
