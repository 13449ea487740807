"""Order imports in the background (``services.orders.imports``).

``start`` hands a queued run to RQ when Redis is configured; without Redis, or while Redis is
unreachable, it runs in a thread of this process, so the upload's request answers at once and the
page shows the progress (the admin is watching it: it must not wait for the queue to come back).
A run whose job was lost or whose worker died is taken up by the periodic ``take_up_waiting``
(its rows say where it stopped: nothing is lost, nothing is added twice).
"""

from __future__ import annotations

import logging
import threading

from flask import current_app

from console import jobs
from console.extensions import db
from console.jobs.context import job
from console.services.orders import imports

log = logging.getLogger(__name__)

JOB = "console.jobs.imports.run"
TIMEOUT = 3 * 3600  # a million rows at a few thousand a second, with room to spare


@job
def run(run_id: int) -> str:
    return imports.run_import(run_id)


@job
def take_up_waiting() -> int:
    """Start the runs that wait (see the module docstring); returns how many were started.
    Starting one twice is harmless: only one job claims it."""
    waiting = imports.waiting_runs()
    imports.dispatched(waiting)
    db.session.commit()
    for run_id in waiting:
        start(run_id)
    return len(waiting)


def start(run_id: int) -> None:
    """Run the import of a queued run in the background (after the caller's commit)."""
    app = current_app._get_current_object()
    if app.task_queue is not None:
        if jobs.enqueue(JOB, run_id, retries=0, timeout=TIMEOUT) is not None:
            return
        log.warning("import run %s runs in this process: the job queue is unreachable", run_id)
    if app.config.get("ORDER_IMPORT_INLINE"):  # tests: run it now, in this request
        jobs.run_inline(JOB, run_id)
        return

    def work() -> None:
        with app.app_context():
            try:
                run(run_id)
            finally:
                db.session.remove()

    threading.Thread(target=work, name=f"order-import-{run_id}", daemon=True).start()
