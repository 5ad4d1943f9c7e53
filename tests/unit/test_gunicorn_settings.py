"""gunicorn.conf.py's hooks, called as gunicorn calls them."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path

from conecta import collector

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def test_a_web_process_with_its_app_loaded_hides_its_objects_from_collections_and_collects_less_often():
    settings = runpy.run_path(str(CONF))
    python_defaults = gc.get_threshold()
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        settings["post_worker_init"](None)
        assert gc.get_freeze_count() > 1000  # this test process's modules, at least
        walked_while_frozen = len(gc.get_objects())
        assert gc.get_threshold() == collector.THRESHOLDS
        assert collector.THRESHOLDS[0] > python_defaults[0]  # the youngest generation, collected less often
    finally:
        gc.unfreeze()
        gc.set_threshold(*python_defaults)
    assert len(gc.get_objects()) > walked_while_frozen  # frozen objects are not walked by gc
