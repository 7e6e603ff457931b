"""Tables the analytics write back: stored segments and scores, playbooks, key-account flags."""

from __future__ import annotations
