"""AI-Med training job: validate, train, export, eval, build-dataset."""
