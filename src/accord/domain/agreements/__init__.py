"""Confidence-building agreements as code: pure domain, no I/O but the shipped files.

facts        what participants filed, as the engine sees it
filings      what participants file, in JSON, and the facts it becomes
model        agreements and obligations; parse_agreement, agreement_to_json,
             builtin_agreements (shipped/*.yaml)
schema       figures with their sources; the field kinds files are written in
rules/       rule types, one class each, registered by name
engine       ComplianceEngine: add facts, ask for verdicts, flags and reports
duties       a duty and how its status is judged; verdicts: what is reported
index        the facts indexed for the rules (activities, requestbook, order)
force        when an agreement is in force and which tiers apply
ladder       graduated reciprocation: recommendations and concerns
reports      counts by period; the calendar of reviews and sunsets
reciprocity  who shares what with whom
periods      calendar periods and day arithmetic, all in UTC
"""
