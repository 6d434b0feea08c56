"""Page objects of the member site: locators and actions, never assertions (see STYLE.md)."""

from qa.pages.account import (
    ErrorPage,
    LinkInvalidPage,
    LogoutPage,
    PasswordChangePage,
    PasswordResetPage,
    ResetSentPage,
    SetPasswordPage,
)
from qa.pages.admin import AdminLimitsPage
from qa.pages.base import Page, UnexpectedPage
from qa.pages.captcha import Captcha, CaptchaHookUnavailable, CaptchaImageBroken
from qa.pages.home import MemberHomePage
from qa.pages.login import LoginPage
from qa.pages.register import RegisterPage

__all__ = [
    "AdminLimitsPage",
    "Captcha",
    "CaptchaHookUnavailable",
    "CaptchaImageBroken",
    "ErrorPage",
    "LinkInvalidPage",
    "LoginPage",
    "LogoutPage",
    "MemberHomePage",
    "Page",
    "PasswordChangePage",
    "PasswordResetPage",
    "RegisterPage",
    "ResetSentPage",
    "SetPasswordPage",
    "UnexpectedPage",
]
