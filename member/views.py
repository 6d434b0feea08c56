"""Thin views: each calls the captcha module, a form or a service and picks a response."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import (
    LoginView,
    LogoutView,
    PasswordChangeView,
    PasswordResetConfirmView,
)
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotFound,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from member import captcha, events, metrics, throttle
from member.actions import EmailTaken, enqueue_password_reset_mail, member_create
from member.conf import member_settings
from member.forms import (
    LoginForm,
    MemberPasswordChangeForm,
    PasswordResetRequestForm,
    RefusableForm,
    RegisterForm,
)
from member.ratelimit import respond_429

SIGNED_IN_MESSAGE = _("Signed in.")
SIGNED_OUT_MESSAGE = _("You have signed out.")
PASSWORD_CHANGED_MESSAGE = _("Your password was changed.")
PASSWORD_SET_MESSAGE = _("Your new password is set. Sign in with it.")
TOO_MANY_IMAGES = _("Too many captcha images. Please wait a moment.")
TOO_MANY_AUDIO = _("Too many captcha requests. Please wait a moment.")
NO_CHALLENGE = _("There is no captcha to read out. Load a new captcha image first.")
PLAIN_TEXT = "text/plain; charset=utf-8"
SESSION_EXPIRY_KEY = "_session_expiry"  # where Django's set_expiry() keeps its value


@require_GET
@never_cache
def captcha_image(request: HttpRequest) -> HttpResponse:
    """A new challenge for this session, as a PNG; it replaces the previous one.

    Rate-limited per client address: every anonymous call creates or updates a session row.
    """
    refusal = throttle.consume_captcha_request(request)
    if refusal:
        metrics.CAPTCHAS.labels("image", "refused").inc()
        return respond_429(refusal, HttpResponse(TOO_MANY_IMAGES, content_type=PLAIN_TEXT))
    metrics.CAPTCHAS.labels("image", "served").inc()
    answer = captcha.make_challenge(request.session)
    if not request.session.keys() - {captcha.SESSION_KEY, SESSION_EXPIRY_KEY}:
        # A session that holds nothing but the challenge ends with it, so the rows that robots'
        # image requests make are cleared by ``clearsessions`` within minutes, not weeks.
        request.session.set_expiry(member_settings.CAPTCHA_TIMEOUT)
    return HttpResponse(captcha.render(answer), content_type="image/png")


@require_GET
@never_cache
def captcha_audio(request: HttpRequest) -> HttpResponse:
    """The session's current challenge spoken in the page's language, as a WAV.

    It never makes or replaces a challenge, so it always says what the image shows. It counts
    against the same per-address limit as the images: one budget for both ways of asking.
    """
    refusal = throttle.consume_captcha_request(request)
    if refusal:
        metrics.CAPTCHAS.labels("audio", "refused").inc()
        return respond_429(refusal, HttpResponse(TOO_MANY_AUDIO, content_type=PLAIN_TEXT))
    answer = captcha.current_answer(request.session)
    if answer is None:
        return HttpResponseNotFound(NO_CHALLENGE, content_type=PLAIN_TEXT)
    metrics.CAPTCHAS.labels("audio", "served").inc()
    audio = captcha.speak(answer, language=request.LANGUAGE_CODE)
    return HttpResponse(audio, content_type="audio/wav")


@require_GET
@never_cache
def captcha_debug_hook(request: HttpRequest) -> JsonResponse:
    """Test-only: the calling session's current answer. 404 unless the hook is switched on."""
    if not member_settings.CAPTCHA_DEBUG_HOOK:
        raise Http404
    return JsonResponse({"captcha": captcha.current_answer(request.session)})


class MemberLoginView(LoginView):
    """Django's ``LoginView`` (safe ``next``, CSRF, never cached) with the captcha form."""

    form_class = LoginForm
    template_name = "member/login.html"
    http_method_names = ["get", "post", "head", "options"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with metrics.SIGN_IN_SECONDS.time():
            return super().post(request, *args, **kwargs)

    def form_valid(self, form: LoginForm) -> HttpResponse:
        member = form.get_user()
        events.record(self.request, "sign_in", outcome="success", account=member.email)
        login(self.request, member)
        # Per sign-in, never a global setting. Not remembered (None): the cookie ends with the
        # browser and the session server-side after SESSION_COOKIE_AGE.
        remember = form.cleaned_data["rememberme"]
        self.request.session.set_expiry(member_settings.REMEMBER_ME_AGE if remember else None)
        messages.success(self.request, SIGNED_IN_MESSAGE)
        response = HttpResponseRedirect(self.get_success_url())
        throttle.remember_device(self.request, response, member)
        return response

    def form_invalid(self, form: LoginForm) -> HttpResponse:
        form.clear_secrets()
        account = throttle.account_key(self.request.POST.get("useremail"))
        events.record(self.request, "sign_in", outcome=failure_reason(form), account=account)
        return refused_or(form, super().form_invalid(form))


@sensitive_post_parameters("userpassword", "userpassword2", "captcha")
@require_http_methods(["GET", "HEAD", "POST"])
@csrf_protect
@never_cache
def register(request: HttpRequest) -> HttpResponse:
    form = RegisterForm(request, data=request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            member = member_create(
                email=form.cleaned_data["useremail"],
                username=form.cleaned_data["username"],
                password=form.cleaned_data["userpassword"],
            )
        except EmailTaken:  # a concurrent sign-up took the email after the form's check
            form.email_taken()
        else:
            events.record(request, "sign_up", outcome="success", account=member.email)
            login(request, member, backend="django.contrib.auth.backends.ModelBackend")
            request.session.set_expiry(None)  # no "remember me" on sign-up: ends with the browser
            messages.success(request, SIGNED_IN_MESSAGE)
            return redirect("member:home")
    if form.is_bound:
        form.clear_secrets()
    return render(request, "member/register.html", {"form": form})


def refused_or(form: RefusableForm, response: HttpResponse) -> HttpResponse:
    """``response`` (the form's page saying why), as a 429 with ``Retry-After`` when a limit
    refused the attempt."""
    return respond_429(form.refusal, response) if form.refusal else response


def failure_reason(form: LoginForm) -> str:
    for code in ("locked_out", "invalid_captcha", "invalid_login"):
        if form.has_error(NON_FIELD_ERRORS, code=code):
            return code
    return "invalid_form"


@login_required
@never_cache
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "member/home.html")


class MemberLogoutView(LogoutView):
    """Signing out is a POST (Django's rule: a link or a prefetch must not sign anyone out). A
    GET asks the signed-in member to confirm; anyone else is sent to the sign-in page."""

    next_page = reverse_lazy("member:login")
    http_method_names = ["get", "head", "post", "options"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect("member:login")
        return render(request, "member/logout.html")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            events.record(request, "sign_out", outcome="success", account=request.user.email)
        response = super().post(request, *args, **kwargs)
        # After logout(): the message goes into the new, anonymous session.
        messages.info(request, SIGNED_OUT_MESSAGE)
        return response


class MemberPasswordChangeView(PasswordChangeView):
    """Django's view: this browser stays signed in (``update_session_auth_hash``); every other
    session of the member ends, its stored password hash no longer matching."""

    form_class = MemberPasswordChangeForm
    template_name = "member/password_change.html"
    success_url = reverse_lazy("member:home")

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "request": self.request}

    def form_valid(self, form: MemberPasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        events.record(self.request, "password_change", outcome="success", account=form.user.email)
        messages.success(self.request, PASSWORD_CHANGED_MESSAGE)
        # The change revoked every device token of the member; this browser gets a new one.
        throttle.remember_device(self.request, response, form.user)
        return response

    def form_invalid(self, form: MemberPasswordChangeForm) -> HttpResponse:
        if form.has_error("old_password"):
            outcome = "locked_out" if form.refusal else "invalid_password"
            events.record(self.request, "password_change", outcome=outcome, account=form.user.email)
        return refused_or(form, super().form_invalid(form))


@sensitive_post_parameters("captcha")
@require_http_methods(["GET", "HEAD", "POST"])
@csrf_protect
@never_cache
def password_reset(request: HttpRequest) -> HttpResponse:
    """Email and captcha; always the same "check your mail" page, member or not."""
    form = PasswordResetRequestForm(
        request, data=request.POST if request.method == "POST" else None
    )
    if form.is_valid():
        email = form.cleaned_data["useremail"]
        events.record(request, "reset_requested", account=throttle.account_key(email))
        enqueue_password_reset_mail(request=request, email=email)
        return redirect("member:password_reset_done")
    if form.is_bound:
        form.clear_secrets()
    return refused_or(form, render(request, "member/password_reset.html", {"form": form}))


@never_cache
def password_reset_done(request: HttpRequest) -> HttpResponse:
    return render(request, "member/password_reset_done.html")


class MemberPasswordResetConfirmView(PasswordResetConfirmView):
    """Django's one-time link: a new password with the validators. The link then stops working
    (the token covers the password hash), every session of the member ends, and the account's
    sign-in lockout is lifted: the owner proved the mailbox is theirs."""

    template_name = "member/password_reset_confirm.html"
    success_url = reverse_lazy("member:login")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        events.record(self.request, "reset_completed", outcome="success", account=form.user.email)
        throttle.lift_account_lockout(form.user.email)
        messages.success(self.request, PASSWORD_SET_MESSAGE)
        return response
