"""`brain hub`: serve launch links; `brain hub token ...` and `brain hub audit`: its accounts.

The token and audit commands work on the hub's state folder directly (`BRAIN_HOME/hub`), so
they work with the hub stopped; an admin can do the same through the hub's `/api/tokens`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from brain.cli import output

if TYPE_CHECKING:
    from brain.share.accounts import HubAccounts


@click.group("hub", invoke_without_command=True, context_settings={"show_default": True})
@click.option("--host", default="127.0.0.1", help="Address to listen on.")
@click.option("--port", default=8765, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--allow", "allow", multiple=True, metavar="PATTERN",
              help="Only launch repositories matching this pattern (fnmatch; repeatable). "
              "Default: any.")
@click.option("--allow-data", "allow_data", multiple=True, metavar="PATTERN",
              help="Dataset remotes (fnmatch on their URL) launched projects may pull from "
              "(repeatable). Default: none.")
@click.option("--secret", envvar="BRAIN_HUB_SECRET", metavar="SECRET", show_envvar=True,
              help="Require links signed with this secret (`generate-url --sign`).")
@click.option("--max-concurrent", default=2, type=click.IntRange(min=1), metavar="N",
              help="Launches running at once; more get HTTP 429.")
@click.option("--timeout", default=None, type=click.FloatRange(min=1), metavar="SECONDS",
              help="A launch is stopped after this long (environment build included). "
              "Default: the hub_timeout setting (1800).")
@click.option("--auth", type=click.Choice(["anonymous", "tokens"]), default="anonymous",
              help="anonymous: anyone who reaches the hub may do anything (a single-user "
              "machine); tokens: every request needs a token (`brain hub token create`).")
@click.option("--max-launches-per-user", default=None, type=click.IntRange(min=1),
              metavar="N", help="Launches one token may run at once; more get HTTP 429.")
@click.option("--trusted-proxy", "trusted_proxies", multiple=True, metavar="ADDRESS",
              help="A reverse proxy (address or network) whose X-Forwarded-For and "
              "X-Forwarded-Prefix headers the hub believes (repeatable).")
@click.option("--root-path", default="", metavar="PREFIX", show_default=False,
              help="The path the hub is served under behind a reverse proxy, e.g. /brain.")
@click.pass_context
def hub(context: click.Context, host: str, port: int, allow: tuple[str, ...],
        allow_data: tuple[str, ...],
        secret: str | None, max_concurrent: int, timeout: float | None, auth: str,
        max_launches_per_user: int | None, trusted_proxies: tuple[str, ...],
        root_path: str) -> None:
    """Serve launch links: a page per link, live logs, launch history, hosted apps.

    Each launch runs in its own working copy, with a scrubbed environment, under the limits
    of the hub_* settings (`brain config list`); a hub run as root runs launches as hub_user.
    With `--auth tokens` viewers see pages and reports, launchers also launch, admins also
    manage tokens; the default, anonymous, suits a hub only you can reach.

    \b
    Examples:
      brain hub
      brain hub --allow 'https://github.com/acme/*' --secret "$BRAIN_HUB_SECRET"
      brain hub token create ana --role launcher --expires 30d
      brain hub --auth tokens --max-launches-per-user 2 --root-path /brain \\
          --trusted-proxy 127.0.0.1
    """
    if context.invoked_subcommand is not None:
        return
    from brain.extras import require_extra

    require_extra("hub", "brain hub")
    from brain.share.hub import HubSettings
    from brain.share.hub_auth import check_root_path, proxy_networks
    from brain.share.hub_server import serve

    settings = HubSettings(host=host, port=port, allow=allow, allow_data=allow_data,
                           secret=secret or None,
                           max_concurrent=max_concurrent, timeout=timeout,
                           tokens=auth == "tokens", max_per_user=max_launches_per_user,
                           trusted_proxies=proxy_networks(trusted_proxies),
                           root_path=check_root_path(root_path))
    if host not in ("127.0.0.1", "localhost", "::1") and not allow and not secret \
            and not settings.tokens:
        output.warn(f"listening on {host} with no --allow, no --secret and no --auth tokens: "
                    "anyone who reaches this port can run any repository's code here")
    output.note(f"hub listening on http://{host}:{port}{settings.root_path} (Ctrl-C to stop)")
    serve(settings)


def _accounts() -> HubAccounts:
    from brain.paths import hub_dir
    from brain.share.accounts import HubAccounts, accounts_file

    return HubAccounts(accounts_file(hub_dir()))


@hub.group("token")
def token() -> None:
    """The hub's tokens: create, list, revoke (in the store in force: shared with PostgreSQL)."""


@token.command("create")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["viewer", "launcher", "admin"]),
              help="viewer: pages and reports; launcher: also launch; admin: also tokens.")
@click.option("--expires", metavar="DURATION", help="Lifetime: 45s, 90m, 12h, 30d, 2w. "
              "Default: until revoked.")
@click.option("--json", "as_json", is_flag=True, help='Print {"token": ...}.')
def token_create(name: str, role: str, expires: str | None, as_json: bool) -> None:
    """Make a token for NAME and print it, once: only its digest is kept.

    \b
    Examples:
      brain hub token create ana --role launcher --expires 30d
      curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8765/api/launches
    """
    from brain.share.accounts import parse_duration, role_named

    lifetime = parse_duration(expires) if expires else None
    accounts = _accounts()
    secret = accounts.create(name, role_named(role), lifetime=lifetime)
    accounts.record(_local_user(), "token-create", f"{name} ({role})", "local")
    if as_json:
        output.print_json({"token": secret})
        return
    output.echo(secret)
    output.note(f"token {name!r} ({role}) made; it is shown only now")


@token.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def token_list(as_json: bool) -> None:
    """Every token: name, role, created, expires, last used (never the token itself)."""
    found = _accounts().accounts()
    if as_json:
        output.print_json([account.as_dict() for account in found])
        return
    output.table("hub tokens", ["name", "role", "created", "expires", "last used"],
                 [[account.name, account.role.label, _moment(account.created_at),
                   _moment(account.expires_at, "never"), _moment(account.last_used, "never")]
                  for account in found])


@token.command("revoke")
@click.argument("name")
def token_revoke(name: str) -> None:
    """Revoke NAME's token and end its browser sessions, at once."""
    accounts = _accounts()
    accounts.revoke(name)
    accounts.record(_local_user(), "token-revoke", name, "local")
    output.success(f"token {name!r} revoked")


@hub.command("audit")
@click.option("--since", metavar="WHEN", help="Only from then on: a duration back (12h, 7d) "
              "or a date (2026-01-31).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def audit(since: str | None, as_json: bool) -> None:
    """Who launched, downloaded or changed tokens: when, what, from which address.

    \b
    Examples:
      brain hub audit --since 24h
      brain hub audit --json --since 2026-01-31
    """
    from brain.share.hub_auth import since_timestamp

    entries = _accounts().audit(since_timestamp(since) if since else None)
    if as_json:
        output.print_json([entry.as_dict() for entry in entries])
        return
    output.table("hub audit", ["when", "who", "action", "what", "from"],
                 [[_moment(entry.at), entry.who, entry.action, entry.target, entry.client]
                  for entry in entries])


def _local_user() -> str:
    """Who ran a token command on this machine, for the audit log."""
    import getpass

    try:
        return f"{getpass.getuser()} (command line)"
    except (KeyError, OSError):  # no name for this uid
        return "command line"


def _moment(timestamp: float | None, missing: str = "") -> str:
    from datetime import datetime

    if timestamp is None:
        return missing
    return datetime.fromtimestamp(timestamp).astimezone().strftime("%Y-%m-%d %H:%M %Z")


__all__ = ["hub"]
