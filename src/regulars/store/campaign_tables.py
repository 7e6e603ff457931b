"""Tables of campaigns: who was targeted, who was held back as a control group, and when."""

from __future__ import annotations
