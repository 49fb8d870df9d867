"""AI-Med generator service."""
