"""FastAPI plumbing shared by the three services, so each service stays about its domain."""
