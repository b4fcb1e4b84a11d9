"""Handler modules by feature; each exposes ``register(application)``."""
