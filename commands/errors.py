"""The one error handler of the command tree: what a user sees when a command fails.

``UserError`` (a mistake the user can fix) becomes its own message; permission failures say
which permission is needed; everything else is logged with a short error id, and the user sees
only that id. Every answer is ephemeral and pings nobody.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import discord
from discord import app_commands

from bot.embeds import clean_markdown, clip
from bot.news.model.errors import UserError

log = logging.getLogger("shopwire.commands")

NO_MENTIONS = discord.AllowedMentions.none()
MAX_ERROR_TEXT = 1900


class NotNewsAdmin(app_commands.CheckFailure):
    """The user is neither a Manage Server member nor holds the configured admin role."""

    def __init__(self, role: str | None = None) -> None:
        self.role = role
        super().__init__(admin_requirement(role))


def admin_requirement(role: str | None) -> str:
    """The sentence that tells a user what an admin command needs."""
    if role:
        shown = clean_markdown(role, 100)
        return f"You need the Manage Server permission (or the {shown} role) to use this command."
    return "You need the Manage Server permission to use this command."


def _unwrap(error: BaseException) -> BaseException:
    """The exception that really happened, out of discord.py's wrappers."""
    seen = 0
    while seen < 10:
        seen += 1
        if isinstance(error, app_commands.CommandInvokeError):
            error = error.original
        elif isinstance(error, app_commands.TransformerError) and isinstance(
            error.__cause__, UserError
        ):
            error = error.__cause__
        else:
            break
    return error


def _sentence(text: str) -> str:
    text = text.strip()
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    if text and text[-1] not in ".!?…":
        text += "."
    return text


_PERMISSION_LABELS = {
    "manage_guild": "Manage Server",
    "read_messages": "View Channel",
    "view_channel": "View Channel",
    "external_emojis": "Use External Emojis",
}


def permission_label(name: str) -> str:
    """A permission as Discord's client names it (``embed_links`` -> "Embed Links")."""
    return _PERMISSION_LABELS.get(name) or name.replace("_", " ").title()


def join_words(words: list[str]) -> str:
    """``["a", "b", "c"]`` -> "a, b and c"."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _permission_names(names: list[str]) -> str:
    return join_words([permission_label(n) for n in names])


def user_message(error: BaseException) -> str | None:
    """What to tell the user about ``error``; None when it is a bug (log it, show an id)."""
    error = _unwrap(error)
    if isinstance(error, UserError):
        return _sentence(str(error)) or "That did not work."
    if isinstance(error, NotNewsAdmin):
        return str(error)
    if isinstance(error, app_commands.MissingPermissions):
        names = _permission_names(error.missing_permissions)
        return f"You need the {names} permission to use this command."
    if isinstance(error, app_commands.BotMissingPermissions):
        names = _permission_names(error.missing_permissions)
        return f"I'm missing the {names} permission here."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command only works in a server."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.TransformerError):
        value = clean_markdown(str(error.value), 80)
        kind = error.type.name.replace("_", " ")
        return f"I couldn't use “{value}” as a {kind} here. Pick one from the list."
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use this command here."
    if isinstance(error, app_commands.CommandSignatureMismatch | app_commands.CommandNotFound):
        return (
            "This command changed since Discord last heard of it. "
            "Try again in a minute, or ask the bot's operator to sync the commands."
        )
    return None


def _command_name(interaction: discord.Interaction[Any]) -> str:
    command = interaction.command
    return command.qualified_name if command is not None else "?"


async def report_error(interaction: discord.Interaction[Any], error: BaseException) -> None:
    """Tell the user what went wrong (ephemeral); log bugs with an id they can quote."""
    text = user_message(error)
    if text is None:
        error_id = secrets.token_hex(4)
        original = _unwrap(error)
        log.error(
            "command failed error_id=%s command=%s guild_id=%s user_id=%s",
            error_id,
            _command_name(interaction),
            interaction.guild_id,
            interaction.user.id,
            exc_info=(type(original), original, original.__traceback__),
        )
        text = (
            f"Something went wrong (error id {error_id}). "
            "The bot's operator can look it up in the logs."
        )
    else:
        log.info(
            "command refused command=%s guild_id=%s user_id=%s reason=%r",
            _command_name(interaction),
            interaction.guild_id,
            interaction.user.id,
            text,
        )
    if interaction.type is discord.InteractionType.autocomplete:
        return  # nothing can be shown to the user for a failed autocomplete
    await send_ephemeral(interaction, text)


async def send_ephemeral(interaction: discord.Interaction[Any], text: str) -> None:
    """Answer privately, as a first response or as a follow-up, without ever pinging."""
    text = clip(text, MAX_ERROR_TEXT)
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.response.send_message(
                text, ephemeral=True, allowed_mentions=NO_MENTIONS
            )
    except discord.HTTPException as exc:
        # The interaction expired or was answered elsewhere; the user cannot be told.
        log.warning(
            "could not report an error command=%s status=%s code=%s",
            _command_name(interaction),
            exc.status,
            exc.code,
        )


class ShopwireTree(app_commands.CommandTree[Any]):
    """The command tree with Shopwire's single error handler."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """Every command's failure ends here (see :func:`report_error`)."""
        await report_error(interaction, error)
