"""Job Tinder: the matching API behind Job Twinning."""
