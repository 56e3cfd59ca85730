"""The insights app keeps no tables yet: the lifetime-value models (lifetime.py) are pure functions over arrays.

It exists so that the mypy Django plugin, which imports the models of every installed app, finds one.
"""
