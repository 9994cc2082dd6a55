"""The label review form on the asset page: it resolves a word to one concept of the ontology."""
from django import forms

from ontology.labels import concepts_named, sense_names

MAX_SENSES_LISTED = 6


class AddLabelForm(forms.Form):
    concept = forms.CharField(label="Add a label", max_length=200,
                              help_text="A word such as “tabby”, or one of its meanings such as “crane (wading bird)”.")

    def clean_concept(self):
        text = self.cleaned_data["concept"].strip()
        found = concepts_named(text)
        if not found:
            raise forms.ValidationError(f"“{text}” is not a label of any concept; try another word.")
        if len(found) > 1:
            names = sense_names(found[:MAX_SENSES_LISTED])
            senses = "; ".join(f"“{names[c.pk]}”" + (f" ({c.definition})" if c.definition else "")
                               for c in found[:MAX_SENSES_LISTED])
            more = f" and {len(found) - MAX_SENSES_LISTED} more" if len(found) > MAX_SENSES_LISTED else ""
            raise forms.ValidationError(f"“{text}” can mean several things: {senses}{more}. "
                                        "Type the one you mean as it is written here.")
        return found[0]
