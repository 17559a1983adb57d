"""The zh_CN catalog is complete, and pages say the known messages in Chinese."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from saasport.web import i18n
from saasport.web.i18n_catalog import check, po_path, read_catalog, source_messages
from saasport.web.templating import make_environment


@pytest.fixture
def zh_cn() -> Iterator[None]:
    token = i18n.current_locale.set("zh_CN")
    yield
    i18n.current_locale.reset(token)


def test_catalog_is_complete() -> None:
    problems = check()
    assert problems == [], "\n".join([*problems, "run: python scripts/i18n.py"])


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("Marketplace", "应用市场"),
        ("My applications", "我的应用"),
        ("Merchant console", "商家控制台"),
        ("Use", "使用"),
        ("Get free trial", "免费试用"),
        ("Review queue", "审核队列"),
        ("Test open", "测试开放"),
        ("Submit for review", "提交审核"),
        ("Publish", "上架"),
        ("Unpublish", "下架"),
        ("Entry URL", "入口地址"),
        ("App secret", "应用密钥"),
        ("Sign in", "登录"),
        ("Register", "注册"),
        # plain messages of the Python sources, shown with _(message)
        ("No such listing.", "应用不存在。"),
        ("Enter a valid email address.", "请输入有效的邮箱地址。"),
        ("The URL must use HTTPS.", "网址必须使用 HTTPS。"),
    ],
)
def test_known_messages(zh_cn: None, english: str, chinese: str) -> None:
    assert i18n.gettext(english) == chinese


def test_templates_render_translations(zh_cn: None) -> None:
    env = make_environment()
    page = env.from_string(
        '{{ ngettext("%(num)d application", "%(num)d applications", total) }} · '
        "{{ _(message) }} · {{ _(errors['icon']) }}"
    )
    html = page.render(total=3, message="Not found.", errors={"icon": "Choose a file."})
    assert html == "共 3 个应用 · 页面不存在。 · 请选择文件。"


def test_every_translation_formats_like_jinja(zh_cn: None) -> None:
    # Newstyle gettext formats every translation with %, even without variables.
    for message in read_catalog(po_path("zh_CN"), "zh_CN"):
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            singular, plural = message.id[0], message.id[1]
            for n in (0, 1, 7):
                assert str(n) in i18n.ngettext(singular, plural, n) % {"num": n}
        else:
            # Msg templates name their parameters; everything else formats with none.
            params = dict.fromkeys(re.findall(r"%\((\w+)\)", str(message.id)), 1)
            i18n.gettext(str(message.id)) % params


def test_english_is_the_source_language() -> None:
    token = i18n.current_locale.set("en")
    try:
        assert i18n.gettext("My applications") == "My applications"
    finally:
        i18n.current_locale.reset(token)


def test_python_messages_are_collected() -> None:
    texts = {found.text for found in source_messages()}
    assert {
        "No such listing.",  # NotFound(...)
        "Enter a valid email address.",  # fields["email"] = ...
        "Choose at least one file.",  # ValidationFailed({...: ...})
        "The listing is not complete yet.",  # ValidationFailed(missing, ...)
        "Enter a full https:// URL.",  # returned by check_merchant_url
        "Some fields are invalid.",  # ValidationFailed's default message
        "Bad request.",  # the error page in app.py
        "The token has expired.",  # JumpTokenRefused(...)
    } <= texts
    assert not any("{" in text for text in texts)  # f-strings are left out


def test_parameterised_messages_translate_with_their_parameters() -> None:
    from saasport.core.messages import Msg
    from saasport.web.templating import translate

    why = Msg("The file is larger than %(kb)d KB.", kb=512)
    message = Msg("Screenshot %(n)d: %(why)s", n=3, why=why)
    assert message == "Screenshot 3: The file is larger than 512 KB."
    token = i18n.current_locale.set("zh_CN")
    try:
        assert translate(message) == "第 3 张截图：文件超过 512 KB。"
        assert translate("<b>not a message</b>") == "<b>not a message</b>"  # escaped by Jinja later
    finally:
        i18n.current_locale.reset(token)
