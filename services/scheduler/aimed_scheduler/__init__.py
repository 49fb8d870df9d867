"""AI-Med scheduler service."""
