"""What the litigant fills in on a 送达地址确认书, checked before anything is written, and the
legal notice the form carries (告知事项)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from addresses.book import check_postal
from addresses.choices import AddressKind
from core.errors import AppError, ValidationFailed
from identity.phones import InvalidPhone, normalize_mobile

# The notice of a 送达地址确认书, as courts print it: where the rule comes from is named, because
# the litigant's acceptance of exactly this text is what the sealed PDF records.
NOTICE = (
    "一、为便于及时收到人民法院的诉讼文书，保证诉讼程序顺利进行，受送达人应当如实提供确切的送达地址。",
    "二、受送达人确认的送达地址适用于本案第一审程序、第二审程序和执行程序；受送达人提起上诉、申请执行时"
    "未书面变更送达地址的，本确认书确认的送达地址即为该程序的送达地址（《最高人民法院关于适用〈中华人民共和国"
    "民事诉讼法〉的解释》第一百三十七条，《最高人民法院关于进一步加强民事送达工作的若干意见》）。",
    "三、送达地址需要变更的，受送达人应当及时书面告知人民法院；未及时告知的，人民法院按原送达地址送达，"
    "视为依法送达。",
    "四、因受送达人提供或者确认的送达地址不准确、送达地址变更未及时告知人民法院，或者受送达人本人、指定的"
    "代收人拒绝签收，导致诉讼文书未能被受送达人实际接收的，文书退回之日视为送达之日；直接送达的，文书留在"
    "该地址之日为送达之日（《最高人民法院关于以法院专递方式邮寄送达民事诉讼文书的若干规定》第十一条，"
    "《最高人民法院关于进一步加强民事送达工作的若干意见》）。",
    "五、受送达人同意以本确认书填写的手机号码、电子邮箱、微信等电子方式接收诉讼文书；电子送达的，文书到达"
    "上述特定系统的日期为送达日期（《中华人民共和国民事诉讼法》第九十条）。",
    "六、受送达人保证所填内容真实、准确，如有不实，愿意承担相应的法律后果。",
)
NOTICE_ACCEPTED = "本人已阅读并理解上述告知事项，确认以上送达地址。"

MAX_EMAIL = 100
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}")
# WeChat ids: 6–20 characters, a letter first, then letters, digits, '_' or '-'.
_WECHAT = re.compile(r"[A-Za-z][A-Za-z0-9_-]{5,19}")


@dataclass(frozen=True)
class ConfirmationForm:
    postal: str
    phone: str = ""
    email: str = ""
    wechat: str = ""
    accepted: bool = False


@dataclass(frozen=True)
class CheckedForm:
    """The form as it will be recorded: the postal address cleaned and divided, numbers normalised."""

    postal: str
    electronic: tuple[tuple[AddressKind, str], ...]


def check_form(form: ConfirmationForm) -> CheckedForm:
    """Every mistake at once, each with its field and a Chinese message (422)."""
    problems: list[dict] = []
    postal = ""
    try:
        postal = check_postal(form.postal)
    except ValidationFailed as exc:
        problems.append({"field": "postal", "message": exc.message})
    electronic: list[tuple[AddressKind, str]] = []
    if form.phone.strip():
        try:
            electronic.append((AddressKind.PHONE, normalize_mobile(form.phone)))
        except InvalidPhone as exc:
            problems.append({"field": "phone", "message": exc.message})
    if email := form.email.strip():
        if len(email) > MAX_EMAIL or not _EMAIL.fullmatch(email):
            problems.append({"field": "email", "message": "电子邮箱格式不正确"})
        else:
            electronic.append((AddressKind.EMAIL, email.lower()))
    if wechat := form.wechat.strip():
        if not _WECHAT.fullmatch(wechat):
            problems.append({"field": "wechat", "message": "微信号应为6–20位字母、数字、下划线或减号，以字母开头"})
        else:
            electronic.append((AddressKind.WECHAT, wechat))
    if not form.accepted:
        problems.append({"field": "accepted", "message": "请阅读告知事项并勾选确认"})
    if problems:
        raise ValidationFailed(problems[0]["message"], code="confirmation_invalid", details=problems)
    return CheckedForm(postal, tuple(electronic))


def first_message(exc: AppError) -> str:
    """All of a 422's messages in one line, for a page."""
    details = exc.details if isinstance(exc.details, list) else []
    messages = [d["message"] for d in details if isinstance(d, dict) and d.get("message")]
    return "；".join(messages) if messages else exc.message
