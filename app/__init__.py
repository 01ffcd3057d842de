"""Application assembly: settings, database, app factory and the `python -m app` CLI.

Domain packages may import `app.settings` and `app.errors`; nothing else here.
"""
