"""The ``mock-halo`` command: serve, fixtures, contract, judge, decode, config-example, version."""

from __future__ import annotations

import argparse
import base64
import errno
import gc
import json
import os
import socket
import sys
import time
from collections.abc import Sequence

from mock_halo import HALO_API_VERSION, __version__
from mock_halo.config import ConfigError, Settings, example_toml, load_settings
from mock_halo.logs import FORMATS as LOG_FORMATS
from mock_halo.logs import configure as configure_logs

#: Net new objects between two young-generation collections while serving (Python's default: 700).
GC_YOUNG_THRESHOLD = 20_000


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["serve", *argv]  # serve is the default command: `mock-halo --port 9000` serves
    if argv[0] == "fixtures":
        # The fixtures subcommand owns its own flags.
        from mock_halo.fixtures_cli import fixtures_main

        return fixtures_main(argv[1:])
    if argv[0] == "contract":
        # So does the contract subcommand (its flags pass through to pytest).
        from mock_halo.contract.runner import main as contract_main

        return contract_main(argv[1:])
    if argv[0] == "judge":
        # The client checks over a journal; their own flags.
        from mock_halo.judge_cli import main as judge_main

        return judge_main(argv[1:])
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        # argparse would blame the top-level command and print its usage; the
        # subcommand's own usage is what helps (`mock-halo serve --bogus`).
        subcommand = parser.subcommands.get(args.command, parser)
        subcommand.error(f"unrecognized arguments: {' '.join(unknown)}")
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    return args.func(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mock-halo", description="Offline emulator of Halo Connect's Halo Cloud API.")
    parser.add_argument("--version", action="version", version=f"mock-halo {__version__} (Halo Cloud API {HALO_API_VERSION})")
    sub = parser.add_subparsers(dest="command")
    parser.subcommands = sub.choices  # type: ignore[attr-defined]

    serve = sub.add_parser("serve", help="run the emulator (the default command)")
    serve.add_argument("--config", help="TOML configuration file (default: $MOCK_HALO_CONFIG)")
    serve.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to bind (default 8080; 0 picks a free one)")
    serve.add_argument("--seed", type=int, help="seed for ids and the fake practice data (default 42)")
    serve.add_argument("--patients", type=int, help="patients per site (default 200)")
    serve.add_argument("--subscription-key", dest="subscription_key", help="the integrator's primary subscription key")
    serve.add_argument("--clock", choices=["real", "virtual"], help="real (default) or virtual: frozen until moved")
    serve.add_argument("--clock-speed", dest="clock_speed", type=float, help="with a real clock: 60 runs an hour a minute")
    serve.add_argument("--log-level", dest="log_level", choices=["critical", "error", "warning", "info", "debug"])
    serve.add_argument("--quiet", action="store_true",
                       help="no startup banner and no request log (warnings and errors still print)")
    serve.add_argument("--log-format", dest="log_format", choices=list(LOG_FORMATS),
                       help="request log as text lines (default) or JSON lines (default: $MOCK_HALO_LOG_FORMAT or text)")
    serve.add_argument(
        "--scenario", action="append", default=[], metavar="FILE.json",
        help="preload scenario rules from a JSON file (a rule, an array, or {\"rules\": [...]}); repeatable",
    )
    serve.add_argument(
        "--state", metavar="FILE",
        help="keep state across restarts: restore FILE at start when it exists, write it on shutdown and on "
             "POST /_mock/snapshot (practice data, finished queries, rules, clock)",
    )
    serve.add_argument(
        "--chaos", metavar="PROFILE",
        help="inject Halo's failures at seeded random: a built-in profile (mild, stormy) or a JSON/TOML profile file",
    )
    serve.set_defaults(func=_serve)

    sub.add_parser("fixtures", help="write a fake practice database (see: mock-halo fixtures --help)")
    sub.add_parser("contract", help="run the contract suite against the emulator or a real Halo (see: mock-halo contract --help)")
    sub.add_parser("judge", help="check a client's behaviour from the journal (see: mock-halo judge --help)")

    decode = sub.add_parser("decode", help="print the rows of a query response read from stdin")
    decode.set_defaults(func=_decode)

    example = sub.add_parser("config-example", help="print a commented example TOML configuration")
    example.set_defaults(func=lambda args: (print(example_toml(), end=""), 0)[1])

    version = sub.add_parser("version", help="print the version")
    version.set_defaults(func=lambda args: (print(f"mock-halo {__version__} (Halo Cloud API {HALO_API_VERSION})"), 0)[1])
    return parser


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from mock_halo.app import create_app
    from mock_halo.emulator import Emulator

    overrides = {
        "host": args.host,
        "port": args.port,
        "seed": args.seed,
        "patients": args.patients,
        "subscription_key": args.subscription_key,
        "clock": args.clock,
        "clock_speed": args.clock_speed,
        "log_level": args.log_level,
        "state_file": args.state,
    }
    from mock_halo.config import with_scenarios
    from mock_halo.scenarios import ScenarioError
    from mock_halo.scenarios.files import read_rule_file

    try:
        settings = load_settings(args.config, overrides=overrides)
        for path in args.scenario:
            settings = with_scenarios(settings, read_rule_file(path), path)
        if args.chaos:
            from mock_halo.scenarios.chaos import load_profile

            settings = with_scenarios(settings, load_profile(args.chaos), f"--chaos {args.chaos}")
    except (ConfigError, ScenarioError) as exc:
        print(f"mock-halo: configuration error: {exc}", file=sys.stderr)
        return 2
    log_format = args.log_format or os.environ.get("MOCK_HALO_LOG_FORMAT", "").strip().lower() or "text"
    if log_format not in LOG_FORMATS:
        print(f"mock-halo: configuration error: MOCK_HALO_LOG_FORMAT must be one of {list(LOG_FORMATS)}, not {log_format!r}",
              file=sys.stderr)
        return 2
    started = time.perf_counter()
    # Listen first: a port in use is said plainly before any work, not as an
    # errno after uvicorn's "startup complete".
    try:
        sock = listening_socket(settings.host, settings.port)
    except OSError as exc:
        print(f"mock-halo: cannot listen on {settings.host}:{settings.port}: {_bind_problem(exc)}", file=sys.stderr)
        return 2
    emulator = Emulator(settings)
    emulator.warm()
    if settings.state_file and os.path.exists(settings.state_file):
        from mock_halo.snapshot import SnapshotError, load

        try:
            restored = load(emulator, settings.state_file)
        except SnapshotError as exc:
            print(f"mock-halo: cannot restore the state: {exc}", file=sys.stderr)
            sock.close()
            emulator.close()
            return 2
        print(f"mock-halo: restored {settings.state_file} (saved {restored['savedAt']}: {restored['queries']} "
              f"queries, {restored['rules']} rules, {len(restored['databases'])} databases)", file=sys.stderr)
    app = create_app(emulator=emulator)
    # Everything loaded so far (modules, fixture templates) lives for the whole
    # run: keep it out of the collector's full passes, which would otherwise
    # rescan it every time and pause requests for tens of milliseconds.
    gc.collect()
    gc.freeze()
    # A young-generation pass every GC_YOUNG_THRESHOLD objects more instead of Python's 700: a request
    # leaves a few hundred behind for a moment (the store and journal keep some), so the default
    # collected every other request, a few percent of an immediate query's time. A pass over
    # 20,000 young objects takes about a millisecond.
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    from mock_halo.serving import uvicorn_config

    # uvicorn's own lines (process started, startup complete) only when debugging: the request
    # log says what happens; its warnings and errors still print.
    uvicorn_level = "debug" if settings.log_level == "debug" else "warning"
    config = uvicorn_config(app, settings, log_level=uvicorn_level)
    # After uvicorn's Config, which reconfigures logging (closing the handlers it finds).
    configure_logs(log_format, quiet=args.quiet, level=settings.log_level)
    server = uvicorn.Server(config)
    warning = network_warning(settings)
    if warning and args.quiet:  # the banner carries it otherwise
        print(warning, file=sys.stderr, flush=True)
    if not args.quiet:
        _on_started(server, lambda port: print(banner(settings, port, time.perf_counter() - started), flush=True))
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it stopped on
        pass
    finally:
        if settings.state_file:
            from mock_halo.snapshot import save

            saved = save(emulator, settings.state_file)
            print(f"mock-halo: state written to {saved['path']} ({saved['queries']} queries)", file=sys.stderr)
        emulator.close()
    return 0


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (port 0: a free one), ready for uvicorn."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _bind_problem(exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return ("the port is already in use (another mock-halo?); choose another with --port or "
                "MOCK_HALO_PORT, or --port 0 for a free one")
    if exc.errno == errno.EACCES:
        return "permission denied (ports below 1024 need privileges); choose a port above 1024 with --port"
    if exc.errno == errno.EADDRNOTAVAIL or isinstance(exc, socket.gaierror):
        return f"this machine has no such address ({exc.strerror or exc}); check --host or MOCK_HALO_HOST"
    return exc.strerror or str(exc)


def _on_started(server, callback) -> None:
    """Print the banner once uvicorn is listening (so port 0 shows the real port)."""
    original = server.startup

    async def startup(sockets=None):
        await original(sockets=sockets)
        port = server.config.port
        for srv in getattr(server, "servers", []):
            for sock in srv.sockets:
                port = sock.getsockname()[1]
                break
        callback(port)

    server.startup = startup


def is_loopback_host(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


def network_warning(settings: Settings) -> str | None:
    """A loud warning for an emulator other machines can reach without an admin token."""
    if is_loopback_host(settings.host) or settings.admin_token:
        return None
    return "\n".join([
        "!" * 78,
        f"!! WARNING: mock-halo listens on {settings.host}, so other machines can reach it, and no",
        "!! admin token is set. Its /_mock control plane stays closed to them (403), but they can",
        "!! use the Halo API with the subscription key (the default one is published in the README).",
        "!! Set MOCK_HALO_ADMIN_TOKEN (admin_token) to open /_mock to callers sending",
        "!! 'Authorization: Bearer <token>', and MOCK_HALO_SUBSCRIPTION_KEY to a key of your own.",
        "!" * 78,
    ])


def banner(settings: Settings, port: int, elapsed_s: float) -> str:
    from mock_halo.cloud import SERVED_APIS
    from mock_halo.pairing import pairing_code

    host = settings.host if settings.host not in ("0.0.0.0", "::") else "127.0.0.1"
    base = f"http://{host}:{port}"
    integrator = settings.integrators[0]
    key = integrator.subscription_keys[0]
    paired = [s for s in settings.sites if s.id in integrator.sites]
    first = paired[0] if paired else settings.sites[0]
    lines = [
        f"mock-halo {__version__} — Halo Cloud API {HALO_API_VERSION} emulator, ready in {elapsed_s:.2f}s",
        f"  listening      {base}   (clock: {settings.clock}, seed {settings.seed}, config: {settings.source})",
        f"  integrator     {integrator.name}  id {integrator.id}",
        f"  subscription   Ocp-Apim-Subscription-Key: {key}",
        "  sites:",
    ]
    for site in settings.sites:
        code = pairing_code(site)
        state = "paired" if site.id in integrator.sites else f"NOT paired (403){f'; pairing code {code}' if code else ''}"
        lines.append(f"    {site.id}  {site.pms_type:<12} {site.name}  [{site.availability}, {state}]")
    hooks = [(i, i.webhook) for i in settings.integrators if i.webhook is not None]
    if hooks:
        lines.append(f"  webhooks       signed notifications (deliveries: {base}/_mock/webhooks)")
        for owner, hook in hooks:
            targets = [f"{name} {url}" for name, url in (("all", hook.url), ("async", hook.async_url),
                                                          ("registered", hook.registered_url)) if url]
            lines.append(f"    {owner.name}: " + ", ".join(targets))
    else:
        lines.append("  webhooks       none configured (README \"Webhooks\"; or PUT /_mock/webhooks/config/{integratorId})")
    chaos = [r for r in settings.scenarios if str(r.get("id", "")).startswith("chaos-")]
    if chaos:
        lines.append(f"  chaos          {len(chaos)} faults at seeded random; each request's are in {base}/_mock/journal")
    warning = network_warning(settings)
    if warning:
        lines += ["", warning]
    lines += ["", "  Halo APIs served:"]
    lines += [f"    {name:<15} {prefix + '/...':<16} {how}" for name, prefix, how in SERVED_APIS]
    lines += [
        "",
        "  Try it (Integrator API: the subscription key alone, an immediate query):",
        f"    curl -s -X POST {base}/integrator/sites/{first.id}/queries/immediate \\",
        f"      -H 'Ocp-Apim-Subscription-Key: {key}' -H 'Content-Type: application/json' \\",
        "      -d '{\"command\":{\"text\":\"SELECT TOP 5 Firstname, Surname FROM BPS_Patients\"}}' \\",
        "      | python3 -c 'import sys,json,base64; print(json.loads(base64.b64decode(json.load(sys.stdin)[\"result\"][\"data\"])))'",
        "  (Device/Desktop API: a token from POST /integrator/token first; see the README's quick start.)",
        "",
        f"  Control plane: {base}/_mock/info   Contract: {base}/openapi.json",
        f"  Console: {base}/_mock/ui   API docs: {base}/docs",
    ]
    return "\n".join(lines)


def _decode(args: argparse.Namespace) -> int:
    """Read a Halo response (immediate query, page, registered result) and print its rows."""
    raw = sys.stdin.read()
    try:
        body = json.loads(raw)
    except json.JSONDecodeError as exc:
        print(f"mock-halo decode: stdin is not JSON ({exc}): {raw[:200]!r}", file=sys.stderr)
        return 2
    data = None
    if isinstance(body, dict):
        data = (body.get("result") or {}).get("data") if isinstance(body.get("result"), dict) else None
        data = data or body.get("data")
        if data is None:
            print(json.dumps(body, indent=2))
            return 0 if "error" not in body and "errorDetails" not in body else 1
    if not isinstance(data, str):
        print("mock-halo decode: no base64 'data' found in the response", file=sys.stderr)
        return 2
    rows = json.loads(base64.b64decode(data))
    print(json.dumps(rows, indent=2, ensure_ascii=False))
    return 0
