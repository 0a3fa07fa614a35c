"""The ranking service: features, reciprocal scoring, explanations. No HTTP, no ORM sessions."""
