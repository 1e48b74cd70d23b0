"""The Teams app package: schema-valid manifest, icons Teams accepts, commands from the table."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator
from PIL import Image

from bot.core.commands import Role
from bot.core.help_card import help_card
from bot.core.i18n import sv
from bot.features.registry import COMMANDS
from manifest import build
from manifest.build import build_manifest, write_package

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = REPO_ROOT / "node_modules" / "@microsoft" / "app-manifest" / "build" / "json-schemas" / "teams"
APP_ID = "0b6f2c1e-5d7a-4e8b-9c3d-2a1f0e9d8c7b"
SCOPES = ["personal", "team", "groupChat"]


def schema_for(version: str) -> dict[str, Any]:
    path = SCHEMAS / f"v{version}" / "MicrosoftTeams.schema.json"
    if not SCHEMAS.is_dir():
        pytest.fail(f"{SCHEMAS} is missing: run `npm ci` in {REPO_ROOT} to install the manifest schemas")
    if not path.is_file():
        pytest.fail(f"no bundled schema for manifest version {version} ({path})")
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


@pytest.fixture
def package(tmp_path: Path) -> Path:
    return write_package(build_manifest(APP_ID), tmp_path / "appPackage.zip")


def read_manifest(package: Path) -> dict[str, Any]:
    with zipfile.ZipFile(package) as archive:
        manifest: dict[str, Any] = json.loads(archive.read("manifest.json").decode("utf-8"))
    return manifest


def open_icon(package: Path, name: str, tmp_path: Path) -> Image.Image:
    with zipfile.ZipFile(package) as archive:
        target = Path(archive.extract(name, tmp_path / "unzipped"))
    with Image.open(target) as image:
        image.load()
        return image.copy()


def rgba_pixels(image: Image.Image) -> list[tuple[int, ...]]:
    data = image.convert("RGBA").tobytes()
    return [tuple(data[index : index + 4]) for index in range(0, len(data), 4)]


def test_package_holds_manifest_and_icons_at_its_root(package: Path) -> None:
    with zipfile.ZipFile(package) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]


def test_manifest_is_valid_against_the_bundled_schema_of_its_version(package: Path) -> None:
    manifest = read_manifest(package)
    version = manifest["manifestVersion"]
    schema = schema_for(version)
    errors = sorted(Draft4Validator(schema).iter_errors(manifest), key=lambda error: list(error.path))
    assert not errors, "\n".join(f"{list(error.path)}: {error.message}" for error in errors)
    # Draft 4 ignores "const", so check the version pin by hand.
    assert schema["properties"]["manifestVersion"]["const"] == version
    assert manifest["$schema"] == (
        f"https://developer.microsoft.com/en-us/json-schemas/teams/v{version}/MicrosoftTeams.schema.json"
    )


def test_template_uses_the_newest_bundled_schema() -> None:
    schema_for("1.0")  # fails clearly when node_modules is missing
    numbered = [path.name[1:] for path in SCHEMAS.iterdir() if path.name[1:2].isdigit()]
    newest = max(numbered, key=lambda version: tuple(int(part) for part in version.split(".")))
    assert build_manifest(APP_ID)["manifestVersion"] == newest


def test_command_limits_in_build_match_the_schema() -> None:
    schema = schema_for(build_manifest(APP_ID)["manifestVersion"])
    lists = schema["properties"]["bots"]["items"]["properties"]["commandLists"]
    commands = lists["items"]["properties"]["commands"]
    fields = commands["items"]["properties"]
    assert lists["maxItems"] == build.MAX_COMMAND_LISTS
    assert commands["maxItems"] == build.MAX_COMMANDS_PER_LIST
    assert fields["title"]["maxLength"] == build.MAX_TITLE_LENGTH
    assert fields["description"]["maxLength"] == build.MAX_DESCRIPTION_LENGTH


def test_icons_have_the_sizes_teams_requires(package: Path, tmp_path: Path) -> None:
    assert open_icon(package, "color.png", tmp_path).size == (192, 192)
    assert open_icon(package, "outline.png", tmp_path).size == (32, 32)


def test_outline_is_white_on_transparent(package: Path, tmp_path: Path) -> None:
    outline = open_icon(package, "outline.png", tmp_path)
    assert outline.mode == "RGBA"
    pixels = rgba_pixels(outline)
    stray = [pixel for pixel in pixels if pixel[3] != 0 and pixel[:3] != (255, 255, 255)]
    assert not stray, f"{len(stray)} outline pixels are neither transparent nor white: {stray[:5]}"
    assert any(pixel[3] == 0 for pixel in pixels), "the outline needs a transparent background"
    assert any(pixel[3] == 255 for pixel in pixels), "the outline draws nothing"


def test_color_icon_is_opaque(package: Path, tmp_path: Path) -> None:
    color = open_icon(package, "color.png", tmp_path)
    assert all(pixel[3] == 255 for pixel in rgba_pixels(color))


def test_bot_scopes_are_the_case_sensitive_names(package: Path) -> None:
    bot = read_manifest(package)["bots"][0]
    assert bot["scopes"] == SCOPES
    assert bot["supportsFiles"] is False  # the bot handles no files: Teams offers no upload
    assert bot["isNotificationOnly"] is False
    assert [entry["scopes"] for entry in bot["commandLists"]] == [["personal"], ["team", "groupChat"]]


def test_command_lists_agree_with_the_command_table(package: Path) -> None:
    for entry in read_manifest(package)["bots"][0]["commandLists"]:
        place = "personal" if entry["scopes"] == ["personal"] else "channel"
        expected = [command for command in COMMANDS.commands if command.in_manifest and command.role is Role.PARTICIPANT
                    and command.place in (place, "anywhere")]
        assert [item["title"] for item in entry["commands"]] == [command.name for command in expected]
        for item, command in zip(entry["commands"], expected, strict=True):
            assert item["description"].startswith(sv.MESSAGES[command.help_key])
        assert len(entry["commands"]) <= build.MAX_COMMANDS_PER_LIST


def test_each_scope_gets_its_own_commands_and_coordinator_commands_only_in_help(package: Path) -> None:
    personal, shared = (entry for entry in read_manifest(package)["bots"][0]["commandLists"])
    by_name = {command.name: command for command in COMMANDS.commands}
    personal_titles = [item["title"] for item in personal["commands"]]
    shared_titles = [item["title"] for item in shared["commands"]]
    assert {"anmäl", "mina anmälningar", "utvärdera", "mina uppgifter"} <= set(personal_titles)
    assert {"hjälp", "schema", "exempel"} <= set(shared_titles)
    assert not {"anmäl", "mina anmälningar", "mina uppgifter", "koppla kanal"} & set(shared_titles)
    assert "koppla kanal" not in personal_titles
    shown = {*personal_titles, *shared_titles}
    assert [name for name in shown if by_name[name].role is Role.COORDINATOR] == []
    coordinator_commands = [command.name for command in COMMANDS.commands if command.role is Role.COORDINATOR]
    help_text = json.dumps(help_card(COMMANDS.visible(Role.COORDINATOR), False), ensure_ascii=False)
    assert coordinator_commands and [name for name in coordinator_commands if name not in help_text] == []


def test_texts_come_from_the_swedish_catalog(package: Path) -> None:
    manifest = read_manifest(package)
    assert manifest["name"]["short"] == sv.MESSAGES["bot.name"] == "DalaLab"
    assert manifest["description"]["short"] == sv.MESSAGES["bot.short_description"]
    assert manifest["description"]["full"] == sv.MESSAGES["bot.full_description"]
    assert manifest["developer"]["name"] == "Region Dalarna"
    assert manifest["localizationInfo"]["defaultLanguageTag"] == "sv-SE"
    assert "{{" not in json.dumps(manifest)


def test_main_puts_microsoft_app_id_in_id_and_bot_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MicrosoftAppId", APP_ID)
    monkeypatch.setenv("BOT_DOMAIN", "https://dalalab.example.se/api/messages")
    out = tmp_path / "out" / "appPackage.zip"
    assert build.main(["--out", str(out)]) == 0
    manifest = read_manifest(out)
    assert manifest["id"] == APP_ID
    assert manifest["bots"][0]["botId"] == APP_ID
    assert manifest["validDomains"] == ["dalalab.example.se"]


def test_main_without_app_id_uses_the_development_id_and_warns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MicrosoftAppId", "")
    monkeypatch.delenv("BOT_DOMAIN", raising=False)
    out = tmp_path / "appPackage.zip"
    build.main(["--out", str(out)])
    manifest = read_manifest(out)
    assert manifest["id"] == manifest["bots"][0]["botId"] == build.DEV_APP_ID
    assert manifest["validDomains"] == []
    assert "MicrosoftAppId is empty" in capsys.readouterr().err


def test_build_refuses_an_app_id_that_is_not_a_guid() -> None:
    with pytest.raises(ValueError, match="not a GUID"):
        build_manifest("my-bot")


def test_long_descriptions_are_cut_to_the_limit() -> None:
    cut = build.truncate("x" * 5000, build.MAX_DESCRIPTION_LENGTH)
    assert len(cut) == build.MAX_DESCRIPTION_LENGTH
    assert cut.endswith("…")
    assert build.truncate("kort", 10) == "kort"
