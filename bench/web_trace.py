"""gunicorn's settings as the Procfile runs them (gunicorn.conf.py), plus a trace of every request and
collection in each web process: for `bench/load.py --trace`, never for production.

Each web process writes one line per request to `$CONECTA_WEB_TRACE_DIR/<pid>.log` -- when its thread
took it (perf_counter), its wall and thread CPU time, method and path -- and one per garbage collection
(`GC gen<n>`, its wall time). From them `bench/load.py` tells what a request waited for: its own CPU,
other requests' CPU in the same process, collections, and the rest (a core).
"""

from __future__ import annotations

import gc
import os
import runpy
import threading
import time
from pathlib import Path

_production = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
globals().update({name: value for name, value in _production.items() if not name.startswith("__")})

_lock = threading.Lock()
_collections: list[tuple[float, float, int]] = []
_log: list = []  # this process's trace file, opened once its app is loaded


def _collection(phase: str, info: dict) -> None:
    if phase == "start":
        _collections.append((time.perf_counter(), 0.0, info["generation"]))
    elif _collections:
        started, _, generation = _collections[-1]
        _collections[-1] = (started, time.perf_counter() - started, generation)


def post_worker_init(worker) -> None:
    _production["post_worker_init"](worker)
    _log.append(open(Path(os.environ["CONECTA_WEB_TRACE_DIR"]) / f"{os.getpid()}.log", "a", buffering=1))  # noqa: SIM115
    gc.callbacks.append(_collection)


def pre_request(worker, req) -> None:
    req.trace_started = (time.perf_counter(), time.thread_time())


def post_request(worker, req, environ, resp) -> None:
    wall, cpu = time.perf_counter(), time.thread_time()
    started, cpu_started = req.trace_started
    with _lock:
        done = [c for c in _collections if c[1]]
        _collections[:] = [c for c in _collections if not c[1]]
        lines = [f"{s:.6f} {d:.6f} 0 GC gen{g}\n" for s, d, g in done]
        lines.append(f"{started:.6f} {wall - started:.6f} {cpu - cpu_started:.6f} {req.method} {req.path}\n")
        _log[0].write("".join(lines))
