"""Python's cyclic garbage collector in Conecta's long-running processes: the web's and the workers'.

A collection stops every thread of its process while it runs, so under load each one is a stall of
every request (or job) in that process. Once the app is loaded, each process calls
`settle_after_load()`, which does two things:

- **Freeze what the app built** (`gc.freeze()`, as Python's documentation advises for forking servers).
  About 170,000 objects (modules, functions, SQLAlchemy's mappers, the templates' code) are built when
  the app loads and live as long as the process. A full collection walked them all: 120 ms of CPU alone,
  150-300 ms under bench/load.py, 26 times in two minutes. Frozen, the collector no longer walks them.
  Reference counting still frees a frozen object; only a cycle among frozen objects would never be
  freed, and these are the app's own, kept for the process's life anyway.
- **Collect less often** (`THRESHOLDS`; Python's defaults are 700, 10, 10).
  - The youngest generation is collected after 7,000 net new objects instead of 700. A request's objects
    mostly die by reference counting before that, so each collection walks what is still alive then, and
    there are ten times fewer of them.
  - A full collection comes after 20 collections of the middle generation instead of 10.
  - In-process (bench/profile_requests.py, 2,400 requests): 40 young collections of about 1.9 ms instead
    of 851 of 0.15 ms, no full collection instead of 7 (of 7-8 ms each): 91 ms of collection in all
    instead of 214.
  - Under bench/load.py the web's CPU per request fell by about 4%, and the cheapest page's p95 by about
    a tenth (docs/operating.md, "Capacity").
  - The cost: cyclic garbage waits longer to be freed, a few thousand objects at most.
"""

from __future__ import annotations

import gc

THRESHOLDS = (7000, 10, 20)


def settle_after_load() -> None:
    """The app is loaded: freeze its objects out of the collector's sight, and space collections out."""
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
