"""Builds the Teams app package (manifest.json, color.png, outline.png in one zip).

The manifest comes from ``manifest.template.json``; its texts come from the Swedish catalog and its
``commandLists`` from the command table. Run ``python -m manifest.build [--out build/appPackage.zip]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.core.commands import Command, Role
from bot.core.i18n import sv
from bot.features.registry import COMMANDS

MANIFEST_DIR = Path(__file__).resolve().parent
TEMPLATE_PATH = MANIFEST_DIR / "manifest.template.json"
DEFAULT_OUT = Path("build/appPackage.zip")

# Used when MicrosoftAppId is empty (local development): a fixed GUID keeps local packages identical
# between builds. It belongs to no bot registration, so a package built with it must not be uploaded.
DEV_APP_ID = "d41a1ab0-0000-4000-8000-00000000da1a"

PERSONAL_SCOPES = ("personal",)
GROUP_SCOPES = ("team", "groupChat")

# Limits of bots[0].commandLists in the schema version the template names (1.24 and later allow
# 12 commands per list, earlier versions 10); tests/manifest checks them against the bundled schema.
MAX_COMMAND_LISTS = 3
MAX_COMMANDS_PER_LIST = 12
MAX_TITLE_LENGTH = 128
MAX_DESCRIPTION_LENGTH = 4000

_PLACEHOLDER = re.compile(r"\{\{([A-Za-z0-9_.]+)\}\}")
_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
# Fixed zip entry times make two builds of the same inputs byte-identical.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def load_template() -> dict[str, Any]:
    template: dict[str, Any] = json.loads(TEMPLATE_PATH.read_text(encoding="utf-8"))
    return template


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in an ellipsis when it was cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def command_description(command: Command) -> str:
    """The Swedish help text, followed by the syntax for commands that take an argument."""
    description = sv.MESSAGES[command.help_key]
    if command.argument:
        syntax = sv.MESSAGES["help.argument"].format(command=command.name, argument=sv.MESSAGES[command.argument])
        description = f"{description} ({syntax})"
    return truncate(description, MAX_DESCRIPTION_LENGTH)


def menu_commands(place: str, commands: Sequence[Command] = COMMANDS.commands) -> list[Command]:
    """The commands of Teams' command menu in a 1:1 chat (``place`` "personal") or in a team or
    group chat ("channel"): participant commands marked ``in_manifest`` that are meant for that
    place. Coordinator commands are left to the help card: everyone sees the menu."""
    return [command for command in commands
            if command.in_manifest and command.role is Role.PARTICIPANT and command.place in (place, "anywhere")]


def manifest_commands(commands: Sequence[Command] = COMMANDS.commands) -> list[dict[str, str]]:
    """One command menu, as the manifest writes it."""
    shown = list(commands)
    if len(shown) > MAX_COMMANDS_PER_LIST:
        names = ", ".join(command.name for command in shown)
        raise ValueError(
            f"{len(shown)} commands would be in one command menu but a Teams command list holds at most "
            f"{MAX_COMMANDS_PER_LIST}: set in_manifest=False on some of: {names}"
        )
    return [
        {"title": truncate(command.name, MAX_TITLE_LENGTH), "description": command_description(command)}
        for command in shown
    ]


def command_lists(commands: Sequence[Command] = COMMANDS.commands) -> list[dict[str, Any]]:
    """One list for 1:1 chats and one for teams and group chats (where people @mention the bot)."""
    lists = [(PERSONAL_SCOPES, manifest_commands(menu_commands("personal", commands))),
             (GROUP_SCOPES, manifest_commands(menu_commands("channel", commands)))]
    return [{"scopes": list(scopes), "commands": entries} for scopes, entries in lists if entries]


def fill_placeholders(value: Any, values: Mapping[str, str]) -> Any:
    """A copy of ``value`` where every string that is exactly ``{{KEY}}`` becomes ``values[KEY]``."""
    if isinstance(value, dict):
        return {key: fill_placeholders(item, values) for key, item in value.items()}
    if isinstance(value, list):
        return [fill_placeholders(item, values) for item in value]
    if isinstance(value, str) and (match := _PLACEHOLDER.fullmatch(value)):
        key = match.group(1)
        if key not in values:
            raise ValueError(f"manifest template placeholder {value} has no value")
        return values[key]
    return value


def domain_of(bot_domain: str) -> str:
    """The host name Teams expects in validDomains, also when given a URL such as https://x/api."""
    text = bot_domain.strip()
    host = urlsplit(text).netloc if "://" in text else text.split("/", 1)[0]
    if not host:
        raise ValueError(f"BOT_DOMAIN={bot_domain!r} has no host name")
    return host


def build_manifest(app_id: str, bot_domain: str | None = None) -> dict[str, Any]:
    """The manifest for the bot registered as ``app_id`` (a GUID), optionally served on ``bot_domain``."""
    if not _GUID.fullmatch(app_id):
        raise ValueError(f"app id {app_id!r} is not a GUID (MicrosoftAppId of the bot registration)")
    texts = {key: sv.MESSAGES[key] for key in ("bot.name", "bot.short_description", "bot.full_description")}
    manifest: dict[str, Any] = fill_placeholders(load_template(), {"BOT_ID": app_id, **texts})
    manifest["bots"][0]["commandLists"] = command_lists()
    manifest["validDomains"] = [domain_of(bot_domain)] if bot_domain and bot_domain.strip() else []
    return manifest


def _zip_entry(name: str) -> zipfile.ZipInfo:
    entry = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    entry.compress_type = zipfile.ZIP_DEFLATED
    return entry


def write_package(manifest: dict[str, Any], out: Path) -> Path:
    """Write ``out`` (a zip with manifest.json and both icons at its root) and return it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    icons = [manifest["icons"]["color"], manifest["icons"]["outline"]]
    with zipfile.ZipFile(out, "w") as package:
        text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
        package.writestr(_zip_entry("manifest.json"), text.encode("utf-8"))
        for icon in icons:
            package.writestr(_zip_entry(icon), (MANIFEST_DIR / icon).read_bytes())
    return out


def app_id_from_env(env: Mapping[str, str]) -> str:
    """MicrosoftAppId, or the local development GUID (with a warning) when it is empty."""
    app_id = env.get("MicrosoftAppId", "").strip()
    if app_id:
        return app_id
    print(
        f"warning: MicrosoftAppId is empty; using the local development id {DEV_APP_ID}. "
        "The package is for local development only: do not upload it to Teams.",
        file=sys.stderr,
    )
    return DEV_APP_ID


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m manifest.build", description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="zip to write (%(default)s)")
    arguments = parser.parse_args(argv)
    manifest = build_manifest(app_id_from_env(os.environ), os.environ.get("BOT_DOMAIN"))
    print(f"wrote {write_package(manifest, arguments.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
