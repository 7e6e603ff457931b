"""Routers, one per resource; each route calls one service function and nothing else."""
