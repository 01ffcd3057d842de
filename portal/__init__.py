"""The litigation-service web portal (诉讼服务网) and SMS short-link pages (jinja2)."""
