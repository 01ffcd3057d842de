"""The publisher the settings name; a misconfiguration stops start-up with the setting's name."""
from __future__ import annotations

from announcement.publishers.court_paper import CourtPaperPublisher
from announcement.publishers.dev import DevPublisher
from announcement.publishers.publisher import Publisher
from core.settings import ConfigurationError, Settings


def build_publisher(settings: Settings) -> Publisher:
    if settings.announcement_publisher == "dev":
        return DevPublisher()
    if settings.announcement_publisher == "court_paper":
        secret = settings.court_paper_secret.get_secret_value()
        if not (settings.court_paper_client_id and secret and settings.court_paper_base_url):
            raise ConfigurationError("SONGDA_COURT_PAPER_CLIENT_ID / SONGDA_COURT_PAPER_SECRET / "
                                     "SONGDA_COURT_PAPER_BASE_URL 未设置")
        return CourtPaperPublisher(client_id=settings.court_paper_client_id, secret=secret,
                                   base_url=settings.court_paper_base_url)
    raise ConfigurationError(f"SONGDA_ANNOUNCEMENT_PUBLISHER={settings.announcement_publisher} 无法识别："
                             "请设为 dev 或 court_paper")
