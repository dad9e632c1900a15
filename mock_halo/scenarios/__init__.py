"""Scenario rules: scripted edge cases for particular requests.

A rule is a *match* (which requests) and an *outcome* (what happens to them).
Rules live in a :class:`~mock_halo.scenarios.book.ScenarioBook` on the
emulator; black-box clients can ask for the same outcomes with a SQL-comment
directive (:mod:`mock_halo.scenarios.directives`).
"""

from mock_halo.scenarios.book import Decision, RequestFacts, ScenarioBook
from mock_halo.scenarios.directives import parse_directive
from mock_halo.scenarios.rules import SURFACES, Match, Outcome, Rule, ScenarioError, parse_outcome, parse_rule

__all__ = [
    "SURFACES",
    "Decision",
    "Match",
    "Outcome",
    "RequestFacts",
    "Rule",
    "ScenarioBook",
    "ScenarioError",
    "parse_directive",
    "parse_outcome",
    "parse_rule",
]
