"""The live stream's ticket."""

from pydantic import BaseModel, Field


class TicketOut(BaseModel):
    model_config = {
        "json_schema_extra": {
            "example": {
                "ticket": "Zk3q5sYH0k2b8Tb2aM7K0s9R1d5bYw7rjQkK2u5Yx1E",
                "expires_in": 60,
                "url": "/api/v1/events?ticket=Zk3q5sYH0k2b8Tb2aM7K0s9R1d5bYw7rjQkK2u5Yx1E",
            }
        }
    }

    ticket: str = Field(description="Single use; valid for `expires_in` seconds.")
    expires_in: int
    url: str = Field(description="The stream's URL with this ticket (for `new EventSource`).")
