"""Fixed-window counters for rate limits, shared by every API process."""

from sqlalchemy import BigInteger, Column, Integer
from sqlmodel import Field, SQLModel


class RateLimitCounter(SQLModel, table=True):
    __tablename__ = "rate_limit_counters"

    key: str = Field(primary_key=True, max_length=200)
    window_start: int = Field(sa_column=Column(BigInteger, primary_key=True))  # epoch seconds
    hits: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
