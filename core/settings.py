"""The one settings object. Every knob is read here and nowhere else.

Values come from environment variables prefixed ``SONGDA_`` and an optional ``.env`` file.
"""
from __future__ import annotations

import enum
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# A known value so that dev mode works out of the box; production refuses it.
DEV_SECRET_KEY = "dev-only-secret-key-do-not-use-in-production"


class Mode(str, enum.Enum):
    DEV = "dev"
    PRODUCTION = "production"


class SmsGatewayName(str, enum.Enum):
    DEV = "dev"
    ALIYUN = "aliyun"


class TelephonyName(str, enum.Enum):
    DEV = "dev"
    ALIYUN = "aliyun"


class WeChatApiName(str, enum.Enum):
    DEV = "dev"
    WECHATPY = "wechatpy"


class ConfigurationError(RuntimeError):
    """Start-up refused: the message names the setting to change."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SONGDA_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    mode: Mode = Mode.DEV
    data_dir: Path = Path("var")
    # Empty means the embedded PostgreSQL in data_dir (app/embedded_postgres.py), dev only.
    database_url: str = ""
    database_pool_max: int = Field(default=10, ge=1, le=200)
    redis_url: str = ""
    # Per process; at the limit a request waits for a free connection (identity/limits.py).
    redis_max_connections: int = Field(default=50, ge=1, le=10_000)
    # Admission control, per web process (web/admission.py): once the longest wait for a database
    # connection passes admission_max_wait_ms, or past admission_max_in_flight requests in flight
    # (a bound on memory), a request is answered 503 + Retry-After at once, before it touches the
    # database or Redis. 0 in-flight turns it off; 0 ms turns the delay bound off. How the
    # defaults were chosen: docs/PERFORMANCE.md (landing pages).
    admission_max_in_flight: int = Field(default=1000, ge=0, le=100_000)
    admission_max_wait_ms: int = Field(default=2000, ge=0, le=60_000)
    admission_retry_after: int = Field(default=1, ge=1, le=60)
    secret_key: SecretStr = SecretStr(DEV_SECRET_KEY)
    # Production PII keys: {"k2": "<base64 32 bytes>", ...}; dev derives them from secret_key.
    pii_keys: dict[str, SecretStr] = {}
    pii_active_key_id: str = ""
    pii_index_key: SecretStr = SecretStr("")

    # Where litigants reach the platform: SMS links and receipts' QR codes. In dev, unless set,
    # `serve` / `demo` point it at their own --host / --port (app/__main__.py); production must
    # set it, to an https:// address.
    public_base_url: str = "http://127.0.0.1:8000"
    # Court intranets put their systems on private addresses: allow such webhook URLs only on purpose.
    webhook_allow_private: bool = False
    # Peers whose X-Forwarded-For is believed (IPs or CIDRs of our own proxies).
    trusted_proxies: list[str] = []
    # Web processes also run the background loop (notices, sealing, webhooks) unless the
    # deployment gives that work to `python -m app worker` hosts of its own.
    serve_background: bool = True

    # SMS (identity/sms). Template codes are the ones approved in the Aliyun console.
    sms_gateway: SmsGatewayName = SmsGatewayName.DEV
    sms_sign_name: str = "电子送达"
    sms_template_code: str = "SMS_CODE"
    sms_template_notice: str = "SMS_NOTICE"
    sms_daily_budget: int = Field(default=10_000, ge=1)
    aliyun_access_key_id: str = ""
    aliyun_access_key_secret: SecretStr = SecretStr("")
    aliyun_region: str = "cn-hangzhou"
    aliyun_sms_endpoint: str = "dysmsapi.aliyuncs.com"
    aliyun_sms_protocol: str = Field(default="https", pattern="^https?$")

    # Telephony (phone/): Aliyun 语音服务 click-to-call. The show number is the court's registered
    # (12368) number the litigant sees; ProdId is the product QueryCallDetailByCallId asks about.
    telephony: TelephonyName = TelephonyName.DEV
    telephony_show_number: str = ""
    telephony_prod_id: str = "11000000300006"
    aliyun_voice_endpoint: str = "dyvmsapi.aliyuncs.com"
    aliyun_voice_protocol: str = Field(default="https", pattern="^https?$")
    # A call with no final report this long after it was placed is recorded as 结果未知.
    call_report_minutes: int = Field(default=120, ge=5, le=24 * 60)
    # A recording that cannot be fetched for this long is marked missing.
    recording_fetch_hours: int = Field(default=24, ge=1, le=24 * 30)
    # Recordings are deleted (with an audited event) this many days after the call; 0 keeps them
    # as long as the case file is kept, which the archive decides, not this platform.
    recording_retention_days: int = Field(default=0, ge=0, le=365 * 30)
    # Court-approved one-click texts from a task (phone/texts.py), by their Aliyun template codes.
    sms_template_task_reminder: str = "SMS_TASK_REMINDER"
    sms_template_pickup: str = "SMS_PICKUP"
    sms_template_address_request: str = "SMS_ADDRESS_REQUEST"
    sms_template_hearing: str = "SMS_HEARING"

    # Receipt seal (receipts). Empty path in dev: a self-signed test CA is generated
    # under data_dir/dev-seal on first use and receipts say 测试证书.
    seal_pkcs12_path: Path | None = None
    seal_pkcs12_password: SecretStr = SecretStr("")
    # The court's seal image (PNG, transparent background), shown where the receipt is sealed.
    # Unset: dev draws a stand-in marked 测试; production a framed 电子签章 text, never a seal.
    seal_image_path: Path | None = None
    tsa_url: str = ""

    # One-time codes and sessions (identity/codes.py, identity/sessions.py)
    code_ttl_seconds: int = Field(default=300, ge=60, le=600)
    session_idle_minutes: int = Field(default=30, ge=1)
    session_absolute_hours: int = Field(default=8, ge=1)

    max_document_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    max_document_pages: int = Field(default=500, ge=1)
    service_valid_days: int = Field(default=30, ge=1, le=365)
    # Service centre (centre/): a new task is due this many days after it is created; evidence
    # files (recordings, photos, scans, video) up to this size each.
    task_due_days: int = Field(default=7, ge=1, le=90)
    max_evidence_bytes: int = Field(default=100 * 1024 * 1024, ge=1024)
    # Mail (mail/): the tracking carrier (dev | kuaidi100) and Kuaidi100's credentials; the push
    # callback is {public_base_url}/mail/kuaidi100/push.
    mail_carrier: str = Field(default="dev", pattern="^(dev|kuaidi100)$")
    kuaidi100_customer: str = ""
    kuaidi100_key: SecretStr = SecretStr("")
    kuaidi100_salt: SecretStr = SecretStr("")
    kuaidi100_base_url: str = "https://poll.kuaidi100.com"
    # Announcement (announcement/): the publisher (dev | court_paper, 人民法院报公告管理系统) and its
    # credentials; callbacks come to {public_base_url}/announcement/paper/callback.
    announcement_publisher: str = Field(default="dev", pattern="^(dev|court_paper)$")
    court_paper_client_id: str = ""
    court_paper_secret: SecretStr = SecretStr("")
    court_paper_base_url: str = ""
    # External address lookups (addresses/lookups, docs/LOOKUPS.md): per source, dev (made-up
    # answers; never in production, where it counts as off), gateway (the court's 查控 gateway,
    # signed JSON over HTTPS) or off. A source that is not configured answers 503 to staff.
    lookup_population: str = Field(default="dev", pattern="^(dev|gateway|off)$")
    lookup_carrier: str = Field(default="dev", pattern="^(dev|gateway|off)$")
    lookup_gateway_base_url: str = ""
    lookup_gateway_app_key: str = ""
    lookup_gateway_secret: SecretStr = SecretStr("")
    lookup_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # Stripe keeps idempotency keys for 24 hours; so do we.
    idempotency_ttl_hours: int = Field(default=24, ge=1)

    # WeChat mini-program (identity/wechat, miniprogram_api). The base URL points elsewhere for tests.
    wechat_api: WeChatApiName = WeChatApiName.DEV
    wechat_app_id: str = ""
    wechat_app_secret: SecretStr = SecretStr("")
    wechat_api_base_url: str = "https://api.weixin.qq.com/"
    wechat_subscribe_template_id: str = ""
    mp_token_idle_minutes: int = Field(default=120, ge=5)
    mp_token_absolute_hours: int = Field(default=24, ge=1)
    # The face route: WeChat 人脸核身 by default. Local dlib matching of remotely captured frames
    # only where the court enables it, and then with a threshold from the court's own calibration
    # (docs/FACE.md has the measured rates and the population they come from).
    face_local_remote: bool = False
    face_match_threshold: float = Field(default=0.45, gt=0, lt=1)

    @field_validator("data_dir")
    @classmethod
    def _absolute_data_dir(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    def check_production(self) -> None:
        """Refuse to start production with anything that only makes sense on a laptop."""
        if self.mode is not Mode.PRODUCTION:
            return
        problems = []
        if self.sms_gateway is SmsGatewayName.DEV:
            problems.append("SONGDA_SMS_GATEWAY=dev 仅供开发：生产环境请设为 aliyun")
        if self.mail_carrier == "dev":
            problems.append("SONGDA_MAIL_CARRIER=dev 仅供开发：生产环境请设为 kuaidi100")
        elif not (self.kuaidi100_customer and self.kuaidi100_key.get_secret_value()
                  and self.kuaidi100_salt.get_secret_value()):
            problems.append("SONGDA_KUAIDI100_CUSTOMER / SONGDA_KUAIDI100_KEY / SONGDA_KUAIDI100_SALT 未设置")
        if self.announcement_publisher == "dev":
            problems.append("SONGDA_ANNOUNCEMENT_PUBLISHER=dev 仅供开发：生产环境请设为 court_paper")
        elif not (self.court_paper_client_id and self.court_paper_secret.get_secret_value()
                  and self.court_paper_base_url):
            problems.append("SONGDA_COURT_PAPER_CLIENT_ID / SONGDA_COURT_PAPER_SECRET / SONGDA_COURT_PAPER_BASE_URL 未设置")
        if "gateway" in (self.lookup_population, self.lookup_carrier):
            if not (self.lookup_gateway_base_url and self.lookup_gateway_app_key
                    and self.lookup_gateway_secret.get_secret_value()):
                problems.append("SONGDA_LOOKUP_GATEWAY_BASE_URL / SONGDA_LOOKUP_GATEWAY_APP_KEY / "
                                "SONGDA_LOOKUP_GATEWAY_SECRET 未设置")
            elif not self.lookup_gateway_base_url.startswith("https://"):
                problems.append("SONGDA_LOOKUP_GATEWAY_BASE_URL 必须是 https:// 地址")
        if self.secret_key.get_secret_value() in ("", DEV_SECRET_KEY) or len(
            self.secret_key.get_secret_value()
        ) < 32:
            problems.append("SONGDA_SECRET_KEY 为默认值或少于 32 个字符：请设置随机密钥")
        if self.sms_gateway is SmsGatewayName.ALIYUN and not (
            self.aliyun_access_key_id and self.aliyun_access_key_secret.get_secret_value()
        ):
            problems.append("SONGDA_ALIYUN_ACCESS_KEY_ID / SONGDA_ALIYUN_ACCESS_KEY_SECRET 未设置")
        if not self.redis_url:
            problems.append("SONGDA_REDIS_URL 未设置：多台主机需要共享的限流与会话状态")
        if not self.database_url.startswith(("postgres://", "postgresql://")):
            problems.append("SONGDA_DATABASE_URL 未设置：生产环境请使用 PostgreSQL 集群 (postgres://…)，内置数据库仅供开发")
        if not self.pii_keys or self.pii_active_key_id not in self.pii_keys:
            problems.append("SONGDA_PII_KEYS / SONGDA_PII_ACTIVE_KEY_ID 未设置：生产环境需要独立的个人信息加密密钥")
        if not self.pii_index_key.get_secret_value():
            problems.append("SONGDA_PII_INDEX_KEY 未设置：生产环境需要独立的盲索引密钥")
        if self.seal_pkcs12_path is None:
            problems.append("SONGDA_SEAL_PKCS12_PATH 未设置：生产环境须使用法院的电子印章证书（PKCS#12）")
        if "public_base_url" not in self.model_fields_set:
            problems.append("SONGDA_PUBLIC_BASE_URL 未设置：生产环境须设为短信链接和回证二维码使用的对外 https:// 地址")
        elif not self.public_base_url.startswith("https://"):
            problems.append("SONGDA_PUBLIC_BASE_URL 必须是 https:// 地址")
        if self.telephony is TelephonyName.DEV:
            problems.append("SONGDA_TELEPHONY=dev 仅供开发：生产环境请设为 aliyun")
        elif not self.telephony_show_number:
            problems.append("SONGDA_TELEPHONY_SHOW_NUMBER 未设置：外呼须显示法院登记的号码")
        if self.wechat_api is WeChatApiName.DEV:
            problems.append("SONGDA_WECHAT_API=dev 仅供开发：生产环境请设为 wechatpy")
        elif not (self.wechat_app_id and self.wechat_app_secret.get_secret_value()):
            problems.append("SONGDA_WECHAT_APP_ID / SONGDA_WECHAT_APP_SECRET 未设置")
        if not self.wechat_api_base_url.startswith("https://"):
            problems.append("SONGDA_WECHAT_API_BASE_URL 必须是 https:// 地址")
        if self.face_local_remote and "face_match_threshold" not in self.model_fields_set:
            problems.append("SONGDA_FACE_LOCAL_REMOTE=true 时须设置 SONGDA_FACE_MATCH_THRESHOLD"
                            "（按本院人群校准所得，见 docs/FACE.md）")
        if problems:
            raise ConfigurationError(
                "生产模式拒绝启动 (production mode refused to start):\n- " + "\n- ".join(problems)
            )
