"""Data files shipped with the application (see SOURCES.md)."""
