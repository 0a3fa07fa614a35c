# Job Tinder API. The container migrates the database, then serves (the web app at /app too).

# The web app (web/): built from its lock file, its API types from the committed OpenAPI document.
FROM node:20-slim AS web
WORKDIR /build/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY openapi/openapi.json /build/openapi/openapi.json
COPY web/ ./
RUN npm run build

FROM python:3.11-slim AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /srv/jobtinder
RUN useradd --create-home --uid 10001 jobtinder \
    && mkdir -p /data/media && chown jobtinder /data/media

COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY --from=web /build/web/dist ./web/dist
RUN pip install . && mkdir -p var/mail && chown -R jobtinder var

USER jobtinder
ENV HOST=0.0.0.0 PORT=8000 WORKERS=2 ENVIRONMENT=production MEDIA_DIR=/data/media \
    WEB_APP_DIR=/srv/jobtinder/web/dist
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2).status != 200)"
CMD ["sh", "-c", "jobtinder migrate && exec jobtinder serve --host \"$HOST\" --port \"$PORT\" --workers \"$WORKERS\""]
