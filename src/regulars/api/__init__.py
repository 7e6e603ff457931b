"""The HTTP API (FastAPI): point-of-sale loyalty operations, API keys per business."""
