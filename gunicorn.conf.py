"""gunicorn's settings for the web process (`Procfile`, `Procfile.dev`; bench/time_to_link_browser.py).

Threads, not a streaming worker class: a Zoom panel waiting for its meeting holds one thread for at most
ZOOM_PANEL_WAIT_SECONDS (`conecta.zoom.panel_push`), and at most ZOOM_PANEL_WAIT_SLOTS panels (by
default WEB_THREADS - 8) wait at once per process, so 8 threads always remain for every other request.
A page holds nothing while its panel is not pending. Capacity: docs/operating.md, "Capacity".
"""

import os

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "32"))
worker_class = "gthread"
