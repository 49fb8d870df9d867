"""Wire contracts shared by the services and by training. Pure: no FastAPI, no SQL."""
