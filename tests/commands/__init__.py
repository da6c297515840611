"""Tests of the Discord layer: embeds, the bot class and its slash commands."""
