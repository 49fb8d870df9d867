"""AI-Med gateway service."""
