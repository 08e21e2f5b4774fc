"""The portal's pages over HTTP: one language at a time, the choice remembered in a cookie."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_the_portal_speaks_chinese_until_english_is_chosen_and_remembers_it(
    client: TestClient,
) -> None:
    chinese = client.get("/portal/login")
    assert chinese.status_code == 200
    assert "<h1>登录</h1>" in chinese.text
    assert "Log in" not in chinese.text
    assert 'lang="zh-Hans"' in chinese.text

    english = client.get("/portal/login", params={"lang": "en"})
    assert "<h1>Log in</h1>" in english.text
    assert "登录" not in english.text
    assert english.cookies.get("lang") == "en"

    remembered = client.get("/portal/public")  # the client sends the cookie back
    assert "Records the law makes public, de-identified." in remembered.text
    assert "依法公示" not in remembered.text
    back = client.get("/portal/public", params={"lang": "zh"})
    assert "依法公示的信用信息，已去标识化。" in back.text
