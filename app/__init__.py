"""Application assembly: the global settings, the database (embedded or not), providers, each
package's registration, the app factory, the worker and the `python -m app` CLI.

Nothing imports `app` (lint-imports checks it): packages below are handed what they need.
"""
