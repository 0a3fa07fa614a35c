"""create_app(): middleware, error handlers, routers — nothing else."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware

from app.config import get_settings
from app.db import check_session_intents, close_async_pool, open_async_pool
from app.errors import install_error_handlers
from app.mail.worker import start_in_process, stop_in_process
from app.middleware import BodySizeLimit, Compression, RejectNul, SecurityHeaders
from app.openapi import install_docs, install_openapi, operation_id
from app.routers import (
    auth,
    coordinator,
    events,
    feed,
    health,
    mail,
    matches,
    me,
    media,
    messages,
    notifications,
    profiles,
    push,
    reports,
    swipes,
    trajectory,
    webapp,
)
from app.services import feature_store
from app.services.event_hub import start_hub, stop_hub

API_PREFIX = "/api/v1"

DESCRIPTION = """
**Job Tinder** — the matching API behind *Job Twinning*: a teacher (docent) and a professional
from a company learn from each other for a few months.

Log in with **Authorize** (your email as username). Participants swipe through the feed, a
mutual like starts a match in its trial period (*proeftijd*), and either side can leave at any
moment with the *exit-kaart*. Errors are `application/problem+json` (RFC 9457).

**Caching and compression.** Answers above 1 KB are gzipped when the request says
`Accept-Encoding: gzip`. Every answer under `/api/v1` is `Cache-Control: no-store` (personal
data), except: `GET /vocabulary` (`public, max-age=86400`) and `GET /me`, `GET /profiles/{id}`
(`private, no-cache`: only the caller's own client may keep them). These three carry an `ETag`;
send it back in `If-None-Match` and an unchanged answer is `304 Not Modified` without a body.
"""

# Tag names are ASCII identifiers (generators turn them into class and file names); the Dutch
# label leads the description.
TAGS = [
    {"name": "account", "description": "**Account** — registreren, inloggen, mijn gegevens"},
    {"name": "profile", "description": "**Profiel** — mijn profiel en profielkaarten"},
    {"name": "feed", "description": "**Feed** — de swipe-stapel, swipes en blokkades"},
    {"name": "matches", "description": "**Matches** — proeftijd, bevestigen, exit-kaart"},
    {
        "name": "trajectory",
        "description": "**Traject** — plan, ontmoetingen, voortgang en evaluaties",
    },
    {
        "name": "messages",
        "description": "**Berichten** — het gesprek van een match: berichten en gelezen",
    },
    {
        "name": "notifications",
        "description": "**Meldingen** — meldingen, live events en pushberichten",
    },
    {"name": "safety", "description": "**Veiligheid** — iemand melden (ongewenst gedrag)"},
    {
        "name": "coordinator",
        "description": "**Coördinator** — voor regionale coördinatoren: deelnemers en koppels "
        "van je regio's, blind koppelen, voorstellen, cijfers en exports",
    },
    {"name": "vocabulary", "description": "**Vocabulaire** — codelijsten"},
    {"name": "operations", "description": "**Beheer** — health checks"},
]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    await open_async_pool(app)
    await run_in_threadpool(feature_store.warm_up)
    # What exists now (modules, vocabulary, the feature store's index) lives as long as the
    # process: keep it out of the cyclic garbage collector's full passes, which otherwise
    # walk it all and show up as latency spikes.
    gc.freeze()
    await start_hub(app)
    await start_in_process(app)
    try:
        yield
    finally:
        await stop_in_process(app)
        await stop_hub(app)
        gc.unfreeze()
        await close_async_pool(app)


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(
        lifespan=lifespan,
        title="Job Tinder API",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        docs_url=None,  # served below from the vendored Swagger UI
        redoc_url=None,
        openapi_url="/openapi.json" if settings.docs_enabled else None,
        swagger_ui_parameters={"persistAuthorization": True},
        generate_unique_id_function=operation_id,
    )
    install_error_handlers(app)
    install_openapi(app)

    # Innermost first: CORS and the security headers apply to its answers too.
    app.add_middleware(RejectNul)
    if settings.cors_origins:  # closed by default
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(Compression, minimum_size=1024)
    app.add_middleware(SecurityHeaders, api_prefix=API_PREFIX)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        # The photo upload only: the photo plus the multipart framing around it.
        per_route={("PUT", API_PREFIX + "/me/photo"): settings.photo_max_bytes + 16 * 1024},
    )

    # Requests are matched against routes in this order: the hot paths first. Each router is
    # included on the app itself: a route inside routers nested in routers costs a walk over
    # the nested routers on every request (FastAPI's lazily built route tables).
    for module in (
        swipes,
        feed,
        auth,
        me,
        profiles,
        matches,
        trajectory,
        messages,
        notifications,
        reports,
        events,
        push,
        mail,
        coordinator,
    ):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(coordinator.admin_router, prefix=API_PREFIX)
    app.include_router(health.router)
    app.include_router(media.router)
    app.include_router(webapp.router)
    if settings.docs_enabled:
        install_docs(app)
    check_session_intents(app)  # every route that uses the request's session says read or write
    return app


app = create_app()
