"""Settings live in ``base`` (everything, driven by the environment) with thin overlays:
``production`` (HTTPS hardening) and ``test`` (fast password hashing)."""
