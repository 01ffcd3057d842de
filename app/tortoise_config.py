"""Entry point for tortoise's own CLI (``python -m app makemigrations`` uses it)."""
from app.database import tortoise_config
from app.settings import get_settings

TORTOISE_ORM = tortoise_config(get_settings())
