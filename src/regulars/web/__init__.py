"""The web pages (server-rendered, Jinja2): the login and, later, the dashboard."""
