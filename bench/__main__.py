"""``python -m bench`` (``make bench``): every benchmark of the operator console.

stdout: one JSON object per line, the run's description first. stderr: progress.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import traceback

FULL = {
    "orders": 1_000_000,
    "tasks": 100_000,
    "complaints": 100_000,
    "kpi_answers": 5_000_000,
    "kpi_technicians": 1_000,
}
QUICK = {
    "orders": 20_000,
    "tasks": 5_000,
    "complaints": 20_000,
    "kpi_answers": 200_000,
    "kpi_technicians": 200,
}
LOAD_STEPS = [100, 200, 300, 500, 800, 1000, 1500]


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument(
        "--quick",
        action="store_true",
        help="small smoke run: 20k orders, 5k tasks, 10 s of load, fewer samples",
    )
    p.add_argument("--orders", type=int, help="orders in the data set (default 1,000,000)")
    p.add_argument("--tasks", type=int, help="due call tasks (default 100,000)")
    p.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    p.add_argument("--seconds", type=float, help="length of the concurrent run (default 60)")
    p.add_argument("--operators", type=int, default=50, help="concurrent operators (default 50)")
    p.add_argument(
        "--procs", type=int, default=2, help="processes the concurrent operators run in (default 2)"
    )
    p.add_argument("--iterations", type=int, help="measured claim+render cycles (default 500)")
    p.add_argument(
        "--complaints", type=int, help="complaints for the inbox benchmark (default 100,000)"
    )
    p.add_argument(
        "--inbox-rounds",
        type=int,
        help="measured rounds of the inbox benchmark, each every scenario once (default 20)",
    )
    p.add_argument(
        "--load-steps",
        type=int,
        nargs="+",
        help="operators in each step of the load test over HTTP "
        "(default 100 200 300 500 800 1000 1500; 20 with --quick)",
    )
    p.add_argument(
        "--load-seconds",
        type=float,
        help="the measured window of each load step (default 60 s; 20 s with --quick)",
    )
    p.add_argument(
        "--qc-users", type=int, help="QC users watching the inbox in the load test (default 5)"
    )
    p.add_argument(
        "--import-rows",
        type=int,
        help="rows in the import benchmark's order file (default 100,000; 10,000 with --quick)",
    )
    p.add_argument(
        "--kpi-answers",
        type=int,
        help="answers a month for the technicians' KPI (default 5,000,000; 200,000 with --quick)",
    )
    p.add_argument(
        "--kpi-technicians",
        type=int,
        help="technicians for the KPI benchmark (default 1,000; 200 with --quick)",
    )
    p.add_argument(
        "--only",
        nargs="+",
        choices=[
            "claim_render",
            "weight",
            "concurrent",
            "inbox",
            "load",
            "import",
            "kpi",
            "reports",
        ],
        help="run only these benchmarks",
    )
    args = p.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    args.orders = args.orders or sizes["orders"]
    args.tasks = args.tasks or sizes["tasks"]
    args.seconds = args.seconds or (10.0 if args.quick else 60.0)
    args.iterations = args.iterations or (100 if args.quick else 500)
    args.complaints = args.complaints or sizes["complaints"]
    args.inbox_rounds = args.inbox_rounds or (5 if args.quick else 20)
    args.warmup = 10 if args.quick else 30
    args.load_steps = sorted(args.load_steps or ([20] if args.quick else LOAD_STEPS))
    args.load_seconds = args.load_seconds or (20.0 if args.quick else 60.0)
    args.qc_users = args.qc_users if args.qc_users is not None else (2 if args.quick else 5)
    args.import_rows = args.import_rows or (10_000 if args.quick else 100_000)
    args.kpi_answers = args.kpi_answers or sizes["kpi_answers"]
    args.kpi_technicians = args.kpi_technicians or sizes["kpi_technicians"]
    args.kpi_rounds = 3 if args.quick else 5
    args.only = set(
        args.only
        or ["claim_render", "weight", "concurrent", "inbox", "load", "import", "kpi", "reports"]
    )
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    # Stopped with kill: clean up as after Ctrl+C (the load test's servers, the working copies).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    # The console would otherwise read (or create) instance/secret_key: keep out of instance/.
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production")
    os.environ.setdefault("DATABASE_URL", "sqlite://")  # never the developer's database

    from bench import data
    from bench.common import emit, log
    from bench.machine import describe

    databases = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    skipped = {}
    if "postgresql" in databases:
        why = data.postgres_available()
        if why:
            skipped["postgresql"] = why
            databases.remove("postgresql")
            log(f"PostgreSQL skipped: {why}")

    datasets = {}
    # The import benchmark makes empty databases of its own: no data set for it alone.
    for name in databases if args.only - {"import"} else []:
        started = time.perf_counter()
        make = data.sqlite_dataset if name == "sqlite" else data.postgres_dataset
        datasets[name] = make(args.orders, args.tasks)
        log(f"{name} data set ready in {time.perf_counter() - started:.1f} s")

    emit(
        "run",
        None,
        None,
        machine=describe(),
        data={
            "orders": args.orders,
            "due_tasks": args.tasks,
            "complaints": args.complaints if "inbox" in args.only else None,
            "operators_in_data": data.OPERATORS,
            "seed": data.SEED,
            **{
                name: {
                    "key": d.key,
                    "generated_now": d.generated,
                    "build_seconds": d.build_seconds,
                    "working_copy_seconds": d.copy_seconds,
                }
                for name, d in datasets.items()
            },
        },
        load_generators={
            "claim_render": "in-process Werkzeug test client, 1 thread; server time measured by "
            "a WSGI middleware around app.wsgi_app; floor = bare Flask app in the same process",
            "weight": "gunicorn (1 gthread worker, keep-alive) on 127.0.0.1 and a raw-socket "
            "HTTP/1.1 client sending browser-like headers; bytes counted on the wire",
            "concurrent": f"{args.operators} operator threads in {args.procs} processes calling "
            "the services claim_next_call + submit_call (no HTTP)",
            "inbox": "in-process Werkzeug test client, 1 thread, one QC user; server time "
            "measured by a WSGI middleware; floor = bare Flask app in the same process",
            "load": "one process, one asyncio loop (aiohttp), one browser per simulated person "
            "over real sockets to gunicorn on 127.0.0.1; floor = the same gunicorn serving a "
            "bare Flask page to the same client",
            "kpi": "in-process: the report service's statements in an app context, median of "
            "the measured rounds after one warm-up; floor = a bare count and SUM over the same "
            "answers (the calls of the month and the month before, their answers and options)",
            "import": "a child process per measurement on an empty database of its own: the "
            "browser's import job (upload, columns, run_import) on a Windows-1251 ';' file; "
            "floor = csv.reader + a bare DB-API executemany INSERT of the same rows",
        },
        skipped=skipped or None,
        args={k: (sorted(v) if isinstance(v, set) else v) for k, v in vars(args).items()},
    )

    failures = 0
    try:
        if "import" in args.only:
            for name in databases:
                failures += _guarded(name, "import", lambda n=name: _import(n, args))
        for name, dataset in datasets.items():
            if "claim_render" in args.only:
                failures += _guarded(name, "claim_render", lambda d=dataset: _claim_render(d, args))
            if "weight" in args.only and name == "sqlite":
                failures += _guarded(name, "weight", lambda d=dataset: _weight(d))
            if "concurrent" in args.only:
                failures += _guarded(name, "concurrent", lambda d=dataset: _concurrent(d, args))
            # Last: it adds the complaints to the working copy.
            if "inbox" in args.only:
                failures += _guarded(name, "inbox", lambda d=dataset: _inbox(d, args))
            # After the inbox benchmark: the QC users of the load test see its complaints.
            if "load" in args.only:
                failures += _guarded(name, "load", lambda d=dataset: _load(d, args))
            # It deals the orders to its own technicians; the overview after it reads its calls.
            if "kpi" in args.only:
                failures += _guarded(name, "kpi", lambda d=dataset: _kpi(d, args))
            # After the inbox and KPI benchmarks: their complaints and last month's calls.
            if "reports" in args.only:
                failures += _guarded(name, "reports", lambda d=dataset: _reports(d, args))
    finally:
        if "sqlite" in datasets:
            data.drop_sqlite_work()
        if "postgresql" in datasets:
            data.drop_postgres_work()
    return 1 if failures else 0


def _claim_render(dataset, args) -> None:
    from bench import claim_render

    claim_render.run(dataset, iterations=args.iterations, warmup=args.warmup)


def _weight(dataset) -> None:
    from bench import weight

    weight.run(dataset)


def _concurrent(dataset, args) -> None:
    from bench import concurrent

    concurrent.run(dataset, operators=args.operators, seconds=args.seconds, procs=args.procs)


def _inbox(dataset, args) -> None:
    from bench import inbox

    inbox.run(
        dataset,
        complaints=args.complaints,
        rounds=args.inbox_rounds,
        warmup=1 if args.quick else 2,
    )


def _load(dataset, args) -> None:
    from bench import load

    load.run(
        dataset,
        steps=args.load_steps,
        seconds=args.load_seconds,
        qc_users=args.qc_users,
        quick=args.quick,
    )


def _kpi(dataset, args) -> None:
    from bench import kpi

    kpi.run(
        dataset,
        answers=args.kpi_answers,
        technicians=args.kpi_technicians,
        rounds=args.kpi_rounds,
    )


def _reports(dataset, args) -> None:
    from bench import reports

    reports.run(dataset, rounds=3 if args.quick else 10)


def _import(db: str, args) -> None:
    from bench import import_orders

    import_orders.run(db, rows=args.import_rows)


def _guarded(db: str, benchmark: str, run) -> int:
    """A benchmark that cannot run says so on its own JSON line; the others still run."""
    from bench.claim_render import Unavailable
    from bench.common import log
    from bench.import_orders import Unavailable as ImportUnavailable

    try:
        run()
        return 0
    except (Unavailable, ImportUnavailable) as exc:
        print(
            json.dumps(
                {"name": benchmark, "value": None, "unit": None, "db": db, "skipped": str(exc)}
            ),
            flush=True,
        )
        log(f"{benchmark} on {db} skipped: {exc}")
        return 0
    except Exception as exc:
        print(
            json.dumps(
                {
                    "name": benchmark,
                    "value": None,
                    "unit": None,
                    "db": db,
                    "error": f"{exc.__class__.__name__}: {exc}",
                }
            ),
            flush=True,
        )
        traceback.print_exc()
        return 1


if __name__ == "__main__":
    sys.exit(main())
