from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from plenary.api import api
from plenary.consultations import views as consultation_views
from plenary.core import views as core_views
from plenary.directory import views as directory_views

urlpatterns = [
    path("i18n/setlang/", core_views.set_language, name="set_language"),
    path("health", core_views.health, name="health"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

urlpatterns += i18n_patterns(
    path("", consultation_views.home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("states/", directory_views.state_list, name="state_list"),
    path("c/<slug:slug>/", consultation_views.consultation_home, name="consultation_home"),
    path("c/<slug:slug>/agenda/", consultation_views.agenda, name="agenda"),
    prefix_default_language=True,
)
