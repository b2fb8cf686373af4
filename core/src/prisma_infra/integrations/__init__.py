"""Framework integrations: FastAPI/Starlette, Flask/WSGI."""
