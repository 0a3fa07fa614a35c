"""Where photo images live: a local directory (the embedded default) or an S3-compatible
bucket (several API machines). Objects are immutable: a name is derived from the content, so
`put` of an existing name writes the same bytes again."""

import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from app.config import Settings, get_settings

# Names this module stores and serves: "<32 hex>-card.webp", "<32 hex>-thumb.webp".
NAME = re.compile(r"^[0-9a-f]{32}-(card|thumb)\.webp$")


@dataclass(frozen=True, slots=True)
class StoredObject:
    name: str
    modified: datetime


class Storage(Protocol):
    def put(self, name: str, data: bytes, content_type: str) -> None: ...

    def get(self, name: str) -> bytes | None: ...

    def delete(self, names: list[str]) -> None: ...

    def list(self) -> Iterator[StoredObject]: ...


class LocalStorage:
    """A directory (MEDIA_DIR); writes are atomic (a temporary file renamed into place)."""

    def __init__(self, root: str) -> None:
        self.root = Path(root)

    def _path(self, name: str) -> Path:
        if not NAME.match(name):
            raise ValueError("not a media object name")
        return self.root / name

    def put(self, name: str, data: bytes, content_type: str) -> None:
        path = self._path(name)
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, name: str) -> bytes | None:
        try:
            return self._path(name).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, names: list[str]) -> None:
        for name in names:
            self._path(name).unlink(missing_ok=True)

    def list(self) -> Iterator[StoredObject]:
        if not self.root.is_dir():
            return
        for entry in os.scandir(self.root):
            if NAME.match(entry.name):
                modified = datetime.fromtimestamp(entry.stat().st_mtime, UTC)
                yield StoredObject(entry.name, modified)


class S3Storage:
    """An S3-compatible bucket through boto3 (endpoint, region and credentials as boto3 reads
    them: S3_ENDPOINT_URL, S3_REGION, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, ...)."""

    def __init__(self, bucket: str, endpoint_url: str | None, region: str | None) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            config=Config(retries={"max_attempts": 3, "mode": "standard"}),
        )

    def put(self, name: str, data: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=name, Body=data, ContentType=content_type)

    def get(self, name: str) -> bytes | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=name)
        except self.client.exceptions.NoSuchKey:
            return None
        return bytes(answer["Body"].read())

    def delete(self, names: list[str]) -> None:
        for start in range(0, len(names), 1000):  # the API's limit per request
            chunk = names[start : start + 1000]
            self.client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": n} for n in chunk], "Quiet": True},
            )

    def list(self) -> Iterator[StoredObject]:
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            for item in page.get("Contents", ()):
                if NAME.match(item["Key"]):
                    yield StoredObject(item["Key"], item["LastModified"])


def storage_for(settings: Settings) -> Storage:
    if settings.s3_bucket:
        return S3Storage(settings.s3_bucket, settings.s3_endpoint_url, settings.s3_region)
    return LocalStorage(settings.media_dir)


@cache
def _cached(bucket: str | None, endpoint: str | None, region: str | None, root: str) -> Storage:
    return storage_for(get_settings())


def get_storage() -> Storage:
    """The configured storage (one client per configuration and process)."""
    s = get_settings()
    return _cached(s.s3_bucket, s.s3_endpoint_url, s.s3_region, s.media_dir)
