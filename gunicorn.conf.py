"""gunicorn's settings for the web process (`Procfile`, `Procfile.dev`; bench/time_to_link_browser.py,
bench/load.py).

Processes: two per core (`WEB_CONCURRENCY`), 16 threads each (`WEB_THREADS`). Python runs one thread of
a process at a time, so a process's threads queue for each other while its computing thread holds the
lock, even with a core free; more, smaller processes keep both cores at work. Measured with
bench/load.py on 2 cores (40 staff): 4 × 16 made 22% more bookings than 2 × 32 in the same two
minutes, with page p50s and the time to Join about halved (docs/operating.md, "Capacity").

Switch interval (`WEB_SWITCH_INTERVAL_MS`, 1 ms): a thread that wants Python's lock waits until the
holder's interval ends, 5 ms by default, so a 10 ms page behind a 30 ms one in the same process took
several times its own length. At 1 ms, under bench/load.py at 20 staff, every kind's p95 fell (the
client search 98 → 56 ms, a booking's save 227 → 145 ms, the time to Join L + 354 → L + 271 ms) with
no more CPU per request.

Threads, not a streaming worker class: a Zoom panel waiting for its meeting holds one thread for at most
ZOOM_PANEL_WAIT_SECONDS (`conecta.zoom.panel_push`), and at most ZOOM_PANEL_WAIT_SLOTS panels (by
default WEB_THREADS - 8) wait at once per process, so 8 threads always remain for every other request.
A page holds nothing while its panel is not pending. Capacity: docs/operating.md, "Capacity".

Python's cyclic garbage collector: a collection stops every thread of the process while it runs, so each
web process, once its app is loaded, freezes the app's objects out of the collector's sight and spaces
collections out (`conecta.collector`).

Keep-alive (`WEB_KEEPALIVE`, 75 s): longer than the idle timeout of the load balancer in front (60 s is
common), so the balancer always closes an idle connection first. The other way round, gunicorn closes a
connection the balancer still believes open, and the next request sent on it fails (a 502 to the user).
An idle keep-alive connection costs a socket, not a thread (the gthread worker waits on it with the
others in one selector). Without a balancer, browsers keep connections open for about as long.
"""

import os

workers = int(os.environ.get("WEB_CONCURRENCY", str(max(2, 2 * (os.cpu_count() or 1)))))
threads = int(os.environ.get("WEB_THREADS", "16"))
worker_class = "gthread"
keepalive = int(os.environ.get("WEB_KEEPALIVE", "75"))


def child_exit(server, worker):
    """prometheus-client's multiprocess mode: a web process that ended leaves its live values behind."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_fork(server, worker):
    """Each web process hands Python's lock between its threads every WEB_SWITCH_INTERVAL_MS (1 ms;
    Python's default is 5 ms): see the module's docstring."""
    import sys

    sys.setswitchinterval(float(os.environ.get("WEB_SWITCH_INTERVAL_MS", "1")) / 1000)


def post_worker_init(worker):
    """The app is loaded: its objects leave the cyclic collector's sight, and collections come less often
    (`conecta.collector`)."""
    from conecta.collector import settle_after_load

    settle_after_load()
