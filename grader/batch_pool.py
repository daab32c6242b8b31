"""Running one job per student in worker processes, so that no student's crash or hang loses others.

A worker that dies (segfault, os._exit, out of memory) breaks a ProcessPoolExecutor and fails
every job still queued in it. The jobs that may have been in flight are then retried one per
fresh process, which finds the culprit, and the rest go back to a new pool.
A job that outlives the hard deadline gets its workers killed and is reported as lost.
"""

from __future__ import annotations

import multiprocessing
import queue
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Callable, Hashable, Sequence


@dataclass(frozen=True)
class Lost:
    """A job that produced no result: its worker died or was stopped."""

    reason: str


def mp_context():
    """fork on Linux: workers start warm (the problem, solvers and numpy already loaded)."""
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def run_all(items: Sequence[Any], key: Callable[[Any], Hashable], work: Callable[[Any], Any], *,
            jobs: int, hard_timeout: float, on_done: Callable[[], None] = lambda: None,
            initializer: Callable | None = None, initargs: tuple = (),
            on_result: Callable[[Any, Any], None] | None = None) -> dict[Hashable, Any]:
    """work(item) for every item, in `jobs` processes: {key(item): result or Lost}. As the
    results of a chunk of items arrive, `on_result(items, results)` is called (in this process,
    never with a Lost one): the caller may start on them while the rest is graded."""
    results: dict[Hashable, Any] = {}
    pending = list(items)
    while pending:
        # Jobs go to workers in chunks: one round trip per job would cost more than grading it.
        chunk = max(1, min(MAX_CHUNK, len(pending) // (max(jobs, 1) * 8)))
        done, lost, why = _round(pending, key, work, jobs, hard_timeout, on_done, initializer, initargs,
                                 chunk, on_result)
        results.update(done)
        if not lost:
            break
        # The job that broke the pool was in flight: among the first (2*jobs+1) chunks lost.
        cut = (2 * jobs + 1) * chunk
        suspects, pending = lost[:cut], lost[cut:]
        for item in suspects:
            one, still_lost, why_one = _round([item], key, work, 1, hard_timeout, on_done,
                                              initializer, initargs, 1, on_result)
            results.update(one)
            for it in still_lost:
                results[key(it)] = Lost(why_one or why)
                on_done()
    return results


MAX_CHUNK = 32


class _Worker:
    """The work function of a worker process, installed once when the worker starts: chunks then
    cross to it without the function. (Forked workers inherit it with everything it holds, a
    warm grading session say; spawned ones get it pickled once.) Exists only in workers."""

    work: Callable[[Any], Any] | None = None


def _install(work: Callable[[Any], Any], initializer: Callable | None, initargs: tuple) -> None:
    _Worker.work = work
    if initializer is not None:
        initializer(*initargs)


def _run_chunk(chunk: list) -> list:
    work = _Worker.work
    return [work(item) for item in chunk]


def _round(items, key, work, jobs, hard_timeout, on_done, initializer, initargs, chunk=1, on_result=None):
    """One pool over `items`: (results, items lost to a broken pool, why they were lost)."""
    done: dict[Hashable, Any] = {}
    lost: list[Any] = []
    why = ""
    pool = ProcessPoolExecutor(max_workers=max(1, min(jobs, len(items))), mp_context=mp_context(),
                               initializer=_install, initargs=(work, initializer, initargs))
    try:
        finished: queue.Queue = queue.Queue()
        futures = {}
        for group in _chunks(items, chunk, jobs):
            fut = pool.submit(_run_chunk, group)
            futures[fut] = group
            fut.add_done_callback(finished.put)
        remaining = len(futures)
        last = time.monotonic()
        while remaining:
            try:
                fut = finished.get(timeout=1.0)
            except queue.Empty:
                if time.monotonic() - last > hard_timeout:
                    why = why or f"grading did not finish within {hard_timeout:g} s and was stopped"
                    _kill_workers(pool)
                    last = time.monotonic()
                continue
            last = time.monotonic()
            remaining -= 1
            group = futures[fut]
            try:
                got = fut.result()
                for item, result in zip(group, got):
                    done[key(item)] = result
                    on_done()
            except BrokenProcessPool:
                lost.extend(group)
                why = why or "the grading process died (crash, or out of memory)"
                continue
            except Exception as exc:  # pickling trouble and the like: these jobs only
                for item in group:
                    done[key(item)] = Lost(f"internal error: {type(exc).__name__}: {exc}")
                    on_done()
                continue
            if on_result is not None:
                on_result(group, got)
    except BaseException:
        _kill_workers(pool)
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=False)  # every result is in: the workers exit while the caller writes them out
    order = {key(item): i for i, item in enumerate(items)}
    lost.sort(key=lambda it: order[key(it)])
    return done, lost, why


def _chunks(items: Sequence[Any], chunk: int, jobs: int) -> list[list[Any]]:
    """`items` in order, in chunks of at most `chunk` that shrink towards the end (guided
    scheduling: each is at most 1/4 of an equal share of what remains), so that the workers
    finish together: a worker handed a last full chunk would keep the others' cores idle."""
    out = []
    start, n = 0, len(items)
    while start < n:
        size = min(chunk, max(1, -(-(n - start) // (4 * max(jobs, 1)))))
        out.append(list(items[start:start + size]))
        start += size
    return out


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            proc.kill()
        except (OSError, ValueError, AttributeError):
            pass
