"""Settings: dev works out of the box, env and .env are read, production refuses laptop values."""
from __future__ import annotations

import base64
import json
import os

import pytest

from app.factory import create_app
from core.settings import DEV_SECRET_KEY, ConfigurationError, Mode, Settings, SmsGatewayName


def pii_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def production(**overrides) -> Settings:
    """A complete production configuration; each test breaks one thing."""
    values = {
        "mode": "production",
        "secret_key": "s" * 48,
        "database_url": "postgres://songda:pw@db.internal:5432/songda",
        "redis_url": "redis://cache.internal:6379/0",
        "sms_gateway": "aliyun",
        "telephony": "aliyun",
        "telephony_show_number": "0772-12368",
        "aliyun_access_key_id": "LTAI-test",
        "aliyun_access_key_secret": "aliyun-secret",
        "pii_keys": {"k1": pii_key(), "k2": pii_key()},
        "pii_active_key_id": "k2",
        "pii_index_key": pii_key(),
        "seal_pkcs12_path": "/etc/songda/seal.p12",
        "public_base_url": "https://songda.example.gov.cn",
        "wechat_api": "wechatpy",
        "wechat_app_id": "wx0123456789abcdef",
        "wechat_app_secret": "wechat-secret",
        "mail_carrier": "kuaidi100",
        "announcement_publisher": "court_paper", "court_paper_client_id": "c01",
        "court_paper_secret": "paper-secret", "court_paper_base_url": "https://paper.example.cn",
        "kuaidi100_customer": "CUSTOMER01",
        "kuaidi100_key": "kuaidi100-key",
        "kuaidi100_salt": "kuaidi100-salt",
    }
    values.update(overrides)
    return Settings(_env_file=None, **{k: v for k, v in values.items() if v is not ...})


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    for name in list(os.environ):
        if name.upper().startswith("SONGDA_"):
            monkeypatch.delenv(name)


def test_dev_defaults_work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings(_env_file=None)
    assert settings.mode is Mode.DEV
    assert settings.sms_gateway is SmsGatewayName.DEV
    assert settings.secret_key.get_secret_value() == DEV_SECRET_KEY
    assert settings.data_dir == tmp_path.resolve() / "var"
    assert settings.data_dir.is_absolute()
    assert settings.database_url == ""  # the embedded PostgreSQL in the data dir (app/embedded_postgres.py)
    assert settings.files_dir == settings.data_dir / "files"
    settings.check_production()  # dev mode: nothing to refuse


def test_secret_key_is_not_shown():
    assert DEV_SECRET_KEY not in repr(Settings(_env_file=None))


def test_env_prefix_is_read(tmp_path, monkeypatch):
    monkeypatch.setenv("SONGDA_DATABASE_URL", "postgres://u@localhost:5432/songda")
    monkeypatch.setenv("SONGDA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATABASE_URL", "postgres://ignored-without-prefix")
    settings = Settings(_env_file=None)
    assert settings.database_url == "postgres://u@localhost:5432/songda"
    assert settings.data_dir == (tmp_path / "data").resolve()


def test_env_complex_values_are_json(monkeypatch):
    keys = {"k1": pii_key()}
    monkeypatch.setenv("SONGDA_PII_KEYS", json.dumps(keys))
    monkeypatch.setenv("SONGDA_TRUSTED_PROXIES", '["10.0.0.0/8"]')
    settings = Settings(_env_file=None)
    assert {k: v.get_secret_value() for k, v in settings.pii_keys.items()} == keys
    assert settings.trusted_proxies == ["10.0.0.0/8"]


def test_dot_env_file_is_read(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text(
        "SONGDA_DATABASE_URL=postgres://from-dotenv@localhost/songda\n"
        "SONGDA_SMS_SIGN_NAME=示范法院\n"
        "SONGDA_DATA_DIR=state\n"
        "UNRELATED=ignored\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.database_url == "postgres://from-dotenv@localhost/songda"
    assert settings.sms_sign_name == "示范法院"
    assert settings.data_dir == tmp_path.resolve() / "state"


def test_environment_beats_dot_env(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("SONGDA_SMS_SIGN_NAME=from-file\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SONGDA_SMS_SIGN_NAME", "from-env")
    assert Settings().sms_sign_name == "from-env"


def test_complete_production_configuration_passes():
    settings = production()
    assert settings.mode is Mode.PRODUCTION and settings.database_url.startswith("postgres://")
    settings.check_production()


def test_complete_production_configuration_from_environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "MODE": "production", "SECRET_KEY": "k" * 40, "DATABASE_URL": "postgres://db/songda",
        "REDIS_URL": "redis://cache:6379/0", "SMS_GATEWAY": "aliyun", "ALIYUN_ACCESS_KEY_ID": "id",
        "ALIYUN_ACCESS_KEY_SECRET": "secret", "TELEPHONY": "aliyun", "TELEPHONY_SHOW_NUMBER": "077212368",
        "PII_KEYS": json.dumps({"k1": pii_key()}),
        "PII_ACTIVE_KEY_ID": "k1", "PII_INDEX_KEY": pii_key(), "SEAL_PKCS12_PATH": "/etc/seal.p12",
        "PUBLIC_BASE_URL": "https://songda.example.gov.cn",
        "WECHAT_API": "wechatpy", "WECHAT_APP_ID": "wx01", "WECHAT_APP_SECRET": "secret",
        "MAIL_CARRIER": "kuaidi100", "KUAIDI100_CUSTOMER": "C01", "KUAIDI100_KEY": "key", "KUAIDI100_SALT": "salt",
        "ANNOUNCEMENT_PUBLISHER": "court_paper", "COURT_PAPER_CLIENT_ID": "c01", "COURT_PAPER_SECRET": "s",
        "COURT_PAPER_BASE_URL": "https://paper.example.cn",
    }.items():
        monkeypatch.setenv(f"SONGDA_{name}", value)
    Settings(_env_file=None).check_production()


SETTING_NAMES = ["SONGDA_SMS_GATEWAY", "SONGDA_SECRET_KEY", "SONGDA_DATABASE_URL", "SONGDA_REDIS_URL",
                 "SONGDA_ALIYUN_ACCESS_KEY_ID", "SONGDA_PII_KEYS", "SONGDA_PII_INDEX_KEY",
                 "SONGDA_SEAL_PKCS12_PATH", "SONGDA_PUBLIC_BASE_URL", "SONGDA_WECHAT_API=",
                 "SONGDA_WECHAT_APP_ID", "SONGDA_WECHAT_API_BASE_URL", "SONGDA_MAIL_CARRIER", "SONGDA_KUAIDI100_KEY", "SONGDA_TELEPHONY=dev",
                 "SONGDA_ANNOUNCEMENT_PUBLISHER",
                 "SONGDA_TELEPHONY_SHOW_NUMBER"]


@pytest.mark.parametrize(("overrides", "setting"), [
    ({"sms_gateway": "dev"}, "SONGDA_SMS_GATEWAY"),
    ({"mail_carrier": "dev"}, "SONGDA_MAIL_CARRIER"),
    ({"kuaidi100_key": ""}, "SONGDA_KUAIDI100_KEY"),
    ({"telephony": "dev"}, "SONGDA_TELEPHONY=dev"),
    ({"telephony_show_number": ""}, "SONGDA_TELEPHONY_SHOW_NUMBER"),
    ({"secret_key": DEV_SECRET_KEY}, "SONGDA_SECRET_KEY"),
    ({"secret_key": ""}, "SONGDA_SECRET_KEY"),
    ({"secret_key": "x" * 31}, "SONGDA_SECRET_KEY"),
    ({"database_url": ""}, "SONGDA_DATABASE_URL"),
    ({"database_url": "mysql://srv/songda"}, "SONGDA_DATABASE_URL"),
    ({"redis_url": ""}, "SONGDA_REDIS_URL"),
    ({"aliyun_access_key_secret": ""}, "SONGDA_ALIYUN_ACCESS_KEY_ID"),
    ({"pii_keys": {}}, "SONGDA_PII_KEYS"),
    ({"pii_active_key_id": "k9"}, "SONGDA_PII_KEYS"),
    ({"pii_index_key": ""}, "SONGDA_PII_INDEX_KEY"),
    ({"seal_pkcs12_path": None}, "SONGDA_SEAL_PKCS12_PATH"),
    ({"public_base_url": "http://songda.example.gov.cn"}, "SONGDA_PUBLIC_BASE_URL"),
    ({"public_base_url": ...}, "SONGDA_PUBLIC_BASE_URL"),  # not set: never the dev default
    ({"wechat_api": "dev"}, "SONGDA_WECHAT_API="),
    ({"wechat_app_secret": ""}, "SONGDA_WECHAT_APP_ID"),
    ({"wechat_api_base_url": "http://127.0.0.1:9/"}, "SONGDA_WECHAT_API_BASE_URL"),
], ids=lambda v: v if isinstance(v, str) else ",".join(v))
def test_production_refuses_and_names_the_setting(overrides, setting):
    with pytest.raises(ConfigurationError) as info:
        production(**overrides).check_production()
    message = str(info.value)
    assert setting in message
    assert "生产模式拒绝启动" in message
    assert [name for name in SETTING_NAMES if name in message] == [setting]


def test_production_lists_every_problem_at_once():
    with pytest.raises(ConfigurationError) as info:
        Settings(_env_file=None, mode="production").check_production()
    message = str(info.value)
    for setting in ("SONGDA_SMS_GATEWAY", "SONGDA_SECRET_KEY", "SONGDA_DATABASE_URL"):
        assert setting in message


def test_production_error_does_not_leak_the_secret():
    with pytest.raises(ConfigurationError) as info:
        production(secret_key="short-but-secret").check_production()
    assert "short-but-secret" not in str(info.value)


@pytest.mark.parametrize("overrides", [{"sms_gateway": "dev"}, {"database_url": ""},
                                       {"secret_key": DEV_SECRET_KEY}])
def test_create_app_refuses_bad_production_settings(overrides, tmp_path):
    with pytest.raises(ConfigurationError):
        create_app(production(data_dir=tmp_path, **overrides))
    assert not (tmp_path / "postgres").exists()

