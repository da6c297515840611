"""The request checks Discord makes that a bot can trip over: sizes, counts, shapes.

Failures are reported the way Discord reports them: HTTP 400, code 50035 "Invalid Form Body",
with an `errors` tree keyed by the path of the offending field. discord.py flattens that tree
into `HTTPException.text`, so a test sees e.g. "In embeds.0.description: Must be 4096 or fewer
in length."
"""

from __future__ import annotations

import re
from typing import Any

from .state import JSON

COMPONENTS_V2 = 1 << 15

_CHAT_INPUT_NAME = re.compile(r"^[-_'\w]{1,32}$")


class FormErrors:
    """Collects field errors into Discord's nested `errors` object."""

    def __init__(self) -> None:
        self.tree: JSON = {}

    def __bool__(self) -> bool:
        return bool(self.tree)

    def add(self, path: list[str | int], code: str, message: str) -> None:
        """Record an error at `path` (e.g. ["embeds", 0, "title"])."""
        node = self.tree
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def body(self) -> JSON:
        """The 400 response body."""
        return {"message": "Invalid Form Body", "code": 50035, "errors": self.tree}

    def flat(self) -> list[str]:
        """Human-readable lines, for logs and assertion messages."""
        lines: list[str] = []

        def walk(node: JSON, prefix: str) -> None:
            for key, value in node.items():
                if key == "_errors":
                    lines.extend(f"{prefix or '<root>'}: {e['message']}" for e in value)
                else:
                    walk(value, f"{prefix}.{key}" if prefix else key)

        walk(self.tree, "")
        return lines


def _max_len(errors: FormErrors, path: list[str | int], value: Any, limit: int) -> int:
    if value is None:
        return 0
    text = str(value)
    if len(text) > limit:
        errors.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")
    return len(text)


def _embed_total(errors: FormErrors, index: int, embed: JSON) -> int:
    path: list[str | int] = ["embeds", index]
    total = _max_len(errors, [*path, "title"], embed.get("title"), 256)
    total += _max_len(errors, [*path, "description"], embed.get("description"), 4096)
    fields = embed.get("fields") or []
    if len(fields) > 25:
        errors.add([*path, "fields"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    for i, item in enumerate(fields):
        for key, limit in (("name", 256), ("value", 1024)):
            value = item.get(key)
            if value is None or str(value) == "":
                errors.add(
                    [*path, "fields", i, key], "BASE_TYPE_REQUIRED", "This field is required"
                )
            total += _max_len(errors, [*path, "fields", i, key], value, limit)
    footer = embed.get("footer") or {}
    total += _max_len(errors, [*path, "footer", "text"], footer.get("text"), 2048)
    author = embed.get("author") or {}
    total += _max_len(errors, [*path, "author", "name"], author.get("name"), 256)
    for key in ("url",):
        url = embed.get(key)
        if url is not None and not str(url).startswith(("http://", "https://")):
            errors.add([*path, key], "URL_TYPE_INVALID_URL", "Not a well formed URL.")
    return total


def validate_message(payload: JSON) -> FormErrors:
    """Check a create/edit message body against Discord's limits."""
    errors = FormErrors()
    _max_len(errors, ["content"], payload.get("content"), 2000)
    embeds = payload.get("embeds") or []
    if len(embeds) > 10:
        errors.add(["embeds"], "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    total = sum(_embed_total(errors, i, e) for i, e in enumerate(embeds))
    if total > 6000:
        errors.add(["embeds"], "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
    nonce = payload.get("nonce")
    if isinstance(nonce, str) and len(nonce) > 25:
        errors.add(["nonce"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    mentions = payload.get("allowed_mentions")
    if isinstance(mentions, dict):
        parse = mentions.get("parse") or []
        for i, kind in enumerate(parse):
            if kind not in ("users", "roles", "everyone"):
                errors.add(
                    ["allowed_mentions", "parse", i],
                    "BASE_TYPE_CHOICES",
                    "Value must be one of {'users', 'roles', 'everyone'}.",
                )
        for kind in ("users", "roles"):
            if len(mentions.get(kind) or []) > 100:
                errors.add(
                    ["allowed_mentions", kind],
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 100 or fewer in length.",
                )
            if kind in parse and mentions.get(kind):
                errors.add(
                    ["allowed_mentions"],
                    "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                    f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
                )
    flags = int(payload.get("flags") or 0)
    if not flags & COMPONENTS_V2:
        rows = payload.get("components") or []
        if len(rows) > 5:
            errors.add(["components"], "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
        seen: set[str] = set()
        for r, row in enumerate(rows):
            children = row.get("components") or []
            if row.get("type") == 1 and len(children) > 5:
                errors.add(
                    ["components", r, "components"],
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 5 or fewer in length.",
                )
            for c, child in enumerate(children):
                custom_id = child.get("custom_id")
                if custom_id is None:
                    continue
                path: list[str | int] = ["components", r, "components", c, "custom_id"]
                _max_len(errors, path, custom_id, 100)
                if custom_id in seen:
                    errors.add(
                        path,
                        "COMPONENT_CUSTOM_ID_DUPLICATED",
                        "Component custom id cannot be duplicated",
                    )
                seen.add(custom_id)
                _max_len(
                    errors, ["components", r, "components", c, "label"], child.get("label"), 80
                )
    return errors


def is_empty_message(payload: JSON) -> bool:
    """Discord's 50006 rule: no content, embeds, components, files, stickers or poll."""
    return not (
        payload.get("content")
        or payload.get("embeds")
        or payload.get("components")
        or payload.get("attachments")
        or payload.get("sticker_ids")
        or payload.get("poll")
    )


def _validate_name_and_description(errors: FormErrors, path: list[str | int], item: JSON) -> int:
    name = str(item.get("name", ""))
    if not _CHAT_INPUT_NAME.match(name) or name != name.lower():
        errors.add([*path, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
    description = str(item.get("description", ""))
    if not 1 <= len(description) <= 100:
        errors.add(
            [*path, "description"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
        )
    return len(name) + len(description)


def _validate_option(errors: FormErrors, path: list[str | int], option: JSON, depth: int) -> int:
    # depth 1 = a top-level command's own options; groups live only there, sub-commands at 1 or 2.
    chars = _validate_name_and_description(errors, path, option)
    kind = option.get("type")
    children = option.get("options") or []
    if kind in (1, 2):
        if (kind == 2 and depth != 1) or depth > 2:
            errors.add(
                [*path, "type"],
                "APPLICATION_COMMAND_OPTION_TYPE_INVALID",
                "Sub-command nesting is too deep",
            )
        wrong_child = (
            (lambda c: c.get("type") != 1) if kind == 2 else (lambda c: c.get("type") in (1, 2))
        )
        if any(wrong_child(c) for c in children):
            errors.add(
                [*path, "options"],
                "APPLICATION_COMMAND_OPTION_TYPE_INVALID",
                "Invalid sub-command nesting",
            )
        return chars + _validate_options(errors, [*path, "options"], children, depth + 1)
    choices = option.get("choices") or []
    if len(choices) > 25:
        errors.add([*path, "choices"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    if choices and option.get("autocomplete"):
        errors.add(
            [*path, "autocomplete"],
            "APPLICATION_COMMAND_AUTOCOMPLETE_INVALID",
            "Autocomplete cannot be set with choices",
        )
    for i, choice in enumerate(choices):
        chars += _max_len(errors, [*path, "choices", i, "name"], choice.get("name"), 100)
        if isinstance(choice.get("value"), str):
            chars += _max_len(errors, [*path, "choices", i, "value"], choice.get("value"), 100)
    return chars


def _validate_options(
    errors: FormErrors, path: list[str | int], options: list[JSON], depth: int
) -> int:
    if len(options) > 25:
        errors.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    names = [o.get("name") for o in options]
    if len(names) != len(set(names)):
        errors.add(
            path, "APPLICATION_COMMAND_OPTION_NAME_ALREADY_EXISTS", "Option names must be unique"
        )
    seen_optional = False
    for i, option in enumerate(options):
        if option.get("type") not in (1, 2):
            if option.get("required"):
                if seen_optional:
                    errors.add(
                        [*path, i, "required"],
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        "Required options must be placed before non-required options",
                    )
            else:
                seen_optional = True
    return sum(_validate_option(errors, [*path, i], o, depth) for i, o in enumerate(options))


def validate_commands(payload: Any) -> FormErrors:
    """Check a bulk-overwrite command list against Discord's rules."""
    errors = FormErrors()
    if not isinstance(payload, list):
        errors.add([], "BASE_TYPE_ARRAY", "Must be an array.")
        return errors
    counts: dict[int, int] = {}
    seen: set[tuple[int, str]] = set()
    for i, command in enumerate(payload):
        kind = int(command.get("type", 1))
        counts[kind] = counts.get(kind, 0) + 1
        name = str(command.get("name", ""))
        if (kind, name) in seen:
            errors.add(
                [i, "name"],
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                f"Application command names must be unique ({name})",
            )
        seen.add((kind, name))
        if kind == 1:
            chars = _validate_name_and_description(errors, [i], command)
            chars += _validate_options(errors, [i, "options"], command.get("options") or [], 1)
            if chars > 4000:
                errors.add(
                    [i], "APPLICATION_COMMAND_TOO_LARGE", "Command exceeds maximum size (4000)"
                )
        elif not 1 <= len(name) <= 32:
            errors.add([i, "name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length.")
    for kind, limit in ((1, 100), (2, 5), (3, 5)):
        if counts.get(kind, 0) > limit:
            errors.add(
                [], "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer commands of type {kind}."
            )
    return errors


def validate_choices(data: JSON | None) -> FormErrors:
    """Check an autocomplete result (callback type 8)."""
    errors = FormErrors()
    choices = (data or {}).get("choices")
    if not isinstance(choices, list):
        errors.add(["data", "choices"], "BASE_TYPE_REQUIRED", "This field is required")
        return errors
    if len(choices) > 25:
        errors.add(["data", "choices"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    for i, choice in enumerate(choices):
        name = str(choice.get("name", ""))
        if not 1 <= len(name) <= 100:
            errors.add(
                ["data", "choices", i, "name"],
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            )
        if isinstance(choice.get("value"), str):
            _max_len(errors, ["data", "choices", i, "value"], choice["value"], 100)
    return errors
