"""Court intake API v1 (``/court/api/v1``)."""
