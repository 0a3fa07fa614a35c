"""The ceiling: a bare FastAPI endpoint returning a small JSON, served exactly like the API.

`/ceiling` is the yardstick: an `async def` endpoint, as the hot paths are (they never pay a
threadpool hop). `/ceiling-sync` is the synchronous endpoint that earlier figures in
bench/README.md were measured against (a threadpool hop per request), kept as a labelled
second line.
"""

from fastapi import FastAPI

app = FastAPI()


@app.get("/ceiling")
async def ceiling() -> dict[str, object]:
    return {"status": "ok", "items": [1, 2, 3]}


@app.get("/ceiling-sync")
def ceiling_sync() -> dict[str, object]:
    return {"status": "ok", "items": [1, 2, 3]}
