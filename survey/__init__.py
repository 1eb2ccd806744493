"""Feedloop's domain: accounts, surveys, responses, verbatims and the follow-ups they cause."""
