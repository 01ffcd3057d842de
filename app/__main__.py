"""``python -m app <command>``: serve, migrate, demo and administration."""
from __future__ import annotations

import argparse
import asyncio
import os
import sys

from app.settings import get_settings
from core.settings import ConfigurationError, Mode
from service.choices import CourtSystem


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app", description="电子送达平台 / court e-service platform")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the web server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)

    commands.add_parser("migrate", help="apply pending database migrations")
    commands.add_parser("makemigrations", help="write a migration for model changes (developers)")

    court = commands.add_parser("create-court", help="register a court")
    court.add_argument("--code", required=True, help="法院代字 as in case numbers, e.g. 桂1202")
    court.add_argument("--name", required=True)
    court.add_argument("--phone", default="")

    client = commands.add_parser("create-api-client", help="issue an API key for a court system")
    client.add_argument("--name", required=True)
    client.add_argument("--system", required=True, choices=[s.value for s in CourtSystem])
    client.add_argument("--court", help="court code; may be omitted when only one court exists")

    staff = commands.add_parser("create-staff", help="a clerk console account (password + TOTP)")
    staff.add_argument("--court", required=True, help="court code (法院代字)")
    staff.add_argument("--login", required=True)
    staff.add_argument("--name", required=True, help="display name, e.g. 李书记员")
    staff.add_argument("--role", required=True, choices=["clerk", "judge", "admin", "dispatcher", "process_server"])

    audit = commands.add_parser("audit", help="the tamper-evident audit chain")
    audit.add_argument("action", choices=["verify", "checkpoint"],
                       help="verify: check every event and the latest signed checkpoint; "
                            "checkpoint: sign today's chain head into data_dir/audit-checkpoints")

    commands.add_parser("worker", help="run background work (seal receipts, audit chain, SMS reports) without HTTP")

    demo = commands.add_parser("demo", help="seed a demo court and case, then serve")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--no-serve", action="store_true", help="seed and print, but do not start the server")

    args = parser.parse_args(argv)
    try:
        _public_base_url_follows_server(args)
        return _run(args)
    except ConfigurationError as exc:
        print(exc, file=sys.stderr)
        return 2
    except CommandError as exc:
        print(f"错误: {exc}", file=sys.stderr)
        return 1


class CommandError(Exception):
    pass


def dev_public_base_url(host: str, port: int) -> str:
    """The address a browser on this machine uses for a server bound to ``host:port``."""
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _public_base_url_follows_server(args: argparse.Namespace) -> None:
    """Dev: SMS links and receipt QR codes point at the server this command starts (its workers
    and background loop read it from the environment), unless SONGDA_PUBLIC_BASE_URL is set.
    Production never guesses: check_production requires the setting."""
    if args.command not in ("serve", "demo"):
        return
    settings = get_settings()
    if settings.mode is Mode.PRODUCTION or "public_base_url" in settings.model_fields_set:
        return
    os.environ["SONGDA_PUBLIC_BASE_URL"] = dev_public_base_url(args.host, args.port)
    get_settings.cache_clear()


def _run(args: argparse.Namespace) -> int:
    settings = get_settings()
    settings.check_production()
    settings = _with_database(settings)
    if args.command == "serve":
        from app.server import serve

        serve(host=args.host, port=args.port, workers=args.workers)
    elif args.command == "migrate":
        from app.database import migrate_database

        asyncio.run(migrate_database(settings))
        print("数据库已是最新版本 (migrations applied)")
    elif args.command == "makemigrations":
        from tortoise.cli.cli import run_cli_async

        return asyncio.run(run_cli_async(["-c", "app.tortoise_config.TORTOISE_ORM", "makemigrations"]))
    elif args.command == "create-court":
        asyncio.run(_with_db(_create_court(args)))
    elif args.command == "create-api-client":
        asyncio.run(_with_db(_create_api_client(args)))
    elif args.command == "create-staff":
        asyncio.run(_with_db(_create_staff(args, settings)))
    elif args.command == "audit":
        return asyncio.run(_with_db(_audit(args.action, settings)))
    elif args.command == "worker":
        import signal

        from app.worker import run_standalone

        # Until the worker's loop installs its own handlers (app/worker.py), a stop signal during
        # start-up interrupts like Ctrl+C; either way the command ends quietly with status 0.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        try:
            asyncio.run(_with_db(run_standalone(settings)))
        except KeyboardInterrupt:
            pass
    elif args.command == "demo":
        from app.demo import run_demo

        run_demo(host=args.host, port=args.port, serve_after=not args.no_serve)
    return 0


def _with_database(settings):
    from app.embedded_postgres import with_embedded_database

    settings = with_embedded_database(settings)
    get_settings.cache_clear()  # later get_settings() calls read the URL from the environment
    return settings


async def _with_db(coro):
    from app.database import close_database, init_database

    await init_database(get_settings())
    try:
        return await coro
    finally:
        await close_database()


async def verify_audit(settings):
    """What ``audit verify`` checks: chain every pending event, then verify the chain against the
    latest signed checkpoint. Returns (checkpoint or None, ChainReport); a checkpoint file that
    fails its signature raises ValueError."""
    from audit.chain import chain_pending, latest_checkpoint, verify_chain
    from receipts.seal import Sealer

    while await chain_pending():
        pass
    checkpoint = latest_checkpoint(settings.data_dir / "audit-checkpoints", Sealer.from_settings(settings))
    return checkpoint, await verify_chain(checkpoint)


async def _audit(action: str, settings) -> int:
    from datetime import datetime, timezone

    from audit.chain import write_checkpoint
    from receipts.seal import Sealer

    sealer = Sealer.from_settings(settings)
    directory = settings.data_dir / "audit-checkpoints"
    if action == "checkpoint":
        checkpoint = await write_checkpoint(directory, sealer, now=datetime.now(timezone.utc))
        print(f"已签署检查点：第 {checkpoint['seq']} 条，哈希 {checkpoint['hash']}")
        return 0
    try:
        checkpoint, report = await verify_audit(settings)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    if report.ok:
        print(f"审计链完整：已核验 {report.checked} 条事件" + ("，与最新检查点一致" if checkpoint else "（尚无检查点）"))
        return 0
    print(f"审计链被破坏：第一条异常事件 id {report.first_bad_event_id}：{report.reason}", file=sys.stderr)
    return 3


async def _create_court(args: argparse.Namespace) -> None:

    from centre.courts import register_court
    from service.models import Court

    if await Court.filter(code=args.code).exists():
        raise CommandError(f"法院代字 {args.code} 已存在")
    court = await register_court(code=args.code, name=args.name, phone=args.phone)
    print(f"已创建法院 {court.name}（代字 {court.code}，id {court.id}）")


async def _create_api_client(args: argparse.Namespace) -> None:
    from court.api_clients import create_api_client
    from service.models import Court

    if args.court:
        court = await Court.get_or_none(code=args.court)
        if court is None:
            raise CommandError(f"找不到法院代字 {args.court}；先运行 create-court")
    else:
        courts = await Court.all().limit(2)
        if len(courts) != 1:
            raise CommandError("请用 --court 指定法院代字" if courts else "尚无法院；先运行 create-court")
        court = courts[0]
    client, key = await create_api_client(court, args.name, CourtSystem(args.system))
    print(f"已为 {court.name} 创建 API 客户端 “{client.name}”（{client.system.label}，id {client.id}）")
    print(f"权限: {', '.join(client.scopes)}")
    print("API 密钥（只显示这一次，请妥善保存）:")
    print(key)



async def _create_staff(args: argparse.Namespace, settings) -> None:
    from datetime import datetime, timezone

    from core.errors import AppError
    from court.console.models import StaffRole
    from court.console.staff import create_staff, new_password, provisioning_uri
    from service.models import Court

    court = await Court.get_or_none(code=args.court)
    if court is None:
        raise CommandError(f"找不到法院代字 {args.court}；先运行 create-court")
    password = new_password()
    try:
        account, secret = await create_staff(court, login=args.login, display_name=args.name,
                                             role=StaffRole(args.role), password=password, settings=settings,
                                             now=datetime.now(timezone.utc))
    except AppError as exc:
        raise CommandError(exc.message) from None
    print(f"已为 {court.name} 创建工作人员 {account.display_name}（{account.role.label}，登录名 {account.login}）")
    print("初始密码与动态验证码密钥只显示这一次，请当面交给本人：")
    print(f"密码: {password}")
    print(f"TOTP 密钥: {secret}")
    print(f"身份验证器二维码内容: {provisioning_uri(account, secret)}")


if __name__ == "__main__":
    sys.exit(main())
