"""Skills belong to one profession: the one check (services) and the one form field (forms) of a pairing."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.forms.models import ModelChoiceIteratorValue
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from reference.models import Profession, Skill

NO_CHOICE = _("— Choisir —")


def foreign_skill_messages(profession: Profession, skills: Iterable[Skill]) -> list[str]:
    """One message per skill that does not exist for ``profession``, naming both (empty when all belong)."""
    return [
        gettext("La compétence « %(skill)s » n'existe pas pour la profession « %(profession)s ».")
        % {"skill": skill.display_label, "profession": profession.display_label}
        for skill in skills
        if skill.profession_id != profession.pk
    ]


class SkillCheckboxes(forms.CheckboxSelectMultiple):
    """Each box carries its profession (``data-profession``) for static/js/skills_by_profession.js."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None) -> dict[str, Any]:
        option = super().create_option(name, value, label, selected, index, subindex=subindex, attrs=attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-profession"] = instance.profession_id
        return option


def skill_queryset():
    return Skill.objects.select_related("profession").order_by("profession__label", "label")


class SkillsOfProfessionMixin:
    """A form with a ``profession`` select and a skills field named ``skills_field``.

    The field accepts any skill, so that a skill of another profession is refused with a message
    naming it (a narrower queryset would only say « choix invalide »); what the page *offers* is
    narrowed instead: the skills of the submitted profession, else of the saved one (``initial``),
    else, while no profession is chosen yet, every profession's (ordered by profession, each box naming
    its own in ``data-profession``) for static/js/skills_by_profession.js to filter.
    """

    skills_field = "skills"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.narrow_offered_skills()

    def offered_profession(self) -> Profession | None:
        field = self.fields["profession"]
        raw = self.data.get(self.add_prefix("profession")) if self.is_bound else self.get_initial_for_field(field, "profession")
        if isinstance(raw, Profession):
            return raw
        try:
            return field.queryset.get(pk=raw) if raw not in (None, "") else None
        except (Profession.DoesNotExist, ValueError, TypeError):
            return None

    def narrow_offered_skills(self) -> None:
        field = self.fields[self.skills_field]
        profession = self.offered_profession()
        offered = field.queryset.filter(profession=profession) if profession else field.queryset
        field.widget.choices = [(ModelChoiceIteratorValue(s.pk, s), s.display_label) for s in offered]

    def clean(self) -> dict:
        cleaned = super().clean()
        profession, skills = cleaned.get("profession"), cleaned.get(self.skills_field)
        if profession is not None and skills:
            for message in foreign_skill_messages(profession, skills):
                self.add_error(self.skills_field, message)
        return cleaned
