"""Governance checks: SOW scope deviations and milestone evidence completeness.

The checks only read and report; every finding becomes an open review item that a
person accepts or overrides (see ``copilot.governance.reviews``). Nothing is approved or
rejected by the machine.
"""
