"""Request and response models, mirroring app/models."""
