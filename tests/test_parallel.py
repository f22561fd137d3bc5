"""msomodel.parallel.split_map: the plain loop's results on any number of processes, whatever
a child does; the decision and the ``msomodel`` program on one process or two.

The test process itself has threads (numpy's BLAS pool), where split_map never forks, so each
check runs in a fresh interpreter with ``OPENBLAS_NUM_THREADS=1``, as the program sets it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FLORIDA = "scenarios/florida_entrepreneur_five_sites.yaml"
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}

if not sys.platform.startswith("linux"):  # pragma: no cover
    pytest.skip("split_map forks on Linux only (elsewhere it is the plain loop)",
                allow_module_level=True)


#: Defined for every script :func:`_python` runs.
_PRELUDE = """
import os as _os
FORKS = []  # the children this process forked
_fork = _os.fork
def _counting_fork():
    pid = _fork()
    if pid:
        FORKS.append(pid)
    return pid
_os.fork = _counting_fork

def children_left():
    import os
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return False
    return True
"""


def _python(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; the JSON it prints last."""
    out = subprocess.run([sys.executable, "-c", _PRELUDE + textwrap.dedent(code)], cwd=ROOT,
                         env=ENV, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_results_are_the_loops_in_order_on_any_number_of_processes():
    found = _python("""
        import json, os
        import numpy as np
        from msomodel.parallel import can_fork, split_map
        me = os.getpid()
        fn = lambda k: (k, os.getpid(), np.arange(k, dtype=float) ** 0.5)
        serial = [fn(k) for k in range(7)]
        out = {"can_fork": can_fork()}
        for workers in (1, 2, 3, 4, 9):
            got = split_map(fn, list(range(7)), workers)
            same = all(a[0] == b[0] and np.array_equal(a[2], b[2]) for a, b in zip(got, serial))
            out[str(workers)] = {"same": same and len(got) == 7,
                                 "processes": len({pid for _, pid, _ in got}),
                                 "first_here": got[0][1] == me}
        print(json.dumps(out))
    """)
    assert found["can_fork"] is True
    for workers, processes in (("1", 1), ("2", 2), ("3", 3), ("4", 4), ("9", 7)):
        assert found[workers] == {"same": True, "processes": processes, "first_here": True}


def test_work_a_child_does_not_deliver_is_done_here():
    found = _python("""
        import json, os, signal
        from msomodel.parallel import split_map
        me = os.getpid()

        def raises(k):
            if os.getpid() != me:
                raise RuntimeError("only in the child")
            return k * k

        def killed(k):
            if os.getpid() != me:
                os.kill(os.getpid(), signal.SIGKILL)
            return k * k

        def unpicklable(k):
            return (k * k, lambda: k) if os.getpid() != me else (k * k, None)

        out = {"raises": split_map(raises, list(range(6)), 2),
               "killed": split_map(killed, list(range(6)), 3),
               "unpicklable": [v for v, _ in split_map(unpicklable, list(range(6)), 2)]}
        out["forks"] = len(FORKS)  # 1 + 2 + 1: each part went to a child, which failed
        out["children_left"] = children_left()

        counting = os.fork  # the system refuses the second fork (EAGAIN)
        calls = []
        def refusing():
            calls.append(1)
            if len(calls) == 2:
                raise BlockingIOError(11, "Resource temporarily unavailable")
            return counting()
        os.fork = refusing
        fds = len(os.listdir("/proc/self/fd"))
        out["refused"] = split_map(lambda k: k * k, list(range(6)), 3)
        out["fds_leaked"] = len(os.listdir("/proc/self/fd")) - fds
        os.fork = counting
        out["children_left_after_refusal"] = children_left()

        signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children reaped by the kernel
        before = len(FORKS)
        out["sigchld_ignored"] = split_map(lambda k: (k * k, os.getpid() != me), [0, 1], 2)
        out["forked_with_sigchld_ignored"] = len(FORKS) - before
        print(json.dumps(out))
    """)
    squares = [k * k for k in range(6)]
    assert found == {"raises": squares, "killed": squares, "unpicklable": squares, "forks": 4,
                     "children_left": False, "refused": squares, "fds_leaked": 0,
                     "children_left_after_refusal": False,
                     "sigchld_ignored": [[0, False], [1, True]],
                     "forked_with_sigchld_ignored": 1}


def test_an_error_here_stops_the_children_and_propagates():
    found = _python("""
        import json, os, time
        from msomodel.parallel import split_map
        me = os.getpid()

        def fn(k):
            if os.getpid() == me:
                raise ValueError(f"item {k}")
            time.sleep(30)  # a child still working when the error comes
            return k

        start = time.monotonic()
        try:
            split_map(fn, [0, 1, 2], 3)
            out = {"raised": None}
        except ValueError as exc:
            out = {"raised": str(exc)}
        out["seconds"] = time.monotonic() - start
        out["children_left"] = children_left()
        print(json.dumps(out))
    """)
    assert found["raised"] == "item 0"
    assert found["children_left"] is False
    assert found["seconds"] < 20  # the sleeping children were killed, not waited for


def test_with_sigchld_ignored_an_error_here_still_stops_the_children():
    """The kernel reaps an ended child at once there, so its pid may be anyone's: the kill goes
    through the child's pidfd."""
    found = _python("""
        import json, os, signal, time
        from msomodel.parallel import split_map
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)
        me = os.getpid()

        def fn(k):
            if os.getpid() == me:
                time.sleep(0.5)  # the children are working by now
                raise ValueError(f"item {k}")
            time.sleep(30)
            return k

        start = time.monotonic()
        try:
            split_map(fn, [0, 1, 2], 3)
        except ValueError as exc:
            out = {"raised": str(exc)}
        out["seconds"] = time.monotonic() - start
        out["alive"] = [p for p in FORKS if os.path.exists(f"/proc/{p}")
                        and open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"]
        print(json.dumps(out))
    """)
    assert found["raised"] == "item 0" and found["alive"] == []
    assert found["seconds"] < 20


def test_stop_never_signals_a_process_that_took_the_childs_number():
    found = _python("""
        import json, os, signal, subprocess, time
        from msomodel.parallel import _Child

        def running(pid):  # still, a moment after any signal sent to it (delivery is async)
            for _ in range(50):
                try:
                    state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
                except FileNotFoundError:
                    return False
                if state in ("Z", "X"):
                    return False
                time.sleep(0.01)
            return True

        out = {}
        # whoever got the number: a process that is not this one's child (a shell's orphan)
        other = int(subprocess.run(["sh", "-c", "sleep 30 >/dev/null 2>&1 & echo $!"],
                                   capture_output=True, text=True).stdout)
        ended = subprocess.Popen(["true"])
        pidfd = os.pidfd_open(ended.pid)
        ended.wait()  # the child: ended and reaped, its pidfd still open
        _Child(other, None, pidfd).stop()
        out["survives_the_pidfd"] = running(other)
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)
        _Child(other, None, None).stop()  # no pidfd, and the pid may be anyone's
        out["survives_without_one"] = running(other)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.kill(other, signal.SIGKILL)
        mine = subprocess.Popen(["sleep", "30"])  # an unreaped child: its pid is its own
        child = _Child(mine.pid, None, None)
        child.stop()
        out["unreaped_child_killed_and_reaped"] = child.pid is None and not running(mine.pid)
        print(json.dumps(out))
    """)
    assert found == {"survives_the_pidfd": True, "survives_without_one": True,
                     "unreaped_child_killed_and_reaped": True}


def test_a_child_ends_when_its_parent_is_killed_outright(tmp_path):
    """SIGKILL leaves the parent no chance to clean up: the child still ends at once (its
    parent-death signal) rather than computing its part for no one."""
    marker = tmp_path / "child.pid"
    code = textwrap.dedent(f"""
        import os, signal, time
        from msomodel.parallel import split_map
        me = os.getpid()

        def fn(k):
            if os.getpid() == me:
                while not os.path.exists({str(marker)!r}):
                    time.sleep(0.01)
                os.kill(me, signal.SIGKILL)
            with open({str(marker)!r} + ".tmp", "w") as f:
                f.write(str(os.getpid()))
            os.rename({str(marker)!r} + ".tmp", {str(marker)!r})
            time.sleep(60)
            return k

        split_map(fn, [0, 1], 2)
    """)
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=ENV, timeout=120)
    assert run.returncode == -9
    child = int(marker.read_text())
    for _ in range(300):  # gone, or a zombie waiting for init to reap it
        try:
            state = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            break
        if state in ("Z", "X"):
            break
        time.sleep(0.01)
    else:
        raise AssertionError(f"child {child} still running after its parent was killed")


def test_a_childs_warnings_are_raised_here(tmp_path):
    (tmp_path / "warner.py").write_text(
        "import warnings\n\n\ndef same(k):\n    warnings.warn('same', UserWarning)\n")
    found = _python("""
        import json, sys, warnings
        from msomodel.parallel import split_map
        sys.path.insert(0, WHERE)
        import warner  # a module of its own, as the engine's are (its place: file and line)
""".replace("WHERE", repr(str(tmp_path))) + """

        def fn(k):
            warnings.warn(f"warning {k}", RuntimeWarning)
            return k

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            split_map(fn, [0, 1, 2, 3], 2)
        out = {"always": sorted(f"{w.category.__name__}: {w.message}" for w in caught)}
        with warnings.catch_warnings(record=True) as caught:  # this process's filters apply
            warnings.simplefilter("ignore", UserWarning)
            split_map(lambda k: warnings.warn(f"quiet {k}", UserWarning), [0, 1], 2)
        out["ignored"] = len(caught)
        with warnings.catch_warnings(record=True) as caught:  # once per place, as in a loop
            warnings.simplefilter("default")
            split_map(warner.same, [0, 1, 2, 3], 2)
        out["default"] = len(caught)
        out["forks"] = len(FORKS)
        print(json.dumps(out))
    """)
    assert found == {"always": [f"RuntimeWarning: warning {k}" for k in range(4)],
                     "ignored": 0, "default": 1, "forks": 3}


def test_no_fork_with_a_thread_running_or_from_a_child():
    found = _python("""
        import json, os, threading, time
        from msomodel import parallel
        me = os.getpid()
        stop = threading.Event()
        t = threading.Thread(target=stop.wait)
        t.start()
        with_thread = {pid for pid in parallel.split_map(lambda k: os.getpid(), [0, 1, 2], 3)}
        stop.set()
        t.join()
        for _ in range(500):  # the OS thread ends a moment after join() returns
            if len(os.listdir("/proc/self/task")) == 1:
                break
            time.sleep(0.01)
        nested = parallel.split_map(
            lambda k: len(set(parallel.split_map(lambda j: os.getpid(), [0, 1], 2))), [0, 1], 2)
        print(json.dumps({"with_thread": sorted(with_thread) == [me], "nested": nested}))
    """)
    # with a thread: all here; a child never forks again (one process each), while this
    # process, after the thread ended, forks as usual
    assert found == {"with_thread": True, "nested": [2, 1]}


def test_the_decision_is_the_same_on_one_process_or_two():
    found = _python(f"""
        import json, os
        from msomodel.compare import compare
        from msomodel.loader import load_scenario
        s = load_scenario({FLORIDA!r})
        one = compare(s, workers=1).to_dict()
        assert not FORKS
        two = compare(s, workers=2).to_dict()
        print(json.dumps({{"same": one == two, "forks": len(FORKS),
                          "trials": two["recommendation"]["trials"],
                          "flips": len(two["recommendation"]["flips"])}}))
    """)
    assert found["flips"] > 0  # the explanations were computed too (one of them forked)
    assert {k: found[k] for k in ("same", "forks", "trials")} == {"same": True, "forks": 1,
                                                                  "trials": 2000}


def _program(*argv: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "msomodel.cli", *argv], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, **{"env": ENV, **kw})


@pytest.mark.parametrize("fmt", ["json", "table"])
def test_the_program_prints_what_main_returns_on_any_number_of_processes(fmt):
    import contextlib
    import io

    from msomodel.cli import main

    buf = io.StringIO()
    here = os.getcwd()
    os.chdir(ROOT)
    try:
        with contextlib.redirect_stdout(buf):
            assert main(["compare", FLORIDA, "--format", fmt, "-j", "1"]) == 0
    finally:
        os.chdir(here)
    for jobs in ("1", "2"):
        run = _program("compare", FLORIDA, "--format", fmt, "-j", jobs)
        assert (run.returncode, run.stderr) == (0, "")
        assert run.stdout == buf.getvalue(), f"-j {jobs}"
    script = Path(sys.executable).parent / "msomodel"  # the console script: the same entry
    if script.exists():
        run = subprocess.run([str(script), "compare", FLORIDA, "--format", fmt], cwd=ROOT,
                             capture_output=True, text=True, timeout=300)
        assert (run.returncode, run.stderr, run.stdout) == (0, "", buf.getvalue())


@pytest.mark.parametrize("buffered", [True, False], ids=["buffered", "unbuffered"])
def test_the_program_exits_quietly_into_a_closed_pipe_and_keeps_its_error_codes(tmp_path,
                                                                                 buffered):
    env = {k: v for k, v in ENV.items() if k != "PYTHONUNBUFFERED"}
    if not buffered:
        env["PYTHONUNBUFFERED"] = "1"
    piped = subprocess.run(["bash", "-c", f"{sys.executable} -m msomodel.cli compare {FLORIDA} "
                            "| head -c 20; exit ${PIPESTATUS[0]}"], env=env, cwd=ROOT,
                           capture_output=True, text=True, timeout=300)
    assert piped.returncode == 0 and piped.stderr == ""  # no "Exception ignored ..." either
    assert piped.stdout == f"== Florida entrepreneur, five-site roll-out ({FLORIDA})"[:20]
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nsites: 3\n")
    run = _program("validate", str(bad))
    assert run.returncode == 2 and f"{bad}: sites: expected a list, found 3" in run.stderr
    run = _program("compare", str(bad))
    assert run.returncode == 2 and "bad.yaml" in run.stderr and "Traceback" not in run.stderr
    run = _program("compare", FLORIDA, "-j", "0")
    assert run.returncode == 2 and "-j/--jobs: expected a whole number >= 1, found 0" in run.stderr


def _program_forks(tmp_path: Path, *argv: str) -> tuple[subprocess.CompletedProcess, int]:
    """:func:`_program`, and how many children the program forked (counted as it exits)."""
    count = tmp_path / f"forks-{len(list(tmp_path.iterdir()))}"
    code = _PRELUDE + textwrap.dedent(f"""
        import atexit, runpy, sys
        atexit.register(lambda: open({str(count)!r}, "w").write(str(len(FORKS))))
        sys.argv = ["msomodel", *{list(argv)!r}]
        runpy.run_module("msomodel.cli", run_name="__main__", alter_sys=True)
    """)
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=ENV, capture_output=True,
                         text=True, timeout=300)
    return run, int(count.read_text())


def test_diff_prints_the_same_on_one_process_or_two(tmp_path):
    argv = ("diff", FLORIDA, "scenarios/california_np_three_sites.yaml", "--format", "json")
    (one, forks_one), (two, forks_two) = (_program_forks(tmp_path, *argv, "-j", j)
                                          for j in ("1", "2"))
    assert (one.returncode, one.stderr, two.returncode, two.stderr) == (0, "", 0, "")
    assert one.stdout == two.stdout and '"changed"' in one.stdout
    assert (forks_one, forks_two > 0) == (0, True)  # -j 2 did run on two processes


@pytest.mark.parametrize("buffered", [True, False], ids=["buffered", "unbuffered"])
@pytest.mark.parametrize("argv", [("validate", FLORIDA), ("compare", FLORIDA), ("schema",)],
                         ids=["validate", "compare", "schema"])
def test_output_that_cannot_be_written_is_an_error_not_a_traceback(argv, buffered):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if not buffered:
        env["PYTHONUNBUFFERED"] = "1"
    with open("/dev/full", "w") as full:  # every write: "No space left on device"
        run = subprocess.run([sys.executable, "-m", "msomodel.cli", *argv], cwd=ROOT, env=env,
                             stdout=full, stderr=subprocess.PIPE, text=True, timeout=300)
    assert run.returncode == 1
    assert "No space left on device" in run.stderr and "Traceback" not in run.stderr
