"""The label review form on the asset page: it resolves a word to one concept of the ontology."""
from django import forms

from search.concepts import concepts_named

MAX_SENSES_LISTED = 6


class AddLabelForm(forms.Form):
    concept = forms.CharField(label="Add a label", max_length=200,
                              help_text="A word such as “tabby”, or a concept name such as crane.n.05.")

    def clean_concept(self):
        text = self.cleaned_data["concept"].strip()
        found = concepts_named(text)
        if not found:
            raise forms.ValidationError(f"“{text}” is not a label of any concept; try another word.")
        if len(found) > 1:
            senses = "; ".join(f"{c.name} ({c.definition or c.pref_label})" for c in found[:MAX_SENSES_LISTED])
            more = f" and {len(found) - MAX_SENSES_LISTED} more" if len(found) > MAX_SENSES_LISTED else ""
            raise forms.ValidationError(f"“{text}” can mean several concepts: {senses}{more}. "
                                        "Type the name of the one you mean.")
        return found[0]
