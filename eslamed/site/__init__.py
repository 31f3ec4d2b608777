"""The static Turkish site: content, templates, tracking.js; build, budgets and serving."""
