"""Run the scheduler in the foreground: `python -m engine.worker` (engine only) or
`flask --app web worker` (with the campaign's directory and notifications).

Stops on SIGTERM/SIGINT. `--until-idle` exits once nothing is due (tests, cron).
"""
import argparse
import logging
import signal
import threading
from datetime import timedelta

from engine.escalation import Escalator
from engine.runtime import Engine
from engine.scheduler import DubanScheduler
from engine.store.database import make_engine, make_session_factory

log = logging.getLogger("duban.worker")


def run(scheduler: DubanScheduler, until_idle: bool = False, poll: float = 0.5) -> int:
    """Block until stopped (or, with `until_idle`, until nothing is due now); returns an exit code."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    if not scheduler.start():
        return 3
    log.info("scheduler running (node %s)", scheduler.engine.node_id)
    try:
        while not stop.is_set():
            if until_idle:
                scheduler.tick()
                upcoming = scheduler.next_due()
                if upcoming is None or upcoming > scheduler.engine.now():
                    break
            stop.wait(poll)
    finally:
        scheduler.shutdown()
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=None, help="defaults to DATABASE_URL")
    parser.add_argument("--until-idle", action="store_true", help="exit when no timer or escalation is due")
    parser.add_argument("--lease-seconds", type=float, default=60.0, help="how long a claim on a row lasts")
    parser.add_argument("--node-id", default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    engine = Engine(make_session_factory(make_engine(args.database_url)), node_id=args.node_id,
                    timer_lease=timedelta(seconds=args.lease_seconds))
    return run(DubanScheduler(engine, Escalator(engine)), until_idle=args.until_idle)


if __name__ == "__main__":
    raise SystemExit(main())
