"""`kimai-tray profiles [--json]`: the configured servers/accounts and what each still queues."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from kimai_tray.command_output import say
from kimai_tray.platform.profiles import config_for, profile_names

if TYPE_CHECKING:
    from kimai_tray.context import AppContext
    from kimai_tray.core.outbox import PendingOp


def _pending(ctx: AppContext, name: str) -> int:
    """Queued changes in profile `name`'s outbox (0 when it was never used: no file yet)."""
    from kimai_tray.core.outbox import Outbox

    if name == ctx.profile:
        return ctx.tracker.state.pending
    path = ctx.profile_data_dir(name) / ctx.paths.outbox_file.name
    if not path.exists():
        return 0
    outbox = Outbox(path)
    try:
        return outbox.counts()[0]
    finally:
        outbox.close()


async def cmd_profiles(ctx: AppContext, args: argparse.Namespace) -> int:
    base = ctx.file_config or ctx.config
    rows = []
    for name in profile_names(base):
        cfg = config_for(base, name)
        rows.append(
            {
                "name": name,
                "active": name == ctx.profile,
                "server": cfg.server_url or None,
                "user": cfg.username or None,
                "pending": _pending(ctx, name),
            }
        )
    if args.json:
        say(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    for row in rows:
        mark = "*" if row["active"] else " "
        server = row["server"] or "not configured"
        waiting = f"  ({row['pending']} pending)" if row["pending"] else ""
        say(f"{mark} {row['name']}  {server}{waiting}")
    return 0


def pending_notes(ctx: AppContext, op: PendingOp) -> list[str]:
    """Rounded times and lockdown warnings for a queued entry, from the profile's own rules."""
    from datetime import UTC, datetime

    from kimai_tray.core.rules import entry_notes
    from kimai_tray.platform.profiles import find_profile

    profile = find_profile(ctx.file_config or ctx.config, ctx.profile)
    now = datetime.now(UTC)
    tz = now.astimezone().tzinfo or UTC  # offline the desktop's zone stands in for Kimai's
    entry = op.entry
    return entry_notes(
        entry.begin,
        entry.end,
        rounding=profile.rounding_rule,
        lockdown=profile.lockdown,
        now=now,
        tz=tz,
    )
