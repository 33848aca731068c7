"""The dashboard filters (GET): period, département, profession. Bad input gives a message, not a 500."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from dashboards.selectors import Filters, Scope, departement_filter_choices, profession_names

DEFAULT_PAST_DAYS = 30
DEFAULT_FUTURE_DAYS = 30
MAX_PERIOD_DAYS = 3 * 365 + 1  # three years, a leap day included
#: How far from today a period may lie: the platform holds no data outside, and a date near year 9999
#: would overflow the weekly buckets of the trend chart.
MAX_YEARS_AWAY = 10


def default_period(today: date) -> tuple[date, date]:
    return today - timedelta(days=DEFAULT_PAST_DAYS), today + timedelta(days=DEFAULT_FUTURE_DAYS)


class FilterForm(forms.Form):
    start = forms.DateField(
        label=_("Du"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Date de début invalide : utilisez le format AAAA-MM-JJ.")},
    )
    end = forms.DateField(
        label=_("Au"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Date de fin invalide : utilisez le format AAAA-MM-JJ.")},
    )
    departement = forms.ChoiceField(
        label=_("Département"), required=False,
        error_messages={"invalid_choice": _("Département inconnu dans cette région : « %(value)s ».")},
    )
    profession = forms.ChoiceField(
        label=_("Profession"), required=False,
        error_messages={"invalid_choice": _("Profession inconnue : « %(value)s ».")},
    )

    def __init__(self, data, *, scope: Scope, today: date) -> None:
        # An absent date is the default period: filled in, so the form shows what is displayed.
        data = data.copy()
        default_start, default_end = default_period(today)
        for name, value in (("start", default_start), ("end", default_end)):
            if not data.get(name):
                data[name] = value.isoformat()
        super().__init__(data)
        self.today = today
        self.fields["departement"].choices = [("", _("Tous")), *departement_filter_choices(scope)]
        self.fields["profession"].choices = [("", _("Toutes")), *list(profession_names().items())]
        start, end = default_period(today)
        self.fields["start"].widget.attrs["placeholder"] = start.isoformat()
        self.fields["end"].widget.attrs["placeholder"] = end.isoformat()

    def clean(self):
        cleaned = super().clean()
        default_start, default_end = default_period(self.today)
        start = cleaned.get("start") or default_start
        end = cleaned.get("end") or default_end
        if "start" in self.errors or "end" in self.errors:
            return cleaned
        lowest, highest = date(self.today.year - MAX_YEARS_AWAY, 1, 1), date(self.today.year + MAX_YEARS_AWAY, 12, 31)
        for name, value in (("start", start), ("end", end)):
            if not lowest <= value <= highest:
                self.add_error(name, _("Choisissez une date entre le %(low)s et le %(high)s.") % {
                    "low": date_format(lowest, "DATE_FORMAT"), "high": date_format(highest, "DATE_FORMAT"),
                })
        if self.errors:
            return cleaned
        # On the end date, the one to change: the page marks it and the API's 400 names it.
        if end < start:
            self.add_error("end", forms.ValidationError(_("La fin de la période précède son début."), code="end_before_start"))
        elif (end - start).days + 1 > MAX_PERIOD_DAYS:
            self.add_error("end", forms.ValidationError(_("La période ne peut pas dépasser 3 ans."), code="too_long"))
        else:
            cleaned["start"], cleaned["end"] = start, end
        return cleaned

    def filters(self) -> Filters:
        data = self.cleaned_data
        return Filters(
            start=data["start"], end=data["end"],
            departement=data.get("departement") or None, profession=data.get("profession") or None,
        )

    def query_string(self) -> str:
        """The filters as a query string for links (exports, tabs), empty values left out."""
        if not self.is_valid():
            return ""
        f = self.filters()
        params = {"start": f.start.isoformat(), "end": f.end.isoformat()}
        if f.departement:
            params["departement"] = f.departement
        if f.profession:
            params["profession"] = f.profession
        return urlencode(params)
