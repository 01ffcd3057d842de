"""The app with wechatpy pointed at the loopback fake WeChat server."""
from __future__ import annotations

import pytest

from identity.wechat.wechatpy_api import WechatpyApi
from tests.fakes.wechat import FakeWeChat


@pytest.fixture
def fake_wechat():
    with FakeWeChat() as server:
        yield server


@pytest.fixture
async def mp_app(app, fake_wechat):
    app.ctx.wechat_api = WechatpyApi(fake_wechat.app_id, fake_wechat.app_secret, base_url=fake_wechat.base_url)
    return app


@pytest.fixture
async def mp_http(mp_app, http):
    return http


@pytest.fixture
def local_face(mp_app):
    """A court that enabled local matching of remotely captured frames (off by default: WeChat 人脸核身)."""
    mp_app.ctx.settings.face_local_remote = True
    return mp_app
