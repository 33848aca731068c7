"""Form pieces the views of every app share.

``NextForm`` is the one check of a ``next`` parameter (where an action leads back to): a page of
this site or nothing, so that a forged link cannot send a signed-in user elsewhere (open redirect).
Forms whose action carries a ``next`` inherit it. ``form_error_text`` and ``invalid_form_response``
say what was refused, naming the field, for views that answer with a message or have no page of
their own to show the form again.
"""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ville_hopital.input_hygiene import bad_input_response

#: Longer than any page address of the platform; beyond it a ``next`` is not a page of ours.
NEXT_MAX_LENGTH = 2000


class NextForm(forms.Form):
    next = forms.CharField(
        label=_("Page de retour"), required=False, max_length=NEXT_MAX_LENGTH,
        error_messages={"max_length": _("l'adresse est trop longue.")},
    )

    def __init__(self, *args, request: HttpRequest, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_next(self) -> str:
        target = self.cleaned_data["next"]
        # A path of this site: redirect() would read anything else (« abc ») as the name of a route.
        if target and not target.startswith("/"):
            raise forms.ValidationError(_("l'adresse doit être une page de ce site."), code="off_site")
        if target and not url_has_allowed_host_and_scheme(
            target, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        ):
            raise forms.ValidationError(_("l'adresse doit être une page de ce site."), code="off_site")
        return target


def form_error_text(form: forms.Form) -> str:
    """Every error of ``form``, each after the label of its field: « Motif : … »."""
    return " ".join(
        gettext("%(field)s : %(message)s") % {"field": _field_label(form, name), "message": message}
        if name in form.fields else message
        for name, messages in form.errors.items()
        for message in messages
    )


def _field_label(form: forms.Form, name: str) -> str:
    return str(form.fields[name].label or name)


def invalid_form_response(request: HttpRequest, form: forms.Form) -> HttpResponse:
    """400 naming the first refused field, for an action that has no page to show its form again."""
    name = next(iter(form.errors))
    field = _field_label(form, name) if name in form.fields else name
    return bad_input_response(request, field, form_error_text(form))
