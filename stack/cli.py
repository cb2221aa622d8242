"""The ``goldentime`` command: run the whole system, or one part of it."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from stack.settings import Settings, SettingsError

if TYPE_CHECKING:
    import faust

    from geo import City

DEFAULT_CONSOLE_PORT = 8080


def _settings() -> Settings:
    try:
        return Settings.from_env(os.environ)
    except SettingsError as exc:
        raise SystemExit(f"goldentime: {exc}") from None


def _logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper() if level.upper() in ("DEBUG", "INFO", "WARNING", "ERROR") else "INFO",
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


GC_THRESHOLDS = (50_000, 20, 100)
"""Young-generation allocations between collections, and the ratios for the older ones
(CPython's defaults: 700, 10, 10)."""


def _tune_gc() -> None:
    """Collect less often in a long-running process that holds a large, long-lived heap.

    The city (road graph, stations, districts) and the libraries are loaded once and never
    freed: ``gc.freeze`` moves them out of every later collection. A busy worker allocates
    many short-lived objects per event; with CPython's default thresholds it ran a
    collection every 700 allocations and a full one often, each walking the whole heap.
    Reference counting still frees almost everything at once; only cycles wait longer.
    Measured with ``python -m bench.fusion`` (worker CPU for the same 20,134 inputs):
    about 10 % less.
    """
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def cmd_up(args: argparse.Namespace) -> int:
    from stack.embedded import free_port
    from stack.supervisor import up

    settings = _settings()
    port = args.port
    if port is None:
        port = settings.console_port if "GT_CONSOLE_PORT" in os.environ else DEFAULT_CONSOLE_PORT
        if port == DEFAULT_CONSOLE_PORT and not _port_free(port):
            port = free_port()
    video_port = settings.video_port if "GT_VIDEO_PORT" in os.environ else 0
    if video_port == 0 and _port_free(8090):
        video_port = 8090
    settings = settings.replace(console_port=port, video_port=video_port)
    if args.partitions:
        settings = settings.replace(partitions=args.partitions)
    settings = _sim_options(settings, args)
    return up(
        settings,
        kafka=args.kafka,
        redis_url=args.redis,
        simulate=not args.no_sim,
        ready_file=args.ready_file,
        run_dir=args.run_dir,
    )


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


FOLLOW_NICENESS = 5
"""The follow-up stage (overlays, alert drafts) runs at a lower CPU priority than fusion and
intake: when the cores are full (a surge on a small machine) it falls behind, never fusion,
which decides what dispatchers see first."""


def cmd_worker(args: argparse.Namespace) -> int:
    from geo import load_city

    settings = _settings()
    _logging(settings.log_level)
    if not settings.auth_secret:
        logging.getLogger("goldentime").info("worker needs no auth secret")
    (settings.worker_state_dir / settings.worker_id).mkdir(parents=True, exist_ok=True)
    city = load_city(settings.data_dir)
    if args.intake_only:
        return _run_intake(settings, city, args.parent_pid)
    from stack.child import Child
    from streams.app import create_app

    app = create_app(settings, city, intake_reported=not args.no_intake)
    _tune_gc()
    children: list[Child] = []
    parent = ["--parent-pid", str(os.getpid())]
    if not args.no_intake:  # validation of every input, in a process of its own
        argv = [sys.executable, "-m", "stack.cli", "worker", "--intake-only", *parent]
        children.append(Child("intake stage", argv))
    if not args.no_dispatch:  # fleet, recommendations and assignments
        argv = [sys.executable, "-m", "stack.cli", "dispatch", *parent]
        children.append(Child("dispatch stage", argv))
    if not args.no_follow:  # the follow-up stage (overlays, alerts) on another core
        argv = [sys.executable, "-m", "stack.cli", "follow", *parent]
        children.append(Child("follow-up stage", argv))
    for child in children:
        child.start()
    try:
        _run_faust(app, settings)
    finally:
        for child in children:
            child.stop()
    return 0


def _run_intake(settings: Settings, city: City, parent_pid: int) -> int:
    import asyncio

    from stack.child import die_with_parent
    from streams.intake_stage import run_intake

    if parent_pid:
        die_with_parent(parent_pid)
    _tune_gc()
    asyncio.run(run_intake(settings, city))
    return 0


def cmd_dispatch(args: argparse.Namespace) -> int:
    from geo import load_city
    from stack.child import die_with_parent
    from streams.dispatch_stage import create_dispatch_app

    if args.parent_pid:
        die_with_parent(args.parent_pid)
    settings = _settings()
    _logging(settings.log_level)
    app = create_dispatch_app(settings, load_city(settings.data_dir))
    _tune_gc()
    _run_faust(app, settings)
    return 0


def cmd_follow(args: argparse.Namespace) -> int:
    from geo import load_city
    from stack.child import die_with_parent
    from streams.follow import create_follow_app

    if args.parent_pid:
        die_with_parent(args.parent_pid)
    os.nice(FOLLOW_NICENESS)
    settings = _settings()
    _logging(settings.log_level)
    app = create_follow_app(settings, load_city(settings.data_dir))
    _tune_gc()
    _run_faust(app, settings)
    return 0


def _run_faust(app: faust.App, settings: Settings) -> None:
    import faust

    from streams.transport.faust_tuning import install

    install(settings.fetch_max_wait_ms)  # before any of the app's consumers start

    worker = faust.Worker(app, loglevel=settings.log_level, quiet=True)
    # Faust's terminal spinner sets the root logger to DEBUG so that it spins on every
    # record: every library then builds debug records (~6 % of a busy worker's CPU).
    worker.spinner = None
    worker.execute_from_commandline()


def cmd_console(args: argparse.Namespace) -> int:
    import uvicorn

    from console.app import create_app

    settings = _settings()
    _logging(settings.log_level)
    if not settings.auth_secret:
        raise SystemExit("goldentime console: set GT_AUTH_SECRET (tokens are signed with it)")
    uvicorn.run(
        create_app(settings),
        host=settings.console_host,
        port=settings.console_port,
        log_level="warning",
        ws_max_size=1 << 20,
        timeout_graceful_shutdown=5,
        proxy_headers=False,  # console.proxies decides whom to believe (GT_TRUSTED_PROXIES)
    )
    return 0


def cmd_video(args: argparse.Namespace) -> int:
    from video_relay.__main__ import main as relay_main

    settings = _settings()
    argv = ["--host", settings.console_host, "--port", str(settings.video_port)]
    return relay_main(argv, env=settings.to_env())


def _sim_options(settings: Settings, args: argparse.Namespace) -> Settings:
    """The simulator options of ``up`` and ``simulate`` (--speed, --start, --scenario)."""
    if args.speed is not None:
        if args.speed <= 0:
            raise SystemExit("goldentime: --speed must be positive")
        settings = settings.replace(sim_speed=args.speed)
    if args.start is not None:
        settings = settings.replace(sim_start=args.start)
    if args.scenario is not None:
        from scenarios.disasters import ScenarioError, load_scenario

        try:
            load_scenario(args.scenario)
        except ScenarioError as exc:
            raise SystemExit(f"goldentime: {exc}") from None
        settings = settings.replace(sim_scenario=args.scenario)
    return settings


def _add_sim_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--speed", type=float, help="scenario clock speed: N simulated seconds per second (1)"
    )
    p.add_argument("--start", help="scenario start time of day, HH:MM in KST (default: now)")
    p.add_argument("--scenario", help="play this disaster scenario on top of the normal day")


def cmd_simulate(args: argparse.Namespace) -> int:
    from scenarios.simulate import run

    settings = _sim_options(_settings(), args)
    _logging(settings.log_level)
    scenario_s = None if args.minutes is None else args.minutes * 60.0
    sent = run(
        settings, duration_s=args.duration, scenario_s=scenario_s, normal_day=not args.no_day
    )
    print(f"sent {sent} events")
    return 0


def cmd_scenario(args: argparse.Namespace) -> int:
    from scenarios.disasters import describe

    if args.list or not args.name:
        rows = describe()
        width = max((len(name) for name, _ in rows), default=0)
        for name, line in rows:
            print(f"{name:<{width}}  {line}")
        return 0
    from scenarios.disasters import ScenarioError, load_scenario
    from scenarios.live import play_on_running_stack

    try:
        load_scenario(args.name)
    except ScenarioError as exc:
        raise SystemExit(f"goldentime: {exc}") from None

    settings = _settings()
    if args.ready_file:
        settings = _stack_settings(settings, args.ready_file)
    _logging(settings.log_level)
    if args.speed is not None:
        settings = settings.replace(sim_speed=args.speed)
    sent = play_on_running_stack(settings, args.name, speed_given=args.speed is not None)
    print(f"scenario {args.name}: sent {sent} events")
    return 0


def _stack_settings(settings: Settings, ready_file: Path) -> Settings:
    """The running stack's broker, cache and prefix, from the ready file of ``up``."""
    import json

    info = json.loads(ready_file.read_text())
    return settings.replace(
        kafka_bootstrap=info["kafka_bootstrap"],
        redis_url=info["redis_url"],
        topic_prefix=info.get("topic_prefix", ""),
    )


def cmd_schema(args: argparse.Namespace) -> int:
    from streams.contract.schema import schemas, write_schemas

    out: Path = args.out
    if args.check:
        stale = [
            n
            for n, text in schemas().items()
            if not (out / n).exists() or (out / n).read_text(encoding="utf-8") != text
        ]
        if stale:
            print(f"stale or missing schemas in {out}: {', '.join(stale)}; run goldentime schema")
            return 1
        print(f"schemas in {out} are current")
        return 0
    for path in write_schemas(out):
        print(path)
    return 0


def cmd_topics(args: argparse.Namespace) -> int:
    from streams.topics import Topics, ensure_topics

    settings = _settings()
    created = ensure_topics(
        settings.kafka_bootstrap,
        Topics(settings.topic_prefix),
        settings.partitions,
        settings.replication_factor,
    )
    print("created: " + (", ".join(created) or "nothing (all exist)"))
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from access import Role, authority_for

    settings = _settings()
    if not settings.auth_secret:
        raise SystemExit("goldentime token: set GT_AUTH_SECRET")
    authority = authority_for(settings)
    print(authority.mint(Role(args.role), args.subject, unit_id=args.unit, ttl_s=args.ttl_s))
    return 0


def parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    p = argparse.ArgumentParser(prog="goldentime", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="run the whole system on this machine (embedded broker/cache)")
    up.add_argument(
        "--kafka", metavar="BOOTSTRAP", help="use this Kafka instead of the embedded broker"
    )
    up.add_argument("--redis", metavar="URL", help="use this Redis instead of the embedded cache")
    up.add_argument("--no-sim", action="store_true", help="start without simulated city traffic")
    up.add_argument("--ready-file", type=Path, help="write connection details here when ready")
    up.add_argument("--run-dir", type=Path, help="directory for logs and tokens")
    up.add_argument("--port", type=int, help="console port (default 8080, or a free one)")
    up.add_argument("--partitions", type=int, help="partitions per topic")
    _add_sim_options(up)
    up.set_defaults(func=cmd_up)
    worker = sub.add_parser(
        "worker", help="run a stream worker (fusion, with its intake and follow-up stages)"
    )
    worker.add_argument(
        "--no-follow",
        action="store_true",
        help="do not start the follow-up stage (overlays, alerts) as a child process: "
        "run it apart with `follow`",
    )
    worker.add_argument(
        "--no-dispatch",
        action="store_true",
        help="do not start the dispatch stage (fleet, recommendations, assignments) as a "
        "child process: run it apart with `dispatch`",
    )
    worker.add_argument(
        "--no-intake",
        action="store_true",
        help="do not start the intake stage (validation of every input) as a child process: "
        "run it apart with `worker --intake-only`",
    )
    worker.add_argument(
        "--intake-only",
        action="store_true",
        help="run only the intake stage (scales on the input topics' partitions)",
    )
    worker.add_argument("--parent-pid", type=int, default=0, help=argparse.SUPPRESS)
    worker.set_defaults(func=cmd_worker)
    dispatch = sub.add_parser(
        "dispatch", help="run the dispatch stage (fleet, recommendations, assignments) alone"
    )
    dispatch.add_argument("--parent-pid", type=int, default=0, help=argparse.SUPPRESS)
    dispatch.set_defaults(func=cmd_dispatch)
    follow = sub.add_parser("follow", help="run the follow-up stage (overlays, alerts) alone")
    follow.add_argument("--parent-pid", type=int, default=0, help=argparse.SUPPRESS)
    follow.set_defaults(func=cmd_follow)
    sub.add_parser("console", help="run the console server").set_defaults(func=cmd_console)
    sub.add_parser("video", help="run the video relay").set_defaults(func=cmd_video)
    sim = sub.add_parser("simulate", help="play a normal day of the city (and a scenario)")
    _add_sim_options(sim)
    sim.add_argument("--duration", type=float, help="wall seconds (default: until stopped)")
    sim.add_argument("--minutes", type=float, help="stop after this many scenario minutes")
    sim.add_argument(
        "--no-day", action="store_true", help="play only the scenario, not the normal day"
    )
    sim.set_defaults(func=cmd_simulate)
    scen = sub.add_parser(
        "scenario", help="play a disaster scenario against a running stack (--list: show them)"
    )
    scen.add_argument("name", nargs="?", help="the scenario to play")
    scen.add_argument("--list", action="store_true", help="list the scenarios")
    scen.add_argument("--speed", type=float, help="clock speed (default: the running day's)")
    scen.add_argument(
        "--ready-file", type=Path, help="the ready file of the running `goldentime up`"
    )
    scen.set_defaults(func=cmd_scenario)
    schema = sub.add_parser("schema", help="write JSON Schema of every event")
    schema.add_argument("--out", type=Path, default=Path("docs/schemas"))
    schema.add_argument("--check", action="store_true", help="fail if the files are stale")
    schema.set_defaults(func=cmd_schema)
    sub.add_parser("topics", help="create the contract's topics").set_defaults(func=cmd_topics)
    token = sub.add_parser("token", help="mint a bearer token (needs GT_AUTH_SECRET)")
    token.add_argument(
        "--role", required=True, choices=["dispatcher", "supervisor", "crew", "service"]
    )
    token.add_argument("--subject", default="cli")
    token.add_argument("--unit", help="the unit a crew token is bound to")
    token.add_argument("--ttl-s", type=float, default=12 * 3600)
    token.set_defaults(func=cmd_token)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``goldentime`` command."""
    args = parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
