"""The ceiling: a bare FastAPI endpoint returning a small JSON, served exactly like the API."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/ceiling")
def ceiling() -> dict[str, object]:
    return {"status": "ok", "items": [1, 2, 3]}
