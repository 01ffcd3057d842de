"""JSON API for the WeChat mini-program (``/mp/api/v1``)."""
