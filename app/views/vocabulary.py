"""The code lists as one serialised document."""

from functools import cache

import orjson

from app.caching import etag_of
from app.schemas.vocabulary import VocabularyOut
from app.vocabulary import get_vocabulary


@cache
def vocabulary_document() -> tuple[bytes, str]:
    """The same for the process's whole life: serialised and hashed once."""
    body = orjson.dumps(VocabularyOut.model_validate(get_vocabulary().public()).model_dump())
    return body, etag_of(body)
