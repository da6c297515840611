# Shopwire's image: the bot and its CLI, for the compose file in deploy/ (see the README,
# "Running at scale"). Every process of a deployment runs this image with another command.
FROM python:3.11-slim

# uv, pinned: the image installs exactly what uv.lock names, as `uv sync --locked` does on a
# developer's machine.
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /usr/local/bin/uv

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_PROGRESS=1 \
    PYTHONUNBUFFERED=1

# The bot never needs root: it reads its settings from the environment and writes nothing
# but its database (on PostgreSQL, or a volume for SQLite).
RUN useradd --create-home --uid 10001 shopwire
WORKDIR /app

# Dependencies first, so that a code change does not reinstall them.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --locked --no-dev --no-install-project
COPY bot ./bot
COPY storage ./storage
COPY commands ./commands
RUN uv sync --locked --no-dev

USER shopwire
ENV PATH="/app/.venv/bin:${PATH}" \
    SHOPWIRE_DB=/home/shopwire/shopwire.db

# `docker run IMAGE` starts the bot (one process, SQLite); the compose file passes roles.
ENTRYPOINT ["shopwire"]
CMD ["run"]
