from django.urls import path

from . import views

urlpatterns = [
    path("help/", views.support_new, name="support_new"),
]
