"""Forms of the release admin and the toolbar."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import Release


class ReleaseForm(forms.Form):
    """Open a new release, optionally branched from a locked one.

    Only validates input; :func:`.services.create_release` does the work (and checks again).
    """

    version = forms.CharField(
        label=_("Version"),
        max_length=Release._meta.get_field("version").max_length,
        help_text=_("A unique name, e.g. v1.3.0."),
    )
    based_on = forms.ModelChoiceField(
        label=_("Based on"),
        queryset=Release.objects.none(),
        required=False,
        empty_label=_("Nothing — start an empty release"),
        help_text=_(
            "A locked release whose content the new release starts with (nothing is copied until "
            "you edit it). Usually the live release."
        ),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    switch = forms.BooleanField(
        label=_("Work in the new release"),
        required=False,
        initial=True,
        help_text=_("Make it your working release in the toolbar."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        live = Release.objects.live()
        self.live_id = live.pk if live is not None else None
        self.fields["based_on"].queryset = Release.objects.locked().order_by("-created_at", "-pk")
        self.fields["based_on"].label_from_instance = self._release_label

    def _release_label(self, release: Release) -> str:
        suffix = gettext(" (live)") if release.pk == self.live_id else ""
        return f"{release.version} — {release.state}{suffix}"

    def clean_version(self) -> str:
        version = self.cleaned_data["version"].strip()
        if not version:
            raise forms.ValidationError(gettext("A release needs a version, e.g. v1.2.0."))
        if Release.objects.filter(version=version).exists():
            raise forms.ValidationError(
                gettext("A release called %(version)s exists already; choose another version.")
                % {"version": version}
            )
        return version
