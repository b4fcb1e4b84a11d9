# newsbot in a container: `docker compose up -d` (see compose.yaml and README, "Container").
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Only what `pip install .` needs: the package metadata and the two packages.
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY storage ./storage
RUN pip install . && rm -rf /src
WORKDIR /app

# A user of its own; /data (the volume) belongs to it, so a new named volume does too.
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home newsbot \
    && mkdir -p /data \
    && chown newsbot:newsbot /data
USER newsbot

# The database and the watched article folder live in the volume. In a container the webhook
# listener must accept connections from outside it (the published port); polling ignores it.
ENV DATABASE_PATH=/data/newsbot.db \
    SEEDS_DIR=/data/seeds \
    WEBHOOK_LISTEN=0.0.0.0 \
    WEBHOOK_PORT=8080
VOLUME ["/data"]
EXPOSE 8080

# Healthy: the database on the volume opens read-only and holds newsbot's tables. A crash ends
# the container (compose restarts it); this catches a missing, unreadable or foreign database.
HEALTHCHECK --interval=60s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, sqlite3; path = os.environ.get('DATABASE_PATH', 'data/newsbot.db'); sqlite3.connect(f'file:{path}?mode=ro', uri=True, timeout=5).execute('SELECT id FROM articles LIMIT 1').fetchall()"]

# SIGTERM (docker stop) stops the bot cleanly: sends in flight are answered and recorded.
STOPSIGNAL SIGTERM
CMD ["newsbot", "run"]
