"""Page objects of the member site: locators and actions, never assertions (see STYLE.md)."""

from qa.pages.base import Page, UnexpectedPage
from qa.pages.captcha import Captcha, CaptchaHookUnavailable, CaptchaImageBroken
from qa.pages.home import MemberHomePage
from qa.pages.login import LoginPage
from qa.pages.register import RegisterPage

__all__ = [
    "Captcha",
    "CaptchaHookUnavailable",
    "CaptchaImageBroken",
    "LoginPage",
    "MemberHomePage",
    "Page",
    "RegisterPage",
    "UnexpectedPage",
]
