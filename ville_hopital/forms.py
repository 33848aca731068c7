"""Form pieces the views of every app share.

``NextForm`` is the one check of a ``next`` parameter (where an action leads back to): a page of
this site or nothing, so that a forged link cannot send a signed-in user elsewhere (open redirect).
Forms whose action carries a ``next`` inherit it. ``form_error_text`` and ``invalid_form_response``
say what was refused, naming the field, for views that answer with a message or have no page of
their own to show the form again.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
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


def service_errors(error: ValidationError) -> dict[str | None, list[str]]:
    """A service's refusal as field → messages (``None``: the request as a whole). The one reading
    of a domain error: forms (``apply_service_errors``), messages (``service_error_text``) and the
    API (``ville_hopital.api.exception_handler``) all start from it."""
    if not hasattr(error, "error_dict"):
        return {None: list(error.messages)}
    return {None if name == NON_FIELD_ERRORS else name: list(messages) for name, messages in error.message_dict.items()}


def apply_service_errors(form: forms.Form, error: ValidationError, field_map: dict[str, str] | None = None) -> None:
    """Each message of a service's refusal under the form's field it names (through ``field_map``
    when the form calls it otherwise), else at the top of the form: never a field the form lacks."""
    field_map = field_map or {}
    for name, messages in service_errors(error).items():
        target = field_map.get(name, name) if name else None
        for message in messages:
            form.add_error(target if target in form.fields else None, message)


def service_error_text(error: ValidationError) -> str:
    """A service's refusal as one line, for an action answered with a message rather than a form."""
    return " ".join(message for messages in service_errors(error).values() for message in messages)


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
