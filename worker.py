"""The RQ worker: listens on the app's queues with the scheduler on (RQ's retry intervals need it).

Each job opens its own app context on this app (`conecta.jobs.app_job`).
"""

from __future__ import annotations

import sys

from rq import Worker
from rq.serializers import JSONSerializer

from conecta import create_app, jobs


def main(argv: list[str]) -> None:
    app = create_app()
    jobs.set_worker_app(app)
    burst = "--burst" in argv
    with app.app_context():
        connection = jobs.redis_conn()
        names = jobs.queue_names(app, ("default", "mail"))
    worker = Worker(names, connection=connection, serializer=JSONSerializer)
    worker.work(with_scheduler=True, burst=burst, logging_level="INFO")


if __name__ == "__main__":
    main(sys.argv[1:])
