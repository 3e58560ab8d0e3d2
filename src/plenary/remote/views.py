from django.http import HttpResponse


def support_new(request, slug):
    return HttpResponse("")
