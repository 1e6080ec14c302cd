"""Layer 1: what every part of the project may use and that imports nothing of the project.

Domain errors (``base.errors``), small request helpers (``base.http``) and input bounds
(``base.limits``). Import-linter holds the rule (see README, "Layers").
"""
