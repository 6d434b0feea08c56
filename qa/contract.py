"""The texts ../shared/CONTRACT.md names (zh-hant, the default language), and the site's own
refusal texts that tests look for: one module, so a wording change is made in one place."""

from __future__ import annotations

CAPTCHA_WRONG = "驗證碼輸入錯誤"
BAD_CREDENTIALS = "登入失敗，帳號或密碼錯誤"  # noqa: RUF001  (the contract's full-width comma)
SIGNED_IN = "登入成功"

# The site's own texts (member/locale), not the contract's.
EMAIL_TAKEN = "這個電子郵件已經註冊過了"
LOCKED_OUT = "失敗次數過多"
SIGNED_OUT = "您已登出"
CAPTCHA_MISSING = "請在這裡輸入圖片中的字元"
CAPTCHA_MISMATCH = "字元不符，請輸入這張新圖片中的字元"  # noqa: RUF001
AUDIO_PLAYING = "正在播放語音驗證碼"
AUDIO_RATE_LIMITED = "驗證碼要求過於頻繁，請等一分鐘後再試"  # noqa: RUF001  (Chinese punctuation)
AUDIO_BUTTON_NAME = "收聽語音驗證碼"
