"""The litigation-service web portal (诉讼服务网) and SMS short-link pages (jinja2)."""
from pathlib import Path

from web.templating import Templates

templates = Templates(Path(__file__).parent / "templates")
render = templates.render
