"""Notification models."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class NotificationOut(BaseModel):
    id: int
    type: str
    created_at: datetime
    read: bool
    data: dict[str, Any]
