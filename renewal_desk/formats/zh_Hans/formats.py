# ui/NOTES.md: amounts are shown with thousands separators (4,807.40). Django's zh_Hans format has no separator
# and groups by 4 (万), which `floatformat:"2g"` and intcomma would print as 4807.40.
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
