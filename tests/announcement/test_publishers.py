"""One contract for every publisher (the dev publisher, and 人民法院报's system against its
loopback fake): a submission gets a reference, signed callbacks read back as events, a bad
signature is refused and logged, and the published page is a PDF."""
from __future__ import annotations

import logging
from datetime import date

import pytest

from announcement.choices import PaperStatus
from announcement.publishers.court_paper import CourtPaperPublisher
from announcement.publishers.dev import DevPublisher
from announcement.publishers.publisher import CallbackRejected, PublisherRejected, Submission
from tests.fakes.court_paper import FakeCourtPaper

SUBMISSION = Submission("示范市城中区人民法院", "（2026）桂1202民初1号", "示范市城中区人民法院公告", "张三：……",
                        "http://testserver/announcement/paper/callback")


@pytest.fixture
def fake():
    server = FakeCourtPaper().start()
    yield server
    server.close()


class DevDriver:
    def __init__(self) -> None:
        self.publisher = DevPublisher()

    def callback(self, ref, status, **kwargs):
        return self.publisher.callback(ref, PaperStatus(status), **kwargs)


class CourtPaperDriver:
    def __init__(self, fake: FakeCourtPaper) -> None:
        self.fake = fake
        self.publisher = CourtPaperPublisher(client_id=fake.client_id, secret=fake.secret, base_url=fake.base_url)

    def callback(self, ref, status, **kwargs):
        return self.fake.callback(ref, status, **kwargs)


@pytest.fixture(params=["dev", "court_paper"])
def driver(request, fake):
    return DevDriver() if request.param == "dev" else CourtPaperDriver(fake)


async def test_contract_submit_then_typeset_published_and_returned_callbacks(driver):
    ref = await driver.publisher.submit(SUBMISSION)
    assert ref and len(ref) <= 64
    typeset = driver.publisher.read_callback(*driver.callback(ref, "typeset"))
    assert (typeset.ref, typeset.status) == (ref, PaperStatus.TYPESET)
    published = driver.publisher.read_callback(*driver.callback(ref, "published", published_on=date(2026, 3, 5),
                                                                edition="第7版", page="G3"))
    assert (published.status, published.published_on, published.edition, published.page) == (
        PaperStatus.PUBLISHED, date(2026, 3, 5), "第7版", "G3")
    returned = driver.publisher.read_callback(*driver.callback(ref, "returned", reason="版面已满"))
    assert (returned.status, returned.reason) == (PaperStatus.RETURNED, "版面已满")
    data, filename = await driver.publisher.fetch_page(ref)
    assert data.startswith(b"%PDF") and filename.endswith(".pdf")


async def test_contract_a_bad_signature_is_refused_and_logged(driver, caplog):
    ref = await driver.publisher.submit(SUBMISSION)
    body, signature = driver.callback(ref, "published", published_on=date(2026, 3, 5))
    with caplog.at_level(logging.WARNING, logger="songda.security"), pytest.raises(CallbackRejected):
        driver.publisher.read_callback(body.replace(b"2026-03-05", b"2026-01-05"), signature)
    with pytest.raises(CallbackRejected):
        driver.publisher.read_callback(body, "")
    assert "bad signature" in caplog.text and ref not in caplog.text


async def test_court_paper_signs_its_requests(fake):
    wrong = CourtPaperPublisher(client_id=fake.client_id, secret="not-the-secret", base_url=fake.base_url)
    with pytest.raises(PublisherRejected):
        await wrong.submit(SUBMISSION)
    assert fake.refused_signs == 1
