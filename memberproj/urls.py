from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="member:login", permanent=False)),
    path("member/", include("member.urls")),
    path("admin/", admin.site.urls),
]
