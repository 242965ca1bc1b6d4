"""Refusals of incentive actions, worded for the person at the screen (views and commands show them as they are)."""

from __future__ import annotations


class IncentiveError(Exception):
    """An action the rules refuse; `message` says why and what to do, in Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class FloorViolation(IncentiveError):
    """A commission below the division's floor: refused naming the floor."""

    def __init__(self, messages: list[str]):
        super().__init__("；".join(messages))
        self.messages = messages


class MakerCheckerError(IncentiveError):
    pass


class MissingTargets(IncentiveError):
    """From month 4 of a branch's programme every lead, callback and seller needs a monthly target."""

    def __init__(self, message: str, missing: list[str]):
        super().__init__(message)
        self.missing = missing
