"""Refusals of perk actions, worded for the person at the desk (views show the message as it is)."""

from __future__ import annotations


class PerkError(Exception):
    """A perk action that the rules refuse; the message says why, in the user's words."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class SelfApprovalError(PerkError):
    def __init__(self):
        super().__init__("申请人不能审批自己的申请（任何角色，包括超级管理员）。")


class NotAuthorisedError(PerkError):
    pass
